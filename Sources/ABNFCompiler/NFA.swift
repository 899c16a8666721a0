// Step 1 of compiling a rule: a Thompson NFA over bytes, with every rule
// reference inlined (the rule must not be recursive) and capture rules
// wrapped in tagged ε-edges.

import ABNF

/// Why a rule could not be compiled to an automaton.
public struct CompileError: Error, CustomStringConvertible, Sendable {
    public var rule: String
    public var message: String

    public var description: String { "rule \"\(rule)\": \(message)" }
}

struct NFA {
    struct ByteEdge {
        var lo: UInt8
        var hi: UInt8
        var to: Int
    }

    struct EpsilonEdge {
        var to: Int
        /// Tag number (2·field for a start, 2·field+1 for an end), or -1.
        var tag: Int
    }

    var byteEdges: [[ByteEdge]] = []
    var epsilonEdges: [[EpsilonEdge]] = []
    /// The rules each state is nested in (outermost first), as an index into `ruleStacks`.
    var stateRule: [Int] = []
    /// Distinct nestings of rules, as indices into `ruleNames`.
    var ruleStacks: [[Int]] = []
    var ruleNames: [String] = []
    var fields: [String] = []
    var start = 0
    var final = 0

    mutating func newState(rule: Int) -> Int {
        byteEdges.append([])
        epsilonEdges.append([])
        stateRule.append(rule)
        return byteEdges.count - 1
    }

    var stateCount: Int { byteEdges.count }
}

struct NFABuilder {
    let grammar: Grammar
    let captures: Bool
    /// Rules (by key) whose references match nothing: the NFA of the rest of
    /// the grammar, for the shuffle tables (ShuffleTables.swift).
    let excluded: Set<String>
    var nfa = NFA()
    var ruleNumber: [String: Int] = [:]
    var stack: [String] = []
    /// Guard against grammars whose expansion would not fit in memory.
    let stateLimit = 400_000

    init(grammar: Grammar, captures: Bool, excluded: Set<String> = []) {
        self.grammar = grammar
        self.captures = captures
        self.excluded = excluded
    }

    /// Builds the NFA of `ruleName`. Captures of rules nested inside it are
    /// tagged when `captures` is set; the rule's own capture is not. A
    /// reference to an `excluded` rule (by key) matches nothing.
    static func build(_ grammar: Grammar, rule ruleName: String, captures: Bool, excluded: Set<String> = []) throws(CompileError)
        -> NFA
    {
        guard let rule = grammar[ruleName] else { throw CompileError(rule: ruleName, message: "is not defined") }
        var builder = NFABuilder(grammar: grammar, captures: captures, excluded: excluded)
        let context = builder.stackID([builder.ruleIndex(rule.name)])
        builder.stack = [rule.key]
        let start = builder.nfa.newState(rule: context)
        let end = builder.nfa.newState(rule: context)
        try builder.add(rule.element, from: start, to: end, context: context)
        builder.nfa.start = start
        builder.nfa.final = end
        return builder.nfa
    }

    var stackIDs: [[Int]: Int] = [:]

    /// The id of the nesting `stack` (rule indices, outermost first).
    mutating func stackID(_ stack: [Int]) -> Int {
        if let id = stackIDs[stack] { return id }
        stackIDs[stack] = nfa.ruleStacks.count
        nfa.ruleStacks.append(stack)
        return nfa.ruleStacks.count - 1
    }

    mutating func ruleIndex(_ name: String) -> Int {
        if let known = ruleNumber[name] { return known }
        ruleNumber[name] = nfa.ruleNames.count
        nfa.ruleNames.append(name)
        return nfa.ruleNames.count - 1
    }

    mutating func fieldIndex(_ name: String) -> Int {
        if let i = nfa.fields.firstIndex(of: name) { return i }
        nfa.fields.append(name)
        return nfa.fields.count - 1
    }

    mutating func epsilon(_ from: Int, _ to: Int, tag: Int = -1) {
        nfa.epsilonEdges[from].append(.init(to: to, tag: tag))
    }

    mutating func byte(_ from: Int, _ lo: UInt8, _ hi: UInt8, _ to: Int) {
        nfa.byteEdges[from].append(.init(lo: lo, hi: hi, to: to))
    }

    /// Adds edges so that paths from `from` to `to` spell exactly `element`.
    mutating func add(_ element: Element, from: Int, to: Int, context: Int) throws(CompileError) {
        guard nfa.stateCount < stateLimit else {
            throw CompileError(rule: nfa.ruleNames[0], message: "expands to more than \(stateLimit) NFA states")
        }
        switch element {
        case .range(let lo, let hi):
            byte(from, lo, hi, to)
        case .literal(let bytes, let sensitive):
            guard !bytes.isEmpty else {
                epsilon(from, to)
                return
            }
            var current = from
            for (i, b) in bytes.enumerated() {
                let next = i == bytes.count - 1 ? to : nfa.newState(rule: context)
                let letter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
                if !sensitive && letter {
                    byte(current, b & ~0x20, b & ~0x20, next)
                    byte(current, b | 0x20, b | 0x20, next)
                } else {
                    byte(current, b, b, next)
                }
                current = next
            }
        case .alternation(let items):
            for item in items {
                let a = nfa.newState(rule: context)
                let b = nfa.newState(rule: context)
                epsilon(from, a)
                try add(item, from: a, to: b, context: context)
                epsilon(b, to)
            }
        case .concatenation(let items):
            var current = from
            for (i, item) in items.enumerated() {
                let next = i == items.count - 1 ? to : nfa.newState(rule: context)
                try add(item, from: current, to: next, context: context)
                current = next
            }
            if items.isEmpty { epsilon(from, to) }
        case .repetition(let bounds, let inner):
            // min mandatory copies, then (max - min) optional copies or a loop.
            var current = from
            for _ in 0..<bounds.min {
                let next = nfa.newState(rule: context)
                try add(inner, from: current, to: next, context: context)
                current = next
            }
            if let max = bounds.max {
                for _ in bounds.min..<Swift.max(max, bounds.min) {
                    let next = nfa.newState(rule: context)
                    epsilon(current, to)
                    try add(inner, from: current, to: next, context: context)
                    current = next
                }
                epsilon(current, to)
            } else {
                let loopStart = nfa.newState(rule: context)
                let loopEnd = nfa.newState(rule: context)
                epsilon(current, loopStart)
                try add(inner, from: loopStart, to: loopEnd, context: context)
                epsilon(loopEnd, loopStart)
                epsilon(loopStart, to)
            }
        case .rule(let ref):
            try addReference(ref.name, from: from, to: to, context: context)
        case .prose(let text, _):
            try addReference(text, from: from, to: to, context: context)
        }
    }

    mutating func addReference(_ name: String, from: Int, to: Int, context: Int) throws(CompileError) {
        guard let rule = grammar[name] else {
            throw CompileError(rule: nfa.ruleNames[0], message: "refers to \"\(name)\", which is not defined")
        }
        // No edge from `from` to `to`: nothing matches here.
        if excluded.contains(rule.key) { return }
        if stack.contains(rule.key) {
            let path = (stack + [rule.key]).compactMap { grammar[$0]?.name }.joined(separator: " → ")
            throw CompileError(rule: nfa.ruleNames[0], message: "is recursive (\(path)): it has no finite automaton")
        }
        stack.append(rule.key)
        defer { stack.removeLast() }
        let inner = stackID(nfa.ruleStacks[context] + [ruleIndex(rule.name)])
        if captures, let field = rule.captureName {
            let k = fieldIndex(field)
            let a = nfa.newState(rule: inner)
            let b = nfa.newState(rule: inner)
            epsilon(from, a, tag: 2 * k)
            try add(rule.element, from: a, to: b, context: inner)
            epsilon(b, to, tag: 2 * k + 1)
        } else {
            let a = nfa.newState(rule: inner)
            let b = nfa.newState(rule: inner)
            epsilon(from, a)
            try add(rule.element, from: a, to: b, context: inner)
            epsilon(b, to)
        }
    }
}
