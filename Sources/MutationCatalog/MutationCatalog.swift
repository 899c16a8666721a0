// The mutants of the instrumented modules, as `smtp-mutate` (Mutation/, on
// swift-syntax) writes them and `smtp-fuzz mutants` reads them: one
// definition for both sides of that JSON file. Standard library only, so the
// nested Mutation package builds nothing else of this package.
//
// A mutant is one planted bug: where it is, what it changes, and a key that
// stays the same when unrelated code moves (so a mutant documented as
// equivalent keeps its note while the file changes around it).

/// The mutation operators (docs: Mutation/README.md).
public enum MutationOperator: String, Codable, CaseIterable, Sendable {
    /// `<` ↔ `<=`, `>` ↔ `>=`.
    case relationalBoundary = "boundary"
    /// An integer literal + 1 and − 1.
    case integerConstant = "constant"
    /// A condition (if, guard, while, repeat-while, ternary, where) negated.
    case negateCondition = "negate"
    /// A condition replaced by `true`, or by `false`.
    case conditionTrue = "true"
    case conditionFalse = "false"
    /// `&&` ↔ `||`.
    case logicalConnector = "and-or"
    /// An assignment, a `throw`, or a `return` of an error, removed.
    case deleteStatement = "delete"
    /// A byte literal in a comparison swapped for the byte it is easily confused with (CR ↔ LF, SP ↔ HTAB, ...).
    case swapByte = "byte"
}

public struct Mutant: Codable, Equatable, Sendable {
    /// The run-time selector value (`SMTP_MUTANT`); only meaningful for one instrumented build.
    public var id: Int
    /// Stable across builds and unrelated edits: `<file>:<16 hex digits>` (see `Renderer.plant`).
    public var key: String
    /// The module the mutant is in (`MutantCatalog.Module.name`).
    public var module: String
    /// As `MutantCatalog.Module.fileName` names it: `LineFramer.swift` in the parser,
    /// `SMTPParserRuntime/Automaton.swift` in a module the parser depends on.
    public var file: String
    public var line: Int
    public var column: Int
    public var `operator`: MutationOperator
    /// The enclosing declaration, e.g. `LineParse.path(_:after:hint:_:)`.
    public var declaration: String
    /// First and last line of the enclosing declaration (to map a compile error to its mutants).
    public var declarationStart: Int
    public var declarationEnd: Int
    /// The code as written and as mutated (one line each, shortened).
    public var original: String
    public var mutated: String
    /// The source line the mutant is on, trimmed.
    public var sourceLine: String

    public init(
        id: Int, key: String, module: String, file: String, line: Int, column: Int, operator: MutationOperator,
        declaration: String,
        declarationStart: Int, declarationEnd: Int, original: String, mutated: String, sourceLine: String
    ) {
        self.id = id
        self.key = key
        self.module = module
        self.file = file
        self.line = line
        self.column = column
        self.operator = `operator`
        self.declaration = declaration
        self.declarationStart = declarationStart
        self.declarationEnd = declarationEnd
        self.original = original
        self.mutated = mutated
        self.sourceLine = sourceLine
    }

    /// `CommandParser.swift:154 LineParse.run(_:) boundary: length > 8 → length >= 8`.
    public var summary: String {
        "\(file):\(line) \(declaration) \(self.operator.rawValue): \(original) → \(mutated)"
    }
}

/// What `smtp-mutate` wrote: the mutants of every instrumented module and the files left alone.
public struct MutantCatalog: Codable, Sendable {
    /// One instrumented module: its own copy, its own `__MutantSwitch.swift`, its range of ids.
    public struct Module: Codable, Equatable, Sendable {
        /// The module's name: its source folder's name (SwiftPM's `Sources/<target>`).
        public var name: String
        /// Put before a path relative to the module's folder to name the file (see `fileName`).
        public var filePrefix: String
        /// Its mutants' ids: `firstID ..< firstID + mutantCount`. Ids continue from one
        /// module to the next, so one `SMTP_MUTANT` value names one mutant of the build.
        public var firstID: Int
        public var mutantCount: Int
        /// Hand-written files that were instrumented, named by `fileName`.
        public var instrumentedFiles: [String]
        /// Generated files (first line `// DO NOT EDIT`), copied unchanged: `abnfc verify` and
        /// `abnfc prove` check those against the grammar, so a mutant there is caught by construction.
        public var generatedFiles: [String]

        public init(
            name: String, filePrefix: String, firstID: Int, mutantCount: Int, instrumentedFiles: [String],
            generatedFiles: [String]
        ) {
            self.name = name
            self.filePrefix = filePrefix
            self.firstID = firstID
            self.mutantCount = mutantCount
            self.instrumentedFiles = instrumentedFiles
            self.generatedFiles = generatedFiles
        }

        /// How mutant keys, reports, Mutation/EQUIVALENT and Fuzz/UNCOVERED name a file of
        /// the module at `position` in the list (the parser first, then the modules it
        /// depends on): relative to its folder for the parser (`LineFramer.swift`, the
        /// names its keys have always had), `<module>/<path>` for every other module
        /// (`SMTPParserRuntime/Automaton.swift`), so two modules' files never share a name.
        public static func filePrefix(module: String, position: Int) -> String { position == 0 ? "" : module + "/" }

        public func fileName(_ relativePath: String) -> String { filePrefix + relativePath }
    }

    /// In order: the parser, then the modules it depends on.
    public var modules: [Module]
    public var mutants: [Mutant]
    /// Mutants left out on request (`--exclude`), by key.
    public var excludedKeys: [String]

    public init(modules: [Module], mutants: [Mutant], excludedKeys: [String]) {
        self.modules = modules
        self.mutants = mutants
        self.excludedKeys = excludedKeys
    }

    public var moduleNames: [String] { modules.map(\.name) }
    public var instrumentedFiles: [String] { modules.flatMap(\.instrumentedFiles) }
    public var generatedFiles: [String] { modules.flatMap(\.generatedFiles) }

    /// The module a file name (or a key, `<file>:<hash>`) belongs to: the one whose prefix it has.
    public func module(ofFile name: String) -> Module? {
        modules.first { !$0.filePrefix.isEmpty && name.hasPrefix($0.filePrefix) } ?? modules.first { $0.filePrefix.isEmpty }
    }
}
