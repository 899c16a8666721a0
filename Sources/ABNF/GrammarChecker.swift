// Lints a loaded grammar: undefined rules, unbound prose, impossible repeats,
// left recursion (errors); unused rules and repeats that only match the empty
// string (warnings).

public enum GrammarChecker {
    public static func check(_ grammar: Grammar) -> [Diagnostic] {
        var found: [Diagnostic] = []
        func report(_ severity: Diagnostic.Severity, _ location: SourceLocation, _ message: String) {
            found.append(Diagnostic(severity, at: location, message, lineText: grammar.sourceLine(location)))
        }

        var referenced = Set<String>()
        for rule in grammar.rules where !rule.isCore {
            walk(rule.element) { element in
                switch element {
                case .rule(let ref):
                    if grammar[ref.name] == nil {
                        report(.error, ref.location, "rule \"\(ref.name)\" is not defined (used in \"\(rule.name)\")")
                    } else if ref.key != rule.key {
                        referenced.insert(ref.key)
                    }
                case .prose(let text, let location):
                    if let bound = grammar[text] {
                        if bound.key != rule.key { referenced.insert(bound.key) }
                    } else {
                        report(
                            .error, location,
                            "prose value <\(text)> is not bound to any rule: define a rule named \"\(text)\" or write it as grammar"
                        )
                    }
                case .repetition(let bounds, _):
                    if let max = bounds.max, max < bounds.min {
                        report(
                            .error, rule.location,
                            "impossible repeat \(bounds.min)*\(max) in \"\(rule.name)\": at least \(bounds.min) but at most \(max)"
                        )
                    } else if bounds.max == 0 {
                        report(.warning, rule.location, "repeat \(bounds) in \"\(rule.name)\" only matches the empty string")
                    }
                default:
                    break
                }
            }
        }

        for rule in grammar.rules where !rule.isCore && !rule.isEntry && !referenced.contains(rule.key) {
            report(.warning, rule.location, "rule \"\(rule.name)\" is never used: reference it or mark it \";@entry\"")
        }

        for cycle in leftRecursiveCycles(grammar) {
            let first = grammar[cycle[0]]!
            let path = (cycle + [cycle[0]]).map { grammar[$0]!.name }.joined(separator: " → ")
            report(.error, first.location, "left recursion: \(path) can call itself without consuming input")
        }
        return found.sorted { ($0.location, $0.message) < ($1.location, $1.message) }
    }

    /// Calls `visit` on `element` and every element inside it.
    public static func walk(_ element: Element, _ visit: (Element) -> Void) {
        visit(element)
        switch element {
        case .alternation(let items), .concatenation(let items):
            for item in items { walk(item, visit) }
        case .repetition(_, let inner):
            walk(inner, visit)
        case .rule, .literal, .range, .prose:
            break
        }
    }

    /// Rules (by key) that can match the empty string.
    public static func nullableRules(_ grammar: Grammar) -> Set<String> {
        var nullable = Set<String>()
        var changed = true
        while changed {
            changed = false
            for rule in grammar.rules where !nullable.contains(rule.key) {
                if isNullable(rule.element, grammar, nullable) {
                    nullable.insert(rule.key)
                    changed = true
                }
            }
        }
        return nullable
    }

    static func isNullable(_ element: Element, _ grammar: Grammar, _ nullable: Set<String>) -> Bool {
        switch element {
        case .alternation(let items): return items.contains { isNullable($0, grammar, nullable) }
        case .concatenation(let items): return items.allSatisfy { isNullable($0, grammar, nullable) }
        case .repetition(let bounds, let inner): return bounds.min == 0 || isNullable(inner, grammar, nullable)
        case .rule(let ref): return nullable.contains(ref.key)
        case .prose(let text, _): return grammar[text].map { nullable.contains($0.key) } ?? false
        case .literal(let bytes, _): return bytes.isEmpty
        case .range: return false
        }
    }

    /// Rules that `element` may call before consuming any input.
    static func leftCalls(_ element: Element, _ grammar: Grammar, _ nullable: Set<String>) -> Set<String> {
        switch element {
        case .alternation(let items):
            return items.reduce(into: Set()) { $0.formUnion(leftCalls($1, grammar, nullable)) }
        case .concatenation(let items):
            var calls = Set<String>()
            for item in items {
                calls.formUnion(leftCalls(item, grammar, nullable))
                if !isNullable(item, grammar, nullable) { break }
            }
            return calls
        case .repetition(let bounds, let inner):
            return bounds.max == 0 ? [] : leftCalls(inner, grammar, nullable)
        case .rule(let ref):
            return grammar[ref.name] == nil ? [] : [ref.key]
        case .prose(let text, _):
            return grammar[text].map { [$0.key] } ?? []
        case .literal, .range:
            return []
        }
    }

    /// Each cycle of the left-call graph once, as rule keys, in definition order.
    static func leftRecursiveCycles(_ grammar: Grammar) -> [[String]] {
        let nullable = nullableRules(grammar)
        var edges: [String: [String]] = [:]
        for rule in grammar.rules {
            edges[rule.key] = leftCalls(rule.element, grammar, nullable).sorted {
                (grammar.index(of: $0) ?? 0) < (grammar.index(of: $1) ?? 0)
            }
        }
        var cycles: [[String]] = []
        var inCycle = Set<String>()
        for rule in grammar.rules where !inCycle.contains(rule.key) {
            // Depth-first search for a path from the rule back to itself.
            var stack: [(String, [String])] = [(rule.key, [rule.key])]
            var seen = Set<String>()
            search: while let (node, path) = stack.popLast() {
                for next in edges[node] ?? [] {
                    if next == rule.key {
                        cycles.append(path)
                        inCycle.formUnion(path)
                        break search
                    }
                    if !seen.contains(next) {
                        seen.insert(next)
                        stack.append((next, path + [next]))
                    }
                }
            }
        }
        return cycles
    }

    /// Rules (by key) that can reach themselves through references.
    public static func recursiveRules(_ grammar: Grammar) -> Set<String> {
        var calls: [String: Set<String>] = [:]
        for rule in grammar.rules {
            var refs = Set<String>()
            walk(rule.element) { element in
                if case .rule(let ref) = element, grammar[ref.name] != nil { refs.insert(ref.key) }
                if case .prose(let text, _) = element, let bound = grammar[text] { refs.insert(bound.key) }
            }
            calls[rule.key] = refs
        }
        var recursive = Set<String>()
        for rule in grammar.rules {
            var seen = Set<String>()
            var work = Array(calls[rule.key] ?? [])
            while let next = work.popLast() {
                if next == rule.key {
                    recursive.insert(rule.key)
                    break
                }
                if seen.insert(next).inserted { work += calls[next] ?? [] }
            }
        }
        return recursive
    }
}
