// Errors and warnings about grammar text, printed like a compiler's:
//
//   Grammar/clientid.abnf:4:31: error: expected an element after "/", found "/"
//   client-id-type-char = ALPHA / / "-"
//                                 ^

public struct Diagnostic: Error, Sendable, CustomStringConvertible, Hashable {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// The text of the offending line, shown with a caret under the column.
    public var lineText: String?

    public init(_ severity: Severity, at location: SourceLocation, _ message: String, lineText: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.lineText = lineText
    }

    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if let line = lineText, location.column >= 1 {
            // Tabs are kept so the caret lines up under the same column in a terminal.
            let pad = line.prefix(location.column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n\(line)\n\(pad)^"
        }
        return text
    }
}

/// One or more diagnostics that stop a grammar from being used.
public struct GrammarError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
