// The mutants of an instrumented module, as `smtp-mutate` (Mutation/, on
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
    /// Stable across builds and unrelated edits: see `Instrumenter.key`.
    public var key: String
    /// Relative to the module folder.
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
        id: Int, key: String, file: String, line: Int, column: Int, operator: MutationOperator, declaration: String,
        declarationStart: Int, declarationEnd: Int, original: String, mutated: String, sourceLine: String
    ) {
        self.id = id
        self.key = key
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

/// What `smtp-mutate` wrote: the mutants of every instrumented file and the files left alone.
public struct MutantCatalog: Codable, Sendable {
    public var module: String
    public var mutants: [Mutant]
    /// Hand-written files that were instrumented (relative paths).
    public var instrumentedFiles: [String]
    /// Generated files (first line `// DO NOT EDIT`), copied unchanged: `abnfc verify` and
    /// `abnfc prove` check those against the grammar, so a mutant there is caught by construction.
    public var generatedFiles: [String]
    /// Mutants left out on request (`--exclude`), by key.
    public var excludedKeys: [String]

    public init(module: String, mutants: [Mutant], instrumentedFiles: [String], generatedFiles: [String], excludedKeys: [String])
    {
        self.module = module
        self.mutants = mutants
        self.instrumentedFiles = instrumentedFiles
        self.generatedFiles = generatedFiles
        self.excludedKeys = excludedKeys
    }
}
