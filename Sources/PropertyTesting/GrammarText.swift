// Bytes with the derivation that produced them: what grammar generators give
// and what grammar combinators (concatenation, tagging) build on. The forest
// of rule matches locates a byte in the grammar ("mail > Reverse-path > Path >
// Mailbox > Local-part") and gives the ranges of `;@capture` rules.

import ABNF

public struct GrammarText: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]
    /// Top-level rule matches, in order; ranges are offsets into `bytes`.
    public var trees: [ParseTree]

    public init(bytes: [UInt8], trees: [ParseTree] = []) {
        self.bytes = bytes
        self.trees = trees
    }

    /// Bytes that no rule produced (glue between grammar pieces).
    public static func literal(_ text: String) -> GrammarText { GrammarText(bytes: Array(text.utf8)) }

    /// The single derivation covering all bytes, if there is one.
    public var tree: ParseTree? {
        trees.count == 1 && trees[0].range == 0..<bytes.count ? trees[0] : nil
    }

    public static func + (a: GrammarText, b: GrammarText) -> GrammarText {
        let shift = a.bytes.count
        return GrammarText(bytes: a.bytes + b.bytes, trees: a.trees + b.trees.map { $0.shifted(by: shift) })
    }

    /// The same bytes as one match of `rule` whose children are the current forest.
    public func tagged(_ rule: String) -> GrammarText {
        GrammarText(bytes: bytes, trees: [ParseTree(rule: rule, range: 0..<bytes.count, children: trees)])
    }

    /// Every rule match, depth first, parents before children.
    public var allNodes: [ParseTree] { trees.flatMap(\.allNodes) }

    /// The first match of `rule` (rule names are case-insensitive, RFC 5234 §2.1).
    public func first(_ rule: String) -> ParseTree? {
        let key = rule.lowercased()
        return allNodes.first { $0.rule.lowercased() == key }
    }

    public subscript(range: Range<Int>) -> [UInt8] { Array(bytes[range]) }

    /// The nested matches containing byte `offset`, outermost first.
    public func trail(at offset: Int) -> [ParseTree] {
        var path: [ParseTree] = []
        var level = trees
        while let node = level.first(where: { $0.range.contains(offset) }) {
            path.append(node)
            level = node.children
        }
        return path
    }

    /// The rule path of a byte, e.g. `mail > Reverse-path > Path > Mailbox > Local-part > Dot-string > Atom`.
    /// With `rule` (a rule an error message names), the path goes through the match
    /// of that rule which contains `offset` or ends just before it (errors such as
    /// "too long" point one past the rule), then down to its innermost rule there.
    public func rulePath(at offset: Int?, through rule: String? = nil) -> String {
        var path: [ParseTree] = []
        if let rule, let found = pathToMatch(of: rule, near: offset) {
            path = found
            let last = found[found.count - 1]
            let inner = offset.map { last.range.contains($0) ? $0 : last.range.upperBound - 1 } ?? last.range.upperBound - 1
            var level = last.children
            while let node = level.first(where: { $0.range.contains(inner) }) {
                path.append(node)
                level = node.children
            }
        } else if let offset {
            path = trail(at: min(offset, max(bytes.count - 1, 0)))
        }
        if path.isEmpty { path = trees.count == 1 ? [trees[0]] : [] }
        return path.isEmpty ? "(no rule)" : path.map(\.rule).joined(separator: " > ")
    }

    func pathToMatch(of rule: String, near offset: Int?) -> [ParseTree]? {
        let key = rule.lowercased()
        var best: [ParseTree]?
        var bestScore = -1
        func visit(_ node: ParseTree, _ ancestors: [ParseTree]) {
            let path = ancestors + [node]
            if node.rule.lowercased() == key, !node.range.isEmpty {
                // Prefer a match containing the offset, then one ending at it; deeper wins ties.
                let score: Int
                if let offset {
                    score = node.range.contains(offset) ? 2 : node.range.upperBound == offset ? 1 : 0
                } else {
                    score = 1
                }
                if score > bestScore || (score == bestScore && path.count > (best?.count ?? 0)) {
                    best = path
                    bestScore = score
                }
            }
            for child in node.children { visit(child, path) }
        }
        for tree in trees { visit(tree, []) }
        return best
    }

    public var description: String { "\"\(escaped(bytes))\"" }
}

extension ParseTree {
    func shifted(by offset: Int) -> ParseTree {
        ParseTree(
            rule: rule, range: (range.lowerBound + offset)..<(range.upperBound + offset),
            children: children.map { $0.shifted(by: offset) })
    }
}

/// One line for a report: printable ASCII as is, `\r`, `\n`, `\t`, `\\`, other bytes as `\xHH`.
public func escaped(_ bytes: some Sequence<UInt8>) -> String {
    var out = ""
    for b in bytes {
        switch b {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(b))
        default: out += "\\x" + hex(b)
        }
    }
    return out
}

extension Gen where Value == GrammarText {
    /// Fixed bytes that no rule produced.
    public static func literal(_ text: String) -> Gen<GrammarText> { .constant(.literal(text)) }

    /// The pieces one after another; their derivations become one forest.
    public static func concat(_ parts: [Gen<GrammarText>]) -> Gen<GrammarText> {
        Gen { draw in parts.reduce(GrammarText(bytes: [])) { $0 + $1.generate(&draw) } }
    }

    public static func concat(_ parts: Gen<GrammarText>...) -> Gen<GrammarText> { concat(parts) }

    /// The value as one match of `rule` (to rebuild the shape a grammar rule would have).
    public func tagged(_ rule: String) -> Gen<GrammarText> { map { $0.tagged(rule) } }

    /// `count` repetitions separated by `separator` (like `x *(SP x)`).
    public func repeated(count: ClosedRange<Int>, separator: String = "") -> Gen<GrammarText> {
        array(count: count).map { items in
            var out = GrammarText(bytes: [])
            for (i, item) in items.enumerated() {
                if i > 0 { out = out + .literal(separator) }
                out = out + item
            }
            return out
        }
    }

    /// Nothing, or the value; nothing is the simpler.
    public func orEmpty() -> Gen<GrammarText> { optional().map { $0 ?? GrammarText(bytes: []) } }
}
