// The runtime for rules that have no finite automaton because they are
// recursive (RFC 5322 comments nest, for example). `abnfc generate` writes
// one function per such rule; each computes, like the reference interpreter,
// the set of positions where a match starting at a position can end, so
// alternatives and repetitions keep full ABNF semantics (no ordered choice,
// no greedy loss). Non-recursive rules they use run as automata.
//
// None of the SMTP command rules needs this (the command grammar is
// regular); it allocates, and it is not used on the parser's hot path.

public final class RecursiveDescentMatch {
    public typealias Part = (RecursiveDescentMatch, Int) -> Set<Int>

    public let input: UnsafeRawBufferPointer
    var memo: [Int: Set<Int>] = [:]
    var active: Set<Int> = []

    public init(_ input: UnsafeRawBufferPointer) { self.input = input }

    /// A rule's ends from `p`, memoised per (rule, position). A rule that
    /// calls itself at the same position (left recursion, which the checker
    /// rejects) sees no match there instead of looping.
    public func rule(_ id: Int, _ p: Int, _ body: Part) -> Set<Int> {
        let key = id &* (input.count + 1) &+ p
        if let known = memo[key] { return known }
        guard active.insert(key).inserted else { return [] }
        let ends = body(self, p)
        active.remove(key)
        memo[key] = ends
        return ends
    }

    public func literal(_ p: Int, _ bytes: [UInt8], caseSensitive: Bool) -> Set<Int> {
        guard p + bytes.count <= input.count else { return [] }
        for (i, b) in bytes.enumerated() {
            let c = input[p + i]
            if caseSensitive ? c != b : asciiUpper(c) != asciiUpper(b) { return [] }
        }
        return [p + bytes.count]
    }

    public func range(_ p: Int, _ low: UInt8, _ high: UInt8) -> Set<Int> {
        p < input.count && input[p] >= low && input[p] <= high ? [p + 1] : []
    }

    public func alternation(_ p: Int, _ parts: [Part]) -> Set<Int> {
        parts.reduce(into: Set()) { $0.formUnion($1(self, p)) }
    }

    public func sequence(_ p: Int, _ parts: [Part]) -> Set<Int> {
        var current: Set<Int> = [p]
        for part in parts {
            var next = Set<Int>()
            for q in current { next.formUnion(part(self, q)) }
            current = next
            if current.isEmpty { break }
        }
        return current
    }

    public func repetition(_ p: Int, min: Int, max: Int?, _ part: Part) -> Set<Int> {
        var result: Set<Int> = min == 0 ? [p] : []
        var frontier: Set<Int> = [p]
        var seenAfterMin: Set<Int> = min == 0 ? [p] : []
        var count = 0
        while !frontier.isEmpty, max.map({ count < $0 }) ?? true {
            count += 1
            var next = Set<Int>()
            for q in frontier { next.formUnion(part(self, q)) }
            if count >= min {
                if max == nil {
                    next.subtract(seenAfterMin)
                    seenAfterMin.formUnion(next)
                }
                result.formUnion(next)
                if max != nil && next == frontier { break }
            }
            frontier = next
        }
        return result
    }

    /// The ends of a non-recursive rule, from its automaton.
    public func automaton(_ p: Int, _ automaton: Automaton) -> Set<Int> {
        automaton.prefixEnds(input, from: p)
    }
}

extension Automaton {
    /// Every position `q ≥ p` such that `input[p..<q]` is in the language.
    public func prefixEnds(_ input: UnsafeRawBufferPointer, from p: Int) -> Set<Int> {
        var ends = Set<Int>()
        var state = start
        var i = p
        while true {
            if accept[state] > 0 { ends.insert(i) }
            guard i < input.count else { break }
            state = Int(next[state * classCount + Int(byteClass[Int(input[i])])] & ~Automaton.actionFlag)
            if state == 0 { break }
            i += 1
        }
        return ends
    }
}

/// An ASCII letter upper-cased, any other byte as it is: ABNF strings match case-insensitively
/// (RFC 5234 §2.3), and so do SMTP keywords in the parser, which calls this one copy (package
/// access: the parser and this runtime are vendored into one package together).
@inlinable @inline(__always)
package func asciiUpper(_ b: UInt8) -> UInt8 { (b >= 0x61 && b <= 0x7A) ? b & ~0x20 : b }
