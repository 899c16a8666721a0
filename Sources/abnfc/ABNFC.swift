// abnfc: the ABNF compiler. A thin shell over ABNF and ABNFCompiler.

import ABNF
import ABNFCompiler
import ArgumentParser
import Foundation

@main
struct ABNFC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abnfc",
        abstract: "Check, interpret, sample and compile RFC 5234/7405 grammars.",
        discussion: """
            The grammar files under Sources/<Module>/Grammar/ are the single source of truth \
            for the SMTP command parser. Their manifest, Grammar/abnfc.conf, lists the \
            profiles (sets of files) and the Swift files generated from them.

            Typical use, from the package folder:
              abnfc check Sources/SMTPCommandParser/Grammar/*.abnf
              abnfc generate                  # after editing a grammar file
              abnfc verify                    # in CI: is Generated/ up to date?
              abnfc sample clientid --count 5 --seed 7
              printf 'a-b\\n-ab\\n' | abnfc match Ldh-str
            """,
        version: ToolkitVersion.current,
        subcommands: [Check.self, Generate.self, Verify.self, Sample.self, Match.self, Dict.self, Prove.self, Vendor.self]
    )
}

struct PackageOptions: ParsableArguments {
    @Option(name: .customLong("package-path"), help: "The package folder (default: the current folder).")
    var packagePath: String = "."
}

struct GrammarOptions: ParsableArguments {
    @OptionGroup var package: PackageOptions

    @Option(
        name: .customLong("grammar"),
        help: ArgumentHelp(
            "A grammar file to load instead of the package's profile (repeatable, loaded in order).", valueName: "file"))
    var files: [String] = []

    @Option(help: "The manifest profile to load (default: the first, e.g. `base`; `smtputf8` adds RFC 6531).")
    var profile: String?

    func load() throws -> Grammar {
        try GrammarSelection(packagePath: package.packagePath, files: files, profile: profile).load()
    }

    func rule(_ name: String, in grammar: Grammar) throws -> Rule {
        guard let rule = grammar[name] else {
            let close = grammar.ruleNames.filter { $0.lowercased().contains(name.lowercased()) }.prefix(8)
            let hint = close.isEmpty ? "" : " Similar: \(close.joined(separator: ", "))."
            throw ValidationError("no rule named \"\(name)\".\(hint)")
        }
        return rule
    }
}

/// Prints to standard error (progress and diagnostics never mix with output).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lint grammar files; exit non-zero on errors.",
        discussion: """
            Reports syntax errors with file, line and column, undefined rules, unbound prose, \
            impossible repeats such as 3*2 and left recursion (errors), and unused rules \
            (warnings). The files are loaded together, in order, as one grammar. Without \
            files, every profile of the package's manifest is checked.
            """)

    @OptionGroup var package: PackageOptions
    @Flag(help: "Treat warnings as errors.") var strict = false
    @Argument(help: "Grammar files (.abnf).") var files: [String] = []

    func run() throws {
        var sets: [(String, [GrammarSource])] = []
        var failed = false
        if files.isEmpty {
            let generator = PackageGenerator(packagePath: package.packagePath)
            for module in generator.grammarModules() {
                for profile in try generator.manifest(module: module).profiles {
                    let label = "\(module) profile \(profile.name)"
                    do {
                        let selection = GrammarSelection(packagePath: package.packagePath, files: [], profile: profile.name)
                        sets.append((label, try selection.sources()))
                    } catch {
                        note("\(label): \(error)")
                        failed = true
                    }
                }
            }
            if sets.isEmpty && !failed { throw ValidationError("no files given and no grammar manifest found") }
        } else {
            sets.append(
                (files.joined(separator: " "), try GrammarSelection(packagePath: ".", files: files, profile: nil).sources()))
        }
        for (label, sources) in sets {
            var diagnostics: [Diagnostic]
            var ruleCount = 0
            do {
                let grammar = try Grammar.load(sources)
                ruleCount = grammar.rules.filter { !$0.isCore }.count
                diagnostics = GrammarChecker.check(grammar)
            } catch {
                diagnostics = error.diagnostics
            }
            for d in diagnostics { note(d.description) }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            print(
                "\(label): \(ruleCount) rules, \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
            )
            if errors > 0 || (strict && warnings > 0) { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate every generated Swift file from the grammar files, in place.",
        discussion: "Reads Sources/*/Grammar/abnfc.conf and writes the files it names. Output is deterministic.")

    @OptionGroup var package: PackageOptions

    func run() throws {
        let generator = PackageGenerator(packagePath: package.packagePath)
        guard !generator.grammarModules().isEmpty else {
            throw ValidationError("no Sources/*/Grammar/abnfc.conf under \(generator.packagePath)")
        }
        let changed = try generator.write(progress: { note("compiling \($0)") })
        if changed.isEmpty {
            print("Generated code is up to date.")
        } else {
            for path in changed { print("wrote \(path)") }
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit non-zero when committed generated code differs from what `generate` would write.")

    @OptionGroup var package: PackageOptions

    func run() throws {
        let generator = PackageGenerator(packagePath: package.packagePath)
        guard !generator.grammarModules().isEmpty else {
            throw ValidationError("no Sources/*/Grammar/abnfc.conf under \(generator.packagePath)")
        }
        let stale = try generator.staleFiles(progress: { note("compiling \($0)") })
        guard stale.isEmpty else {
            note("Generated code is out of date with the grammar files:")
            for path in stale { note("  \(path)") }
            note("Run: \(PackageGenerator.command)")
            throw ExitCode(1)
        }
        print("Generated code matches the grammar files.")
    }
}

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print random strings of a rule, one a line, escaped (\\r, \\n, \\xHH).",
        discussion: """
            Valid strings cover every alternative and both bounds of every repetition as the \
            count grows. With --invalid, prints near misses (a byte deleted, inserted, replaced \
            or doubled, CRLF cut to LF, a bound exceeded or undercut by one) that the reference \
            interpreter rejects, each followed by a tab and what was changed.
            """)

    @OptionGroup var grammar: GrammarOptions
    @Argument(help: "The rule to sample (case-insensitive).") var rule: String
    @Option(help: "How many strings.") var count = 10
    @Option(help: "The random seed (same seed, same strings).") var seed: UInt64 = 1
    @Flag(help: "Print near misses the interpreter rejects instead of valid strings.") var invalid = false
    @Flag(help: "Print raw bytes instead of escaped lines.") var raw = false

    func run() throws {
        let loaded = try grammar.load()
        let rule = try grammar.rule(rule, in: loaded)
        let generator = StringGenerator(loaded)
        if invalid {
            let interpreter = Interpreter(loaded)
            var rng = SplitMix64(seed: seed)
            var printed = 0
            var attempts = 0
            while printed < count, attempts < count * 50 {
                attempts += 1
                guard let miss = generator.nearMiss(rule.name, rng: &rng) else { break }
                if interpreter.matches(rule.name, miss.bytes) { continue }
                emit(miss.bytes, note: miss.mutation)
                printed += 1
            }
        } else {
            for string in generator.covering(rule.name, seed: seed, limit: count) { emit(string.bytes, note: nil) }
        }
    }

    func emit(_ bytes: [UInt8], note: String?) {
        if raw {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            print(escapedLine(bytes) + (note.map { "\t# \($0)" } ?? ""))
        }
    }
}

struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the reference interpreter on each line of standard input.",
        discussion: """
            Prints `accept` or `reject` and the line, per line. Lines are read without their \
            line break; --crlf appends CRLF (for command rules that end in CRLF) and \
            --escaped reads \\r, \\n, \\t and \\xHH escapes. Exits 1 when any line is rejected.
            """)

    @OptionGroup var grammar: GrammarOptions
    @Argument(help: "The rule to match (case-insensitive).") var rule: String
    @Flag(help: "Append CRLF to each line before matching.") var crlf = false
    @Flag(help: "Read \\r, \\n, \\t, \\\\ and \\xHH escapes in the input.") var escaped = false
    @Flag(help: "Print the derivation tree of accepted lines.") var tree = false

    func run() throws {
        let loaded = try grammar.load()
        let rule = try grammar.rule(rule, in: loaded)
        let interpreter = Interpreter(loaded)
        var rejected = 0
        while let line = readLine(strippingNewline: true) {
            var bytes = escaped ? unescapedLine(line) : Array(line.utf8)
            if crlf { bytes += [0x0D, 0x0A] }
            if let parse = tree ? interpreter.parse(rule.name, bytes) : nil {
                print("accept\t\(line)\n\(parse)")
            } else if interpreter.matches(rule.name, bytes) {
                print("accept\t\(line)")
            } else {
                print("reject\t\(line)")
                rejected += 1
            }
        }
        if rejected > 0 { throw ExitCode(1) }
    }
}

struct Dict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a libFuzzer dictionary of the grammar's literal terminals.")

    @OptionGroup var grammar: GrammarOptions
    @Option(help: "Only literals of these rules (repeatable).") var rule: [String] = []
    @Option(help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let loaded = try grammar.load()
        let text = FuzzDictionary.make(loaded, rules: rule.isEmpty ? nil : rule)
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: "")
        }
    }
}
