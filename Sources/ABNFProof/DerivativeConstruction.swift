// The independent construction: a rule of the grammar model becomes a
// regular expression (rule references inlined), and its DFA is the set of
// its Brzozowski derivatives. Nothing here comes from ABNFCompiler: no NFA,
// no subset construction, no Moore refinement.

import ABNF

/// Why a rule has no independent automaton.
public struct ConstructionError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case undefined
        case recursive
        case tooManyStates
    }

    public var rule: String
    public var kind: Kind
    public var message: String

    public var description: String { "rule \"\(rule)\": \(message)" }
}

/// Builds derivative automata for the rules of one grammar. Rules share one
/// term store, so a sub-rule is translated and differentiated once.
public final class DerivativeConstruction {
    public let grammar: Grammar
    /// Above this many derivatives a rule is reported instead of explored.
    public let stateLimit: Int
    let terms = Terms()
    private var ruleTerms: [String: Int] = [:]
    private var translating: [String] = []

    public init(_ grammar: Grammar, stateLimit: Int = 100_000) {
        self.grammar = grammar
        self.stateLimit = stateLimit
    }

    /// The DFA whose states are the dissimilar derivatives of `rule`,
    /// including ∅ (the dead state) when some byte leads there.
    public func automaton(rule name: String) throws(ConstructionError) -> ByteDFA {
        guard let rule = grammar[name] else {
            throw ConstructionError(rule: name, kind: .undefined, message: "is not defined")
        }
        translating = []
        let start = try term(ofRule: rule, from: rule.name)
        var states = [start]
        var stateOf = [start: 0]
        var columns: [Int] = []
        var head = 0
        while head < states.count {
            let term = states[head]
            head += 1
            let (classOf, count) = terms.derivativeClasses(term)
            var targets = [Int](repeating: -1, count: count)
            for b in 0..<256 where targets[classOf[b]] < 0 {
                let derivative = terms.derivative(term, UInt8(b))
                if let known = stateOf[derivative] {
                    targets[classOf[b]] = known
                } else {
                    guard states.count < stateLimit else {
                        throw ConstructionError(
                            rule: rule.name, kind: .tooManyStates, message: "has more than \(stateLimit) derivatives")
                    }
                    stateOf[derivative] = states.count
                    targets[classOf[b]] = states.count
                    states.append(derivative)
                }
            }
            for b in 0..<256 { columns.append(targets[classOf[b]]) }
        }
        return ByteDFA.compressing(
            stateCount: states.count, start: 0, accepting: states.map { terms.nullable($0) }, columns: columns)
    }

    // MARK: Grammar model → term

    private func term(ofRule rule: Rule, from root: String) throws(ConstructionError) -> Int {
        if let known = ruleTerms[rule.key] { return known }
        if translating.contains(rule.key) {
            let path = (translating + [rule.key]).compactMap { grammar[$0]?.name }.joined(separator: " → ")
            throw ConstructionError(
                rule: root, kind: .recursive, message: "is recursive (\(path)): its language need not be regular")
        }
        translating.append(rule.key)
        let result = try term(of: rule.element, root: root)
        translating.removeLast()
        ruleTerms[rule.key] = result
        return result
    }

    private func term(of element: Element, root: String) throws(ConstructionError) -> Int {
        switch element {
        case .alternation(let items):
            var members: [Int] = []
            for item in items { members.append(try term(of: item, root: root)) }
            return terms.union(members)
        case .concatenation(let items):
            var parts: [Int] = []
            for item in items { parts.append(try term(of: item, root: root)) }
            return terms.sequence(parts)
        case .repetition(let bounds, let inner):
            return terms.repetition(try term(of: inner, root: root), min: bounds.min, max: bounds.max)
        case .rule(let ref):
            return try referenced(ref.name, root: root)
        case .prose(let text, _):
            // RFC 5234 §4: prose is bound to the rule of the same name, if any.
            return try referenced(text, root: root)
        case .literal(let bytes, let caseSensitive):
            return terms.sequence(
                bytes.map { b in
                    var set = ByteSet(b, b)
                    // RFC 5234 §2.3: "..." is case-insensitive for ASCII letters only.
                    if !caseSensitive {
                        if b >= 0x41 && b <= 0x5A { set.insert(b + 0x20) }
                        if b >= 0x61 && b <= 0x7A { set.insert(b - 0x20) }
                    }
                    return terms.bytes(set)
                })
        case .range(let lo, let hi):
            return terms.bytes(ByteSet(lo, hi))
        }
    }

    private func referenced(_ name: String, root: String) throws(ConstructionError) -> Int {
        guard let rule = grammar[name] else {
            throw ConstructionError(rule: root, kind: .undefined, message: "refers to \"\(name)\", which is not defined")
        }
        return try term(ofRule: rule, from: root)
    }
}
