// Properties of the ABNF front end on arbitrary text.
//
// Input layout: byte 0 says where to split the rest into two files
// (byte0 / 255 of the way; 255 = one file), so `=/` across files and
// duplicate definitions are reached. The text is the UTF-8 decoding of the
// bytes (invalid sequences become U+FFFD, as in `abnfc check`).
//
// Properties: GrammarParser.parse, Grammar.load and GrammarChecker.check
// return or throw diagnostics and never trap; every diagnostic names one of
// the files and a line/column inside its text, and its line text is that
// line. When the grammar loads and checks clean, each rule (at most 8) gets a
// random string from StringGenerator that the Interpreter must accept, if the
// grammar cannot make huge strings.

import ABNF

public enum GrammarProperties {
    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        guard let selector = input.first else { return }
        let rest = input.dropFirst()
        let split = selector == 255 ? rest.count : rest.count * Int(selector) / 255
        let first = String(decoding: rest.prefix(split), as: UTF8.self)
        let second = String(decoding: rest.dropFirst(split), as: UTF8.self)
        let sources =
            selector == 255
            ? [GrammarSource(name: "a.abnf", text: first)]
            : [GrammarSource(name: "a.abnf", text: first), GrammarSource(name: "b.abnf", text: second)]
        try check(sources)
    }

    public static func check(_ sources: [GrammarSource]) throws(PropertyViolation) {
        for source in sources {
            do throws(Diagnostic) {
                _ = try GrammarParser.parse(source.text, file: source.name)
            } catch {
                try checkLocation(error, sources, "parse")
            }
        }
        let grammar: Grammar
        do throws(GrammarError) {
            grammar = try Grammar.load(sources)
        } catch {
            try require(!error.diagnostics.isEmpty, "load-error-without-diagnostics", "Grammar.load threw an empty GrammarError")
            for d in error.diagnostics { try checkLocation(d, sources, "load") }
            return
        }
        let diagnostics = GrammarChecker.check(grammar)
        for d in diagnostics { try checkLocation(d, sources, "check") }
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return }
        try checkGeneratedStrings(grammar)
    }

    static func checkLocation(_ d: Diagnostic, _ sources: [GrammarSource], _ stage: String) throws(PropertyViolation) {
        guard let source = sources.first(where: { $0.name == d.location.file }) else {
            throw PropertyViolation("diagnostic-in-unknown-file", "\(stage): \(d.location) (files: \(sources.map(\.name)))")
        }
        // Lines as the parser counts them: split at LF; a column may point just past the line's end.
        let lines = Array(source.text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
        try require(
            d.location.line >= 1 && d.location.line <= lines.count, "diagnostic-line-outside-text",
            "\(stage): \(d.location) but the text has \(lines.count) lines: \(d.message)")
        let line = lines[d.location.line - 1]
        try require(
            d.location.column >= 1 && d.location.column <= line.count + 1, "diagnostic-column-outside-line",
            "\(stage): \(d.location) but line \(d.location.line) has \(line.count) bytes: \(d.message)")
        if let text = d.lineText {
            let bare = line.last == 0x0D ? line.dropLast() : line[...]
            try require(
                bare.starts(with: Array(text.utf8)), "diagnostic-line-text-wrong",
                "\(stage): \(d.location) shows \"\(text)\" for line \"\(String(decoding: line, as: UTF8.self))\"")
        }
        _ = d.description  // renders the caret line; must not trap
    }

    /// Generated strings of a clean grammar match their rule.
    static func checkGeneratedStrings(_ grammar: Grammar) throws(PropertyViolation) {
        // Repeat counts like 1000000000*1000000000"" make both the generator and
        // the interpreter loop that many times: slow by design, not a bug.
        var hugeRepeat = false
        for rule in grammar.rules where !rule.isCore {
            GrammarChecker.walk(rule.element) { element in
                if case .repetition(let bounds, _) = element, bounds.min > 256 || (bounds.max ?? 0) > 256 { hugeRepeat = true }
            }
        }
        guard !hugeRepeat else { return }
        let maxDepth = 6
        let generator = StringGenerator(grammar, unboundedExtra: 2, maxDepth: maxDepth)
        let bound = LengthBound(generator.compiled, maxDepth: maxDepth)
        let interpreter = Interpreter(grammar)
        var checked = 0
        for (index, rule) in grammar.rules.enumerated() where !rule.isCore {
            guard checked < 8 else { break }
            checked += 1
            guard bound.upperBound(rule: index) <= 256 else { continue }
            guard let string = generator.generate(rule.name, seed: UInt64(index)) else { continue }
            try require(
                interpreter.matches(rule.name, string.bytes), "generated-string-rejected",
                "StringGenerator made \(escaped(string.bytes)) for \(rule.name), which the Interpreter rejects")
        }
    }
}

/// An upper bound of the length StringGenerator can produce, so the harness
/// skips grammars whose strings are huge (a slow input, not a bug): below
/// `maxDepth` any choice, from there the shortest way out, as the generator does.
struct LengthBound {
    let compiled: CompiledGrammar
    let maxDepth: Int
    let cap = 1 << 20
    var minimum: [Int] = []

    init(_ compiled: CompiledGrammar, maxDepth: Int) {
        self.compiled = compiled
        self.maxDepth = maxDepth
        minimum = minimumLengths()
    }

    func add(_ a: Int, _ b: Int) -> Int { min(a + b, cap) }
    func times(_ a: Int, _ b: Int) -> Int { a == 0 || b == 0 ? 0 : (a > cap / b ? cap : min(a * b, cap)) }

    func minimumLengths() -> [Int] {
        var lengths = [Int](repeating: cap, count: compiled.nodes.count)
        var changed = true
        while changed {
            changed = false
            for (i, node) in compiled.nodes.enumerated() {
                let value: Int
                switch node {
                case .never: value = cap
                case .range: value = 1
                case .literal(let bytes, _): value = min(bytes.count, cap)
                case .alternation(let items): value = items.map { lengths[$0] }.min() ?? cap
                case .concatenation(let items): value = items.reduce(0) { add($0, lengths[$1]) }
                case .repetition(let bounds, let inner): value = times(bounds.min, lengths[inner])
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

    func upperBound(rule: Int) -> Int {
        var memo: [Int: Int] = [:]
        return upper(compiled.roots[rule], depth: 0, &memo)
    }

    func upper(_ node: Int, depth: Int, _ memo: inout [Int: Int]) -> Int {
        if depth >= maxDepth { return minimum[node] }
        let key = node * (maxDepth + 1) + depth
        if let known = memo[key] { return known }
        let value: Int
        switch compiled.nodes[node] {
        case .never: value = 0
        case .range: value = 1
        case .literal(let bytes, _): value = min(bytes.count, cap)
        case .alternation(let items): value = items.map { upper($0, depth: depth, &memo) }.max() ?? 0
        case .concatenation(let items): value = items.reduce(0) { add($0, upper($1, depth: depth, &memo)) }
        case .repetition(let bounds, let inner):
            value = times((bounds.max ?? bounds.min + 2), upper(inner, depth: depth, &memo))
        case .reference(let rule): value = upper(compiled.roots[rule], depth: depth + 1, &memo)
        }
        memo[key] = value
        return value
    }
}
