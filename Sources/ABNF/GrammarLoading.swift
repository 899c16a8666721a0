// Builds a Grammar from files: parses each, then merges `=/` increments
// (RFC 5234 §3.3) in file order.

/// Grammar text with the name used in diagnostics (usually its path).
public struct GrammarSource: Sendable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

extension Grammar {
    /// Parses and merges `sources` in order. Throws the first syntax error of
    /// each file and every merge error; does not run the checker.
    public static func load(_ sources: [GrammarSource]) throws(GrammarError) -> Grammar {
        var grammar = Grammar()
        var diagnostics: [Diagnostic] = []
        for source in sources {
            grammar.recordSource(file: source.name, text: source.text)
            let definitions: [RuleDefinition]
            do {
                definitions = try GrammarParser.parse(source.text, file: source.name)
            } catch {
                diagnostics.append(error)
                continue
            }
            for definition in definitions {
                if let problem = grammar.merge(definition) { diagnostics.append(problem) }
            }
        }
        guard diagnostics.isEmpty else { throw GrammarError(diagnostics) }
        return grammar
    }

    /// Loads and checks; warnings are returned, errors thrown.
    public static func loadChecked(_ sources: [GrammarSource]) throws(GrammarError) -> (Grammar, warnings: [Diagnostic]) {
        let grammar = try load(sources)
        let diagnostics = GrammarChecker.check(grammar)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { throw GrammarError(errors) }
        return (grammar, diagnostics.filter { $0.severity == .warning })
    }

    private mutating func merge(_ definition: RuleDefinition) -> Diagnostic? {
        let notes = definition.annotations.map(\.0)
        func problem(_ message: String) -> Diagnostic {
            Diagnostic(.error, at: definition.location, message, lineText: sourceLine(definition.location))
        }
        guard let index = index(of: definition.name) else {
            if definition.isIncremental {
                return problem("\"\(definition.name) =/\" adds alternatives to a rule that is not defined before it")
            }
            append(Rule(name: definition.name, element: definition.element, location: definition.location, annotations: notes))
            return nil
        }
        var existing = rules[index]
        if existing.isCore {
            return problem("\"\(definition.name)\" redefines the core rule \(existing.name) of RFC 5234 Appendix B")
        }
        guard definition.isIncremental else {
            return problem("\"\(definition.name)\" is already defined at \(existing.location); use \"=/\" to add alternatives")
        }
        var alternatives: [Element] = []
        for element in [existing.element, definition.element] {
            if case .alternation(let items) = element { alternatives += items } else { alternatives.append(element) }
        }
        existing.element = .alternation(alternatives)
        for note in notes where !existing.annotations.contains(note) { existing.annotations.append(note) }
        replace(at: index, with: existing)
        return nil
    }
}
