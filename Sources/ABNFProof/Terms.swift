// Regular expressions over bytes, hash-consed, with Brzozowski derivatives.
//
// Every term is built by a smart constructor that applies the similarity
// rules of Brzozowski (1964), "Derivatives of Regular Expressions", §5, plus
// the usual ε/∅ laws (Owens, Reppy, Turon 2009, "Regular-expression
// derivatives re-examined", §4.1):
//
//   union          associative, commutative, idempotent (members flattened,
//                  sorted, deduplicated); ∅ is its unit; all byte-set members
//                  merge into one; ε is dropped next to a nullable member
//   concatenation  associative (kept right-nested); ε is its unit; ∅ absorbs
//   repetition     r{0,0} = ε, r{1,1} = r, ∅{n,m} and ε{n,m} fold, a nullable
//                  r has r{n,m} = r{0,m}, and (s*){n,m} = s* for m ≥ 1
//
// Equal terms get equal ids, so "similar" is `==` on ids. With these rules
// a term has finitely many dissimilar derivatives (Brzozowski's Theorem 5.2;
// a bounded repeat r{n,m} only ever yields r{n-k, m-k}), so exploring
// derivatives from a rule's term terminates in a DFA.

/// One node of a term; children are ids in the same `Terms` store.
enum Term: Hashable {
    /// ∅: no string.
    case empty
    /// ε: the empty string only.
    case epsilon
    /// One byte from a non-empty set.
    case bytes(ByteSet)
    /// `head · tail`, where `head` is never itself a concatenation.
    case concat(Int, Int)
    /// Two or more members, sorted, none ∅ or a union, at most one byte set.
    case union([Int])
    /// `inner{min,max}` (`max == nil`: unbounded), normalised as above.
    case repetition(Int, min: Int, max: Int?)
}

/// A hash-consing store of terms. One store is shared by every rule of a
/// grammar, so derivatives of shared sub-terms (`Domain`, `Atom`, ...) are
/// computed once.
final class Terms {
    private(set) var nodes: [Term] = []
    private var ids: [Term: Int] = [:]
    private var nullables: [Bool] = []
    private var derivatives: [Int: Int] = [:]
    private var firsts: [Int: [ByteSet]] = [:]

    static let empty = 0
    static let epsilon = 1

    init() {
        _ = intern(.empty)
        _ = intern(.epsilon)
    }

    /// Whether term `id` matches the empty string.
    func nullable(_ id: Int) -> Bool { nullables[id] }

    private func intern(_ term: Term) -> Int {
        if let id = ids[term] { return id }
        let nullable: Bool
        switch term {
        case .empty, .bytes: nullable = false
        case .epsilon: nullable = true
        case .concat(let a, let b): nullable = nullables[a] && nullables[b]
        case .union(let items): nullable = items.contains { nullables[$0] }
        case .repetition(let inner, let min, _): nullable = min == 0 || nullables[inner]
        }
        let id = nodes.count
        nodes.append(term)
        nullables.append(nullable)
        ids[term] = id
        return id
    }

    // MARK: Smart constructors (the similarity rules)

    func bytes(_ set: ByteSet) -> Int { set.isEmpty ? Terms.empty : intern(.bytes(set)) }

    func concat(_ a: Int, _ b: Int) -> Int {
        if a == Terms.empty || b == Terms.empty { return Terms.empty }
        if a == Terms.epsilon { return b }
        if b == Terms.epsilon { return a }
        if case .concat(let head, let tail) = nodes[a] { return concat(head, concat(tail, b)) }
        return intern(.concat(a, b))
    }

    /// `items[0] · items[1] · ...`; ε for no items.
    func sequence(_ items: [Int]) -> Int {
        items.reversed().reduce(Terms.epsilon) { concat($1, $0) }
    }

    func union(_ items: [Int]) -> Int {
        var members = Set<Int>()
        var merged = ByteSet()
        func add(_ id: Int) {
            switch nodes[id] {
            case .empty: break
            case .union(let inner): for m in inner { add(m) }
            case .bytes(let set): merged.formUnion(set)
            default: members.insert(id)
            }
        }
        for item in items { add(item) }
        if !merged.isEmpty { members.insert(intern(.bytes(merged))) }
        if members.count > 1, members.contains(Terms.epsilon),
            members.contains(where: { $0 != Terms.epsilon && nullables[$0] })
        {
            members.remove(Terms.epsilon)
        }
        switch members.count {
        case 0: return Terms.empty
        case 1: return members.first!
        default: return intern(.union(members.sorted()))
        }
    }

    func repetition(_ inner: Int, min: Int, max: Int?) -> Int {
        // An impossible repeat (the checker reports it) matches nothing, as in RFC 5234 §3.6.
        if let max, max < min { return Terms.empty }
        if max == 0 || inner == Terms.epsilon { return Terms.epsilon }
        if inner == Terms.empty { return min == 0 ? Terms.epsilon : Terms.empty }
        let min = nullables[inner] ? 0 : min
        if min == 1 && max == 1 { return inner }
        if case .repetition(_, 0, nil) = nodes[inner] { return inner }
        return intern(.repetition(inner, min: min, max: max))
    }

    // MARK: Derivatives

    /// The Brzozowski derivative of term `id` by byte `b`: the strings s such
    /// that b·s matches `id`.
    func derivative(_ id: Int, _ b: UInt8) -> Int {
        let key = id << 8 | Int(b)
        if let known = derivatives[key] { return known }
        let result: Int
        switch nodes[id] {
        case .empty, .epsilon:
            result = Terms.empty
        case .bytes(let set):
            result = set.contains(b) ? Terms.epsilon : Terms.empty
        case .concat(let head, let tail):
            let first = concat(derivative(head, b), tail)
            result = nullables[head] ? union([first, derivative(tail, b)]) : first
        case .union(let items):
            result = union(items.map { derivative($0, b) })
        case .repetition(let inner, let min, let max):
            // D(r{n,m}) = D(r) · r{n-1, m-1}, counts floored at 0. When r is
            // nullable the terms of D(r{n-1,m-1}) that the concatenation rule
            // would add are contained in this one, since then min is 0.
            result = concat(derivative(inner, b), repetition(inner, min: Swift.max(min - 1, 0), max: max.map { $0 - 1 }))
        }
        derivatives[key] = result
        return result
    }

    /// The byte sets that can start a match of `id`. Bytes that no set
    /// separates have the same derivative, so these sets partition the
    /// alphabet finely enough (Owens et al. §4.2, "derivative classes").
    func firstSets(_ id: Int) -> [ByteSet] {
        if let known = firsts[id] { return known }
        var sets = Set<ByteSet>()
        switch nodes[id] {
        case .empty, .epsilon:
            break
        case .bytes(let set):
            sets.insert(set)
        case .concat(let head, let tail):
            sets.formUnion(firstSets(head))
            if nullables[head] { sets.formUnion(firstSets(tail)) }
        case .union(let items):
            for item in items { sets.formUnion(firstSets(item)) }
        case .repetition(let inner, _, _):
            sets.formUnion(firstSets(inner))
        }
        let result = Array(sets)
        firsts[id] = result
        return result
    }

    /// A partition of the 256 byte values, as a class number per byte, in
    /// which bytes of one class have the same derivative of `id`. Classes are
    /// numbered by their smallest byte.
    func derivativeClasses(_ id: Int) -> (classOf: [Int], count: Int) {
        var classOf = [Int](repeating: 0, count: 256)
        var count = 1
        for set in firstSets(id) {
            var renumber = [Int](repeating: -1, count: 2 * count)
            var refined = 0
            for b in 0..<256 {
                let key = classOf[b] << 1 | (set.contains(UInt8(b)) ? 1 : 0)
                if renumber[key] < 0 {
                    renumber[key] = refined
                    refined += 1
                }
                classOf[b] = renumber[key]
            }
            count = refined
        }
        return (classOf, count)
    }
}
