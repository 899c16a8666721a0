// Step 2: subset construction with capture tags, pruning of dead states,
// Moore minimisation and byte-class compression.
//
// Captures without lookahead. A DFA state is a set of items (NFA state, tags
// crossed since the last byte). On a byte, every item that can consume it
// must carry the same tags: those tags are then set to the position of that
// byte (the capture starts or ends just before it). If two such items carry
// different tags, where a capture starts or ends depends on bytes not read
// yet; the grammar must then be restructured, and compilation fails naming
// the shortest input that shows it. Accepting works the same way at the end
// of the input. So every accepting path agrees on every capture position.

import ABNF

/// A minimal deterministic automaton for one rule: the generator's
/// intermediate form, emitted as tables, and read back by `abnfc prove`.
public struct DFA: Sendable, Equatable {
    public var rule: String
    /// Capture fields; tag 2·i is field i's start, 2·i+1 its end.
    public var fields: [String]
    public var classCount: Int
    /// The byte class of every byte value.
    public var byteClass: [UInt8]
    /// State 0 is the dead state; `start` is 1.
    public var stateCount: Int
    public var start: Int
    /// `next[state * classCount + class]`.
    public var next: [Int]
    /// Tags set on each transition, as an index into `tagMasks`.
    public var action: [Int]
    /// 0 rejects; k > 0 accepts and sets the tags of `tagMasks[k - 1]` at the end.
    public var accept: [Int]
    /// Distinct tag sets; `tagMasks[0]` is the empty set.
    public var tagMasks: [UInt64]
    /// For error messages: the innermost rule each state is in.
    public var stateRule: [Int]
    public var ruleNames: [String]

    public var hasCaptures: Bool { !fields.isEmpty }

    /// Runs the automaton: whether `input` is accepted, the tag positions
    /// (-1: never set), and where it stopped (the offset of the first byte
    /// with no transition, or `input.count`).
    public func run(_ input: [UInt8]) -> (accepted: Bool, tags: [Int], stoppedAt: Int) {
        var tags = [Int](repeating: -1, count: 2 * fields.count)
        func apply(_ mask: UInt64, _ position: Int) {
            var m = mask
            while m != 0 {
                let t = m.trailingZeroBitCount
                tags[t] = position
                m &= m - 1
            }
        }
        var state = start
        for (i, b) in input.enumerated() {
            let t = state * classCount + Int(byteClass[Int(b)])
            apply(tagMasks[action[t]], i)
            state = next[t]
            if state == 0 { return (false, tags, i) }
        }
        guard accept[state] > 0 else { return (false, tags, input.count) }
        apply(tagMasks[accept[state] - 1], input.count)
        return (true, tags, input.count)
    }
}

public enum DFABuilder {
    /// Above this many DFA states a rule is reported instead of compiled.
    public static let stateLimit = 60_000

    /// The minimal DFA of `rule`; references to the `excluded` rules (by key)
    /// match nothing.
    public static func build(_ grammar: Grammar, rule: String, captures: Bool, excluding excluded: Set<String> = [])
        throws(CompileError)
        -> DFA
    {
        let nfa = try NFABuilder.build(grammar, rule: rule, captures: captures, excluded: excluded)
        let raw = try SubsetConstruction(nfa: nfa, rule: grammar[rule]!.name).run()
        return minimize(prune(raw))
    }

    // MARK: Pruning

    /// Sends every transition into a state that cannot reach acceptance to the
    /// dead state, so the automaton stops at the first byte that rules out a match.
    static func prune(_ dfa: DFA) -> DFA {
        var reverse = [[Int]](repeating: [], count: dfa.stateCount)
        for s in 0..<dfa.stateCount {
            for c in 0..<dfa.classCount { reverse[dfa.next[s * dfa.classCount + c]].append(s) }
        }
        var live = [Bool](repeating: false, count: dfa.stateCount)
        var work = (0..<dfa.stateCount).filter { dfa.accept[$0] > 0 }
        for s in work { live[s] = true }
        while let s = work.popLast() {
            for p in reverse[s] where !live[p] {
                live[p] = true
                work.append(p)
            }
        }
        var pruned = dfa
        for t in 0..<pruned.next.count where !live[pruned.next[t]] {
            pruned.next[t] = 0
            pruned.action[t] = 0
        }
        return pruned
    }

    // MARK: Minimisation (Moore's partition refinement)

    /// `labels`, when given, keeps states with different labels apart.
    static func minimize(_ dfa: DFA, labels: [Int]? = nil) -> DFA {
        let n = dfa.stateCount
        let k = dfa.classCount
        var block = (0..<n).map { s in s == 0 ? 0 : 1 + dfa.accept[s] }
        if let labels {
            var ids: [[Int]: Int] = [:]
            block = (0..<n).map { s in
                let key = [block[s], s == 0 ? -1 : labels[s]]
                if let id = ids[key] { return id }
                ids[key] = ids.count
                return ids.count - 1
            }
        }
        var blockCount = Set(block).count
        while true {
            var ids: [[Int]: Int] = [:]
            var refined = [Int](repeating: 0, count: n)
            for s in 0..<n {
                var signature = [block[s]]
                signature.reserveCapacity(1 + 2 * k)
                for c in 0..<k {
                    signature.append(block[dfa.next[s * k + c]])
                    signature.append(dfa.action[s * k + c])
                }
                if let id = ids[signature] {
                    refined[s] = id
                } else {
                    refined[s] = ids.count
                    ids[signature] = ids.count
                }
            }
            block = refined
            if ids.count == blockCount { break }
            blockCount = ids.count
        }
        // Number the blocks canonically: dead first, then breadth first from the start.
        var number = [Int: Int]()
        var representative: [Int] = []
        number[block[0]] = 0
        representative.append(0)
        var queue = [dfa.start]
        if block[dfa.start] != block[0] {
            number[block[dfa.start]] = 1
            representative.append(dfa.start)
        } else {
            queue = []
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            for c in 0..<k {
                let t = dfa.next[s * k + c]
                if number[block[t]] == nil {
                    number[block[t]] = representative.count
                    representative.append(t)
                    queue.append(t)
                }
            }
        }
        let count = representative.count
        var next = [Int](repeating: 0, count: count * k)
        var action = [Int](repeating: 0, count: count * k)
        var accept = [Int](repeating: 0, count: count)
        var stateRule = [Int](repeating: 0, count: count)
        for (i, s) in representative.enumerated() {
            accept[i] = dfa.accept[s]
            stateRule[i] = dfa.stateRule[s]
            for c in 0..<k {
                next[i * k + c] = number[block[dfa.next[s * k + c]]]!
                action[i * k + c] = dfa.action[s * k + c]
            }
        }
        var minimal = dfa
        minimal.stateCount = count
        minimal.start = count > 1 ? 1 : 0
        minimal.next = next
        minimal.action = action
        minimal.accept = accept
        minimal.stateRule = stateRule
        return compressClasses(minimal)
    }

    /// Merges byte classes that behave the same in every state, and renumbers
    /// classes by their smallest byte.
    static func compressClasses(_ dfa: DFA) -> DFA {
        let k = dfa.classCount
        var columnID: [[Int]: Int] = [:]
        var newClassOfOld = [Int](repeating: -1, count: k)
        var order: [Int] = []  // old class chosen as representative of each new class
        for b in 0..<256 {
            let old = Int(dfa.byteClass[b])
            guard newClassOfOld[old] < 0 else { continue }
            var column: [Int] = []
            column.reserveCapacity(2 * dfa.stateCount)
            for s in 0..<dfa.stateCount {
                column.append(dfa.next[s * k + old])
                column.append(dfa.action[s * k + old])
            }
            if let id = columnID[column] {
                newClassOfOld[old] = id
            } else {
                columnID[column] = order.count
                newClassOfOld[old] = order.count
                order.append(old)
            }
        }
        let newK = order.count
        var next = [Int](repeating: 0, count: dfa.stateCount * newK)
        var action = [Int](repeating: 0, count: dfa.stateCount * newK)
        for s in 0..<dfa.stateCount {
            for (c, old) in order.enumerated() {
                next[s * newK + c] = dfa.next[s * k + old]
                action[s * newK + c] = dfa.action[s * k + old]
            }
        }
        var compressed = dfa
        compressed.classCount = newK
        compressed.byteClass = dfa.byteClass.map { UInt8(newClassOfOld[Int($0)]) }
        compressed.next = next
        compressed.action = action
        return compressed
    }
}

private struct Item: Hashable, Comparable {
    var state: Int32
    var tags: UInt64

    static func < (a: Item, b: Item) -> Bool { (a.state, a.tags) < (b.state, b.tags) }
}

private struct SubsetConstruction {
    let nfa: NFA
    let rule: String
    /// Class of each byte (classes are intervals cut at every edge boundary).
    var byteClass = [UInt8](repeating: 0, count: 256)
    var classLow: [Int] = []
    var classHigh: [Int] = []

    init(nfa: NFA, rule: String) {
        self.nfa = nfa
        self.rule = rule
        var cuts = Set<Int>([0, 256])
        for edges in nfa.byteEdges {
            for e in edges {
                cuts.insert(Int(e.lo))
                cuts.insert(Int(e.hi) + 1)
            }
        }
        let sorted = cuts.sorted()
        for i in 0..<(sorted.count - 1) {
            classLow.append(sorted[i])
            classHigh.append(sorted[i + 1] - 1)
            for b in sorted[i]..<sorted[i + 1] { byteClass[b] = UInt8(i) }
        }
    }

    func closure(_ seeds: [Item]) -> [Item] {
        var seen = Set<Item>()
        var result: [Item] = []
        var stack = seeds
        while let item = stack.popLast() {
            guard seen.insert(item).inserted else { continue }
            let s = Int(item.state)
            if !nfa.byteEdges[s].isEmpty || s == nfa.final { result.append(item) }
            for e in nfa.epsilonEdges[s] {
                stack.append(Item(state: Int32(e.to), tags: e.tag >= 0 ? item.tags | (1 << UInt64(e.tag)) : item.tags))
            }
        }
        return result.sorted()
    }

    /// The deepest rule every item is inside: what a byte that fits none of
    /// them fails to match.
    func innermostCommonRule(_ items: [Item]) -> Int {
        guard let first = items.first else { return 0 }
        var common = nfa.ruleStacks[nfa.stateRule[Int(first.state)]]
        for item in items.dropFirst() {
            let stack = nfa.ruleStacks[nfa.stateRule[Int(item.state)]]
            var n = 0
            while n < common.count && n < stack.count && common[n] == stack[n] { n += 1 }
            common.removeLast(common.count - n)
        }
        return common.last ?? 0
    }

    func describeTags(_ mask: UInt64) -> String {
        var parts: [String] = []
        var m = mask
        while m != 0 {
            let t = m.trailingZeroBitCount
            parts.append("\(t % 2 == 0 ? "start" : "end") of \(nfa.fields[t / 2])")
            m &= m - 1
        }
        return parts.isEmpty ? "no capture boundary" : parts.joined(separator: ", ")
    }

    func ambiguity(prefix: [UInt8], next: String, _ a: UInt64, _ b: UInt64) -> CompileError {
        let shown = prefix.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x\(hex($0))" }.joined()
        return CompileError(
            rule: rule,
            message:
                "captures need lookahead: after \"\(shown)\", at \(next) one parse has \(describeTags(a)) and another \(describeTags(b)); wrap the captured part in a rule whose boundaries the next byte decides"
        )
    }

    func run() throws(CompileError) -> DFA {
        let k = classLow.count
        var tagMasks: [UInt64] = [0]
        var maskIndex: [UInt64: Int] = [0: 0]
        func maskID(_ m: UInt64) -> Int {
            if let i = maskIndex[m] { return i }
            maskIndex[m] = tagMasks.count
            tagMasks.append(m)
            return tagMasks.count - 1
        }
        // State 0 is dead (the empty item set).
        var states: [[Item]] = [[]]
        var index: [[Item]: Int] = [[]: 0]
        var prefix: [[UInt8]] = [[]]
        let first = closure([Item(state: Int32(nfa.start), tags: 0)])
        states.append(first)
        index[first] = 1
        prefix.append([])
        var next: [Int] = [Int](repeating: 0, count: k)  // dead state's row
        var action: [Int] = [Int](repeating: 0, count: k)
        var accept: [Int] = [0]
        var stateRule: [Int] = [0]
        var current = 1
        while current < states.count {
            let items = states[current]
            // Acceptance: all items at the final state must agree on end tags.
            let finals = items.filter { Int($0.state) == nfa.final }
            if let f = finals.first {
                if let other = finals.first(where: { $0.tags != f.tags }) {
                    throw ambiguity(prefix: prefix[current], next: "the end of the input", f.tags, other.tags)
                }
                accept.append(maskID(f.tags) + 1)
            } else {
                accept.append(0)
            }
            stateRule.append(innermostCommonRule(items))
            // Targets and tags per byte class, in one pass over the items' edges.
            var targets = [[Int32]](repeating: [], count: k)
            var tags = [UInt64?](repeating: nil, count: k)
            for item in items {
                for e in nfa.byteEdges[Int(item.state)] {
                    for c in Int(byteClass[Int(e.lo)])...Int(byteClass[Int(e.hi)]) {
                        if let known = tags[c], known != item.tags {
                            let b = UInt8(classLow[c])
                            let shown = b >= 0x21 && b < 0x7F ? "\"\(String(UnicodeScalar(b)))\"" : "byte 0x\(hex(b))"
                            throw ambiguity(prefix: prefix[current], next: shown, known, item.tags)
                        }
                        tags[c] = item.tags
                        targets[c].append(Int32(e.to))
                    }
                }
            }
            for c in 0..<k {
                guard let mask = tags[c] else {
                    next.append(0)
                    action.append(0)
                    continue
                }
                let target = closure(targets[c].map { Item(state: $0, tags: 0) })
                if let known = index[target] {
                    next.append(known)
                } else {
                    guard states.count < DFABuilder.stateLimit else {
                        throw CompileError(rule: rule, message: "needs more than \(DFABuilder.stateLimit) DFA states")
                    }
                    index[target] = states.count
                    states.append(target)
                    prefix.append(prefix[current] + [UInt8(classLow[c])])
                    next.append(states.count - 1)
                }
                action.append(maskID(mask))
            }
            current += 1
        }
        return DFA(
            rule: rule, fields: nfa.fields, classCount: k, byteClass: byteClass, stateCount: states.count, start: 1,
            next: next, action: action, accept: accept, tagMasks: tagMasks, stateRule: stateRule, ruleNames: nfa.ruleNames)
    }
}
