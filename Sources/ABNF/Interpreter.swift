// The reference matcher: full ABNF semantics, deliberately simple.
//
// For every element it computes the *set* of positions where a match that
// starts at a given position can end. Alternatives are all explored (not
// ordered choice) and repetitions try every count, so
// `Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig` matches "a-b", which a greedy
// PEG matcher rejects. Rule results are memoised per (rule, position), which
// keeps it polynomial. It is the oracle the generated code is compared with;
// it is not meant to be fast.

public struct Interpreter: Sendable {
    public let compiled: CompiledGrammar

    public init(_ grammar: Grammar) { compiled = CompiledGrammar(grammar) }

    public var grammar: Grammar { compiled.grammar }

    /// Whether all of `input` matches `rule`. Unknown rules match nothing.
    public func matches(_ rule: String, _ input: some Collection<UInt8>) -> Bool {
        guard let index = compiled.ruleIndex(rule) else { return false }
        var run = Run(compiled: compiled, input: Array(input))
        return run.ends(compiled.roots[index], 0).contains(run.input.count)
    }

    /// The lengths of the prefixes of `input` that match `rule`, ascending.
    public func prefixMatches(_ rule: String, _ input: some Collection<UInt8>) -> [Int] {
        guard let index = compiled.ruleIndex(rule) else { return [] }
        var run = Run(compiled: compiled, input: Array(input))
        return run.ends(compiled.roots[index], 0).sorted()
    }

    /// One derivation of all of `input` from `rule`, as a tree of rule matches,
    /// or nil when it does not match.
    public func parse(_ rule: String, _ input: some Collection<UInt8>) -> ParseTree? {
        guard let index = compiled.ruleIndex(rule) else { return nil }
        var run = Run(compiled: compiled, input: Array(input))
        guard run.ends(compiled.roots[index], 0).contains(run.input.count),
            let children = run.derive(compiled.roots[index], 0, run.input.count)
        else { return nil }
        return ParseTree(rule: compiled.grammar.rules[index].name, range: 0..<run.input.count, children: children)
    }

    struct Run {
        let compiled: CompiledGrammar
        let input: [UInt8]
        var memo: [Int: Set<Int>] = [:]
        var active = Set<Int>()

        init(compiled: CompiledGrammar, input: [UInt8]) {
            self.compiled = compiled
            self.input = input
        }

        mutating func ends(_ node: Int, _ p: Int) -> Set<Int> {
            switch compiled.nodes[node] {
            case .never:
                return []
            case .range(let lo, let hi):
                return p < input.count && input[p] >= lo && input[p] <= hi ? [p + 1] : []
            case .literal(let bytes, let sensitive):
                guard p + bytes.count <= input.count else { return [] }
                for (i, b) in bytes.enumerated() {
                    let c = input[p + i]
                    if sensitive ? c != b : asciiLower(c) != asciiLower(b) { return [] }
                }
                return [p + bytes.count]
            case .alternation(let items):
                var result = Set<Int>()
                for item in items { result.formUnion(ends(item, p)) }
                return result
            case .concatenation(let items):
                return sequenceEnds(items[...], from: [p])
            case .repetition(let bounds, let inner):
                return repetitionEnds(bounds, inner, p)
            case .reference(let rule):
                let key = rule * (input.count + 1) + p
                if let known = memo[key] { return known }
                // Left recursion is rejected by the checker; if it slips through,
                // the inner call sees no match instead of looping.
                guard active.insert(key).inserted else { return [] }
                let result = ends(compiled.roots[rule], p)
                active.remove(key)
                memo[key] = result
                return result
            }
        }

        mutating func sequenceEnds(_ items: ArraySlice<Int>, from starts: Set<Int>) -> Set<Int> {
            var current = starts
            for item in items {
                var next = Set<Int>()
                for q in current { next.formUnion(ends(item, q)) }
                current = next
                if current.isEmpty { break }
            }
            return current
        }

        mutating func repetitionEnds(_ bounds: Bounds, _ inner: Int, _ p: Int) -> Set<Int> {
            var result: Set<Int> = bounds.min == 0 ? [p] : []
            var frontier: Set<Int> = [p]
            var reachedAfterMin: Set<Int> = bounds.min == 0 ? [p] : []
            var count = 0
            while !frontier.isEmpty, bounds.max.map({ count < $0 }) ?? true {
                count += 1
                var next = Set<Int>()
                for q in frontier { next.formUnion(ends(inner, q)) }
                if count >= bounds.min {
                    if bounds.max == nil {
                        // Unbounded: a position already expanded past the minimum
                        // adds nothing new (and would loop on a nullable inner).
                        next.subtract(reachedAfterMin)
                        reachedAfterMin.formUnion(next)
                    }
                    result.formUnion(next)
                    // Bounded, and the same positions again: every later count gives these too.
                    if bounds.max != nil && next == frontier { break }
                }
                frontier = next
            }
            return result
        }

        /// The rule matches inside node `node` matching exactly input[p..<q].
        mutating func derive(_ node: Int, _ p: Int, _ q: Int) -> [ParseTree]? {
            switch compiled.nodes[node] {
            case .never:
                return nil
            case .range, .literal:
                return ends(node, p).contains(q) ? [] : nil
            case .alternation(let items):
                for item in items where ends(item, p).contains(q) { return derive(item, p, q) }
                return nil
            case .concatenation(let items):
                return deriveSequence(items[...], p, q)
            case .repetition(let bounds, let inner):
                return deriveRepetition(bounds, inner, p, q)
            case .reference(let rule):
                guard ends(node, p).contains(q), let children = derive(compiled.roots[rule], p, q) else { return nil }
                return [ParseTree(rule: compiled.grammar.rules[rule].name, range: p..<q, children: children)]
            }
        }

        mutating func deriveSequence(_ items: ArraySlice<Int>, _ p: Int, _ q: Int) -> [ParseTree]? {
            guard let first = items.first else { return p == q ? [] : nil }
            let rest = items.dropFirst()
            for m in ends(first, p).sorted() where sequenceEnds(rest, from: [m]).contains(q) {
                if let head = derive(first, p, m), let tail = deriveSequence(rest, m, q) { return head + tail }
            }
            return nil
        }

        mutating func deriveRepetition(_ bounds: Bounds, _ inner: Int, _ p: Int, _ q: Int) -> [ParseTree]? {
            if bounds.min == 0 && p == q { return [] }
            if bounds.max == 0 { return nil }
            let rest = Bounds(min: Swift.max(0, bounds.min - 1), max: bounds.max.map { $0 - 1 })
            for m in ends(inner, p).sorted() {
                // An empty iteration past the minimum never helps; skipping it avoids loops.
                if m == p && bounds.min == 0 { continue }
                guard repetitionEnds(rest, inner, m).contains(q) else { continue }
                if let head = derive(inner, p, m), let tail = deriveRepetition(rest, inner, m, q) { return head + tail }
            }
            return nil
        }
    }
}

/// A derivation: which rule matched which byte range, nested.
public struct ParseTree: Sendable, Hashable, CustomStringConvertible {
    public var rule: String
    public var range: Range<Int>
    public var children: [ParseTree]

    public init(rule: String, range: Range<Int>, children: [ParseTree]) {
        self.rule = rule
        self.range = range
        self.children = children
    }

    /// Every node of the tree, depth first, parents before children.
    public var allNodes: [ParseTree] { [self] + children.flatMap(\.allNodes) }

    public var description: String { render(indent: 0) }

    private func render(indent: Int) -> String {
        let line = String(repeating: "  ", count: indent) + "\(rule) \(range.lowerBound)..<\(range.upperBound)"
        return ([line] + children.map { $0.render(indent: indent + 1) }).joined(separator: "\n")
    }
}
