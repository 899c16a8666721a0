// The grammar model shared by the parser, checker, interpreter, random
// generator and compiler. RFC 5234 §2–§4 with the RFC 7405 string forms.

/// Where something was written: file, 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }

    /// The location of the built-in core rules (RFC 5234 Appendix B).
    public static let core = SourceLocation(file: "<RFC 5234 Appendix B>", line: 0, column: 0)
}

/// A repetition bound `min*max` (RFC 5234 §3.6, §3.7); `max == nil` is unbounded.
public struct Bounds: Hashable, Sendable, CustomStringConvertible {
    public var min: Int
    public var max: Int?

    public init(min: Int, max: Int?) {
        self.min = min
        self.max = max
    }

    public static let optional = Bounds(min: 0, max: 1)

    public var description: String {
        switch (min, max) {
        case (let a, let b?) where a == b: return "\(a)"
        case (0, nil): return "*"
        case (let a, nil): return "\(a)*"
        case (0, let b?): return "*\(b)"
        case (let a, let b?): return "\(a)*\(b)"
        }
    }
}

/// A reference to a rule by name, with where it was written.
public struct RuleReference: Hashable, Sendable {
    public var name: String
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }

    /// Rule names are case-insensitive (RFC 5234 §2.1).
    public var key: String { name.lowercased() }
}

/// One ABNF element. Groups are represented by their content; options by
/// a `0*1` repetition.
public indirect enum Element: Hashable, Sendable {
    case alternation([Element])
    case concatenation([Element])
    case repetition(Bounds, Element)
    case rule(RuleReference)
    /// A quoted string: `"abc"` and `%i"abc"` fold ASCII letters, `%s"abc"` does not
    /// (RFC 5234 §2.3, RFC 7405 §2.2). Numeric sequences (`%x0D.0A`) are case-sensitive literals.
    case literal([UInt8], caseSensitive: Bool)
    /// A numeric range `%x41-5A` (RFC 5234 §3.4); a single `%x41` is `41-41`.
    case range(UInt8, UInt8)
    /// `<...>` prose (RFC 5234 §4): bound to a rule of the same name, or an error.
    case prose(String, SourceLocation)
}

/// A comment annotation (`;@entry`, `;@capture NAME`) attached to a rule.
public enum Annotation: Hashable, Sendable {
    /// A top-level rule that code calls directly; never reported as unused.
    case entry
    /// The rule's matched range is recorded as field `name` inside entry rules.
    case capture(String)
}

/// A rule after all of its `=/` increments have been merged.
public struct Rule: Sendable {
    public var name: String
    public var element: Element
    public var location: SourceLocation
    public var annotations: [Annotation]
    public var isCore: Bool

    public init(name: String, element: Element, location: SourceLocation, annotations: [Annotation] = [], isCore: Bool = false) {
        self.name = name
        self.element = element
        self.location = location
        self.annotations = annotations
        self.isCore = isCore
    }

    public var key: String { name.lowercased() }
    public var isEntry: Bool { annotations.contains(.entry) }
    public var captureName: String? {
        for case .capture(let name) in annotations { return name }
        return nil
    }
}

/// One `name = ...` or `name =/ ...` as written in a file.
public struct RuleDefinition: Sendable {
    public var name: String
    public var isIncremental: Bool
    public var element: Element
    public var location: SourceLocation
    public var annotations: [(Annotation, SourceLocation)]

    public init(
        name: String, isIncremental: Bool, element: Element, location: SourceLocation, annotations: [(Annotation, SourceLocation)]
    ) {
        self.name = name
        self.isIncremental = isIncremental
        self.element = element
        self.location = location
        self.annotations = annotations
    }
}

/// A set of rules, in definition order, with the core rules built in.
public struct Grammar: Sendable {
    public private(set) var rules: [Rule] = []
    private var indexByKey: [String: Int] = [:]
    /// The source text of each file, for diagnostics that show the line.
    public private(set) var sources: [String: [String]] = [:]

    /// A grammar holding only the RFC 5234 core rules.
    public init() {
        for rule in CoreRules.rules { append(rule) }
    }

    public subscript(name: String) -> Rule? {
        indexByKey[name.lowercased()].map { rules[$0] }
    }

    public func index(of name: String) -> Int? { indexByKey[name.lowercased()] }

    public var ruleNames: [String] { rules.map(\.name) }

    mutating func append(_ rule: Rule) {
        indexByKey[rule.key] = rules.count
        rules.append(rule)
    }

    mutating func replace(at index: Int, with rule: Rule) { rules[index] = rule }

    mutating func recordSource(file: String, text: String) {
        // Split the UTF-8 bytes: in a String, "\r\n" is one Character and never equals "\n".
        sources[file] = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self)
        }
    }

    /// The text of `location`'s line, if its file was loaded.
    public func sourceLine(_ location: SourceLocation) -> String? {
        guard let lines = sources[location.file], location.line >= 1, location.line <= lines.count else { return nil }
        return lines[location.line - 1]
    }
}
