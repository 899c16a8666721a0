import XCTest

@testable import ABNF

// Shared helpers for the ABNF tests.

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Shows bytes readably in failure messages: printable ASCII as is, the rest as \xHH.
func show(_ bytes: some Sequence<UInt8>) -> String {
    "\""
        + bytes.map { b in
            b >= 0x20 && b <= 0x7E && b != 0x5C ? String(UnicodeScalar(b)) : "\\x\(hex(b))"
        }.joined() + "\""
}

/// Loads `text` as one grammar file (named `file`) without running the checker.
func load(_ text: String, file: String = "test.abnf") throws -> Grammar {
    try Grammar.load([GrammarSource(name: file, text: text)])
}

/// The error thrown by loading `sources`, or nil when they load.
func loadErrors(_ sources: [GrammarSource]) -> [Diagnostic]? {
    do {
        _ = try Grammar.load(sources)
        return nil
    } catch {
        return error.diagnostics
    }
}

/// The syntax error of `text`, or nil when it parses.
func syntaxError(_ text: String, file: String = "test.abnf") -> Diagnostic? {
    do {
        _ = try GrammarParser.parse(text, file: file)
        return nil
    } catch {
        return error
    }
}

/// A compact, location-free rendering of an element, for comparing parse results:
/// `alt(..)`, `cat(..)`, `rep(bounds, ..)`, rule names, `"ci"`, `%s"cs"`,
/// `%x0D.0A` (case-sensitive bytes that are not printable), `%x41-5A`, `<prose>`.
func render(_ element: Element) -> String {
    switch element {
    case .alternation(let items):
        return "alt(" + items.map(render).joined(separator: ", ") + ")"
    case .concatenation(let items):
        return "cat(" + items.map(render).joined(separator: ", ") + ")"
    case .repetition(let bounds, let inner):
        return "rep(\(bounds), \(render(inner)))"
    case .rule(let ref):
        return ref.name
    case .literal(let value, let caseSensitive):
        let printable = !value.isEmpty && value.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != 0x22 }
        if !caseSensitive { return "\"" + String(decoding: value, as: UTF8.self) + "\"" }
        if printable { return "%s\"" + String(decoding: value, as: UTF8.self) + "\"" }
        return "%x" + value.map(hex).joined(separator: ".")
    case .range(let lo, let hi):
        return lo == hi ? "%x\(hex(lo))" : "%x\(hex(lo))-\(hex(hi))"
    case .prose(let text, _):
        return "<\(text)>"
    }
}

/// Element of rule `name` in `grammar`, rendered; "<missing>" when absent.
func rendered(_ grammar: Grammar, _ name: String) -> String {
    grammar[name].map { render($0.element) } ?? "<missing>"
}
