// A grammar flattened into numbered nodes, shared by the interpreter and the
// random generator. Rule references become node indices; prose bound to a
// rule becomes a reference to it.

public struct CompiledGrammar: Sendable {
    public enum Node: Sendable, Hashable {
        case alternation([Int])
        case concatenation([Int])
        case repetition(Bounds, Int)
        /// A reference to rule number `rule` (its root node is `roots[rule]`).
        case reference(rule: Int)
        case literal([UInt8], caseSensitive: Bool)
        case range(UInt8, UInt8)
        /// An undefined rule or unbound prose: matches nothing.
        case never
    }

    public let grammar: Grammar
    public private(set) var nodes: [Node] = []
    /// Root node of each rule, indexed like `grammar.rules`.
    public private(set) var roots: [Int] = []

    public init(_ grammar: Grammar) {
        self.grammar = grammar
        roots = grammar.rules.map { add($0.element) }
    }

    public func ruleIndex(_ name: String) -> Int? { grammar.index(of: name) }

    private mutating func add(_ element: Element) -> Int {
        let node: Node
        switch element {
        case .alternation(let items): node = .alternation(items.map { add($0) })
        case .concatenation(let items): node = .concatenation(items.map { add($0) })
        case .repetition(let bounds, let inner): node = .repetition(bounds, add(inner))
        case .rule(let ref): node = grammar.index(of: ref.name).map { .reference(rule: $0) } ?? .never
        case .prose(let text, _): node = grammar.index(of: text).map { .reference(rule: $0) } ?? .never
        case .literal(let bytes, let sensitive): node = .literal(bytes, caseSensitive: sensitive)
        case .range(let lo, let hi): node = .range(lo, hi)
        }
        nodes.append(node)
        return nodes.count - 1
    }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
