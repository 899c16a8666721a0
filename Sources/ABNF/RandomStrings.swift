// Random strings from any rule: valid ones that cover every alternative and
// repetition bound, and near misses (one byte deleted, inserted, replaced or
// doubled; CRLF cut to LF; a repetition bound exceeded or undercut by one).
//
// All randomness goes through a `ChoiceSource`, and every choice is recorded,
// so a string can be replayed from its choices and shrunk by editing them:
// smaller choice values mean fewer repetitions, earlier alternatives, lower
// bytes (see `Shrinking` in the property engine).

/// SplitMix64: a small, fast, seedable and splittable generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent stream; this one moves on.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next() ^ 0x6A09_E667_F3BC_C909) }
}

public enum ChoiceKind: Sendable, Hashable {
    /// Which alternative of an alternation; values in 0..<count.
    case alternative
    /// How many repetitions beyond the minimum.
    case count
    /// Which byte of a range, as an offset from its low end.
    case byte
    /// Letter case of a case-insensitive string: as written, upper, lower, alternating.
    case letterCase
}

/// Where a generator's decisions come from.
public protocol ChoiceSource {
    /// A value in `0..<upperBound` (upperBound ≥ 1) for the decision at `node`.
    mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int
}

/// Uniform choices, except repetition counts, which favour the bounds.
public struct RandomChoices: ChoiceSource {
    public var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    public init(rng: SplitMix64) { self.rng = rng }

    public mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int {
        guard upperBound > 1 else { return 0 }
        if kind == .count || kind == .byte {
            switch rng.next() % 4 {
            case 0: return 0
            case 1: return upperBound - 1
            default: break
            }
        }
        return Int(rng.next() % UInt64(upperBound))
    }
}

/// Prefers the least-used value at each decision point, so a series of
/// strings covers every alternative and both repetition bounds quickly.
public struct CoveringChoices: ChoiceSource {
    public var rng: SplitMix64
    var used: [Int: [Int: Int]] = [:]

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    public mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int {
        guard upperBound > 1 else { return 0 }
        var candidates: [Int]
        switch kind {
        case .alternative, .letterCase:
            candidates = Array(0..<upperBound)
        case .count, .byte:
            // Both bounds, and a few values between them.
            candidates = [0, upperBound - 1]
            if upperBound > 2 { candidates.append(1 + Int(rng.next() % UInt64(upperBound - 2))) }
        }
        let counts = used[node, default: [:]]
        let fewest = candidates.map { counts[$0, default: 0] }.min()!
        let least = candidates.filter { counts[$0, default: 0] == fewest }
        let value = least[Int(rng.next() % UInt64(least.count))]
        used[node, default: [:]][value, default: 0] += 1
        return value
    }

    /// Decision points seen so far, and how many of their candidate values were used.
    public var decisionPoints: Int { used.count }
}

/// Replays recorded choices; values out of range are clamped, missing ones are 0.
/// `overrides` replace single choices and are used as given (for bound ± 1).
public struct ReplayedChoices: ChoiceSource {
    public var choices: [Int]
    public var overrides: [Int: Int]
    var next = 0

    public init(_ choices: [Int], overrides: [Int: Int] = [:]) {
        self.choices = choices
        self.overrides = overrides
    }

    public mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int {
        defer { next += 1 }
        if let forced = overrides[next] { return forced }
        guard next < choices.count else { return 0 }
        return Swift.min(Swift.max(choices[next], 0), upperBound - 1)
    }
}

/// One recorded decision.
public struct RecordedChoice: Sendable, Hashable {
    public var kind: ChoiceKind
    public var node: Int
    public var value: Int
    public var upperBound: Int
}

/// A generated string with the derivation that produced it.
public struct GeneratedString: Sendable {
    public var bytes: [UInt8]
    public var tree: ParseTree
    public var choices: [RecordedChoice]

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A string that is probably not in the rule's language, and how it was made.
public struct NearMiss: Sendable {
    public var bytes: [UInt8]
    public var mutation: String
    public var original: GeneratedString
}

public struct StringGenerator: Sendable {
    public let compiled: CompiledGrammar
    /// How many repetitions beyond the minimum an unbounded `*` may produce.
    public var unboundedExtra: Int
    /// Past this depth of nested rules, generation takes the shortest way out.
    public var maxDepth: Int
    let minimumLength: [Int]

    public init(_ grammar: Grammar, unboundedExtra: Int = 4, maxDepth: Int = 24) {
        compiled = CompiledGrammar(grammar)
        self.unboundedExtra = unboundedExtra
        self.maxDepth = maxDepth
        minimumLength = Self.minimumLengths(compiled)
    }

    public init(_ interpreter: Interpreter, unboundedExtra: Int = 4, maxDepth: Int = 24) {
        compiled = interpreter.compiled
        self.unboundedExtra = unboundedExtra
        self.maxDepth = maxDepth
        minimumLength = Self.minimumLengths(compiled)
    }

    /// A valid string of `rule`, or nil if the rule is unknown or matches nothing.
    public func generate(_ rule: String, using source: inout some ChoiceSource) -> GeneratedString? {
        guard let index = compiled.ruleIndex(rule), minimumLength[compiled.roots[index]] < Int.max else { return nil }
        var run = GenerationRun(generator: self, source: source)
        let children = run.emit(compiled.roots[index], depth: 0)
        source = run.source
        let tree = ParseTree(rule: compiled.grammar.rules[index].name, range: 0..<run.output.count, children: children)
        return GeneratedString(bytes: run.output, tree: tree, choices: run.recorded)
    }

    public func generate(_ rule: String, seed: UInt64) -> GeneratedString? {
        var source = RandomChoices(seed: seed)
        return generate(rule, using: &source)
    }

    /// Replays a string from its recorded choice values (with optional overrides).
    public func replay(_ rule: String, choices: [Int], overrides: [Int: Int] = [:]) -> GeneratedString? {
        var source = ReplayedChoices(choices, overrides: overrides)
        return generate(rule, using: &source)
    }

    /// Strings that together use every alternative and both bounds of every
    /// repetition reachable from `rule` (within `limit` strings).
    public func covering(_ rule: String, seed: UInt64, limit: Int = 200) -> [GeneratedString] {
        var source = CoveringChoices(seed: seed)
        var strings: [GeneratedString] = []
        var seen = Set<[UInt8]>()
        var stale = 0
        while strings.count < limit, stale < 24 {
            guard let string = generate(rule, using: &source) else { break }
            if seen.insert(string.bytes).inserted {
                strings.append(string)
                stale = 0
            } else {
                stale += 1
            }
        }
        return strings
    }

    /// A near miss of `rule`: a valid string with one small mutation. The
    /// result may still be valid; callers compare with the interpreter.
    public func nearMiss(_ rule: String, rng: inout SplitMix64) -> NearMiss? {
        var source = RandomChoices(rng: rng.split())
        guard let original = generate(rule, using: &source) else { return nil }
        var bytes = original.bytes
        let interesting: [UInt8] = [
            0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x2D, 0x2E, 0x3A, 0x3C, 0x3D, 0x3E, 0x40, 0x41, 0x5B, 0x5C, 0x5D, 0x7F, 0x80,
            0xC3, 0xFF,
        ]
        func randomByte() -> UInt8 {
            rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: rng.next())
        }
        func position(_ count: Int) -> Int { Int(rng.next() % UInt64(Swift.max(count, 1))) }

        switch rng.next() % 7 {
        case 0 where !bytes.isEmpty:
            let i = position(bytes.count)
            bytes.remove(at: i)
            return NearMiss(bytes: bytes, mutation: "deleted byte \(i)", original: original)
        case 1:
            let i = position(bytes.count + 1)
            let b = randomByte()
            bytes.insert(b, at: i)
            return NearMiss(bytes: bytes, mutation: "inserted 0x\(hex(b)) at \(i)", original: original)
        case 2 where !bytes.isEmpty:
            let i = position(bytes.count)
            let b = randomByte()
            bytes[i] = b
            return NearMiss(bytes: bytes, mutation: "replaced byte \(i) with 0x\(hex(b))", original: original)
        case 3 where !bytes.isEmpty:
            let i = position(bytes.count)
            bytes.insert(bytes[i], at: i)
            return NearMiss(bytes: bytes, mutation: "doubled byte \(i)", original: original)
        case 4:
            if let crlf = (0..<Swift.max(bytes.count - 1, 0)).last(where: { bytes[$0] == 0x0D && bytes[$0 + 1] == 0x0A }) {
                bytes.remove(at: crlf)
                return NearMiss(bytes: bytes, mutation: "CRLF at \(crlf) cut to LF", original: original)
            }
        case 5, 6:
            // Exceed or undercut (a coin flip) one repetition bound by one.
            let exceed = rng.next() % 2 == 0
            let candidates = original.choices.indices.filter { i in
                let choice = original.choices[i]
                guard choice.kind == .count, case .repetition(let bounds, _) = compiled.nodes[choice.node] else { return false }
                return exceed ? bounds.max != nil : bounds.min > 0
            }
            if !candidates.isEmpty {
                let i = candidates[position(candidates.count)]
                let node = original.choices[i].node
                guard case .repetition(let bounds, _) = compiled.nodes[node] else { break }
                let value = exceed ? bounds.max! + 1 - bounds.min : -1
                if let mutated = replay(rule, choices: original.choices.map(\.value), overrides: [i: value]) {
                    let what = exceed ? "exceeded" : "undercut"
                    return NearMiss(bytes: mutated.bytes, mutation: "\(what) repeat \(bounds) by one", original: original)
                }
            }
        default:
            break
        }
        // Fallback mutation when the chosen one did not apply: append a byte.
        let b = randomByte()
        bytes.append(b)
        return NearMiss(bytes: bytes, mutation: "appended 0x\(hex(b))", original: original)
    }

    /// The shortest string length each node can produce (Int.max: none).
    public static func minimumLengths(_ compiled: CompiledGrammar) -> [Int] {
        var lengths = [Int](repeating: Int.max, count: compiled.nodes.count)
        func add(_ a: Int, _ b: Int) -> Int { a == Int.max || b == Int.max ? Int.max : a + b }
        var changed = true
        while changed {
            changed = false
            for (i, node) in compiled.nodes.enumerated() {
                let value: Int
                switch node {
                case .never: value = Int.max
                case .range: value = 1
                case .literal(let bytes, _): value = bytes.count
                case .alternation(let items): value = items.map { lengths[$0] }.min() ?? Int.max
                case .concatenation(let items): value = items.reduce(0) { add($0, lengths[$1]) }
                case .repetition(let bounds, let inner):
                    value = bounds.min == 0 ? 0 : (lengths[inner] == Int.max ? Int.max : lengths[inner] * bounds.min)
                case .reference(let rule): value = lengths[compiled.roots[rule]]
                }
                if value < lengths[i] {
                    lengths[i] = value
                    changed = true
                }
            }
        }
        return lengths
    }
}

struct GenerationRun<Source: ChoiceSource> {
    let generator: StringGenerator
    var source: Source
    var output: [UInt8] = []
    var recorded: [RecordedChoice] = []

    init(generator: StringGenerator, source: Source) {
        self.generator = generator
        self.source = source
    }

    var compiled: CompiledGrammar { generator.compiled }

    mutating func choose(_ kind: ChoiceKind, _ node: Int, _ upperBound: Int) -> Int {
        let value = source.choose(kind, node: node, upperBound: upperBound)
        recorded.append(RecordedChoice(kind: kind, node: node, value: value, upperBound: upperBound))
        return value
    }

    /// Appends a string of `node` to the output; returns the rule matches made.
    mutating func emit(_ node: Int, depth: Int) -> [ParseTree] {
        let deep = depth >= generator.maxDepth
        switch compiled.nodes[node] {
        case .never:
            return []
        case .range(let lo, let hi):
            output.append(lo + UInt8(choose(.byte, node, Int(hi - lo) + 1)))
            return []
        case .literal(let bytes, let sensitive):
            let hasLetters = !sensitive && bytes.contains { isAlpha($0) }
            let style = hasLetters ? choose(.letterCase, node, 4) : 0
            for (i, b) in bytes.enumerated() {
                guard isAlpha(b) else {
                    output.append(b)
                    continue
                }
                switch style {
                case 1: output.append(b & ~0x20)
                case 2: output.append(b | 0x20)
                case 3: output.append(i % 2 == 0 ? b | 0x20 : b & ~0x20)
                default: output.append(b)
                }
            }
            return []
        case .alternation(let items):
            let viable = items.filter { generator.minimumLength[$0] < Int.max }
            let pick: Int
            if deep {
                pick = viable.min { generator.minimumLength[$0] < generator.minimumLength[$1] }!
            } else {
                pick = viable[choose(.alternative, node, viable.count)]
            }
            return emit(pick, depth: depth)
        case .concatenation(let items):
            return items.flatMap { emit($0, depth: depth) }
        case .repetition(let bounds, let inner):
            let maxCount = bounds.max ?? (bounds.min + generator.unboundedExtra)
            var count = bounds.min
            if !deep && maxCount > bounds.min {
                count = bounds.min + choose(.count, node, maxCount - bounds.min + 1)
            } else if !deep {
                // A fixed count is still a decision point, so a near miss can move it.
                count = bounds.min + choose(.count, node, 1)
            }
            count = Swift.max(0, count)
            // An inner that can produce no string (an unproductive rule such as
            // `a = "x" a`) is never entered: it would recurse forever.
            if generator.minimumLength[inner] == Int.max { count = 0 }
            var trees: [ParseTree] = []
            for _ in 0..<count { trees += emit(inner, depth: depth) }
            return trees
        case .reference(let rule):
            let start = output.count
            let children = emit(compiled.roots[rule], depth: depth + 1)
            return [ParseTree(rule: compiled.grammar.rules[rule].name, range: start..<output.count, children: children)]
        }
    }
}
