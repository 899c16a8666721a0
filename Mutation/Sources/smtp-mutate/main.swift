// smtp-mutate: writes the instrumented copies of modules for mutation testing.
// A thin shell over MutationInstrumenter; `smtp-fuzz mutants` runs it.

import ArgumentParser
import Foundation
import MutationCatalog
import MutationInstrumenter

@main
struct SMTPMutate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-mutate",
        abstract: "Write copies of Swift modules with every mutant compiled in, each behind SMTP_MUTANT=<id>.",
        discussion: """
            Reads every .swift file under each --module. A file whose first line starts with \
            "// DO NOT EDIT" is generated and is linked unchanged: for the parser module, \
            `abnfc verify` and `abnfc prove` already check generated automata against the \
            grammar, so mutating them would test the generator twice. Every other file is \
            parsed with swift-syntax and each mutation site is switched at run time \
            (operators: boundary, constant, negate, true, false, and-or, delete, byte; \
            Mutation/README.md describes them).

            Several modules (the parser, then the modules it depends on) make one build: \
            mutant ids continue from one module to the next, each module's copy gets its own \
            __MutantSwitch.swift, and keys name the first module's files relative to its \
            folder (LineFramer.swift) and every other module's with the module in front \
            (SMTPParserRuntime/Automaton.swift). A module is named after its folder.

            Usually run by `smtp-fuzz mutants`, which finds the modules in Package.swift, \
            builds the copies, runs the checks per mutant and writes the report. By hand:
              swift run --package-path Mutation smtp-mutate \\
                --module Sources/SMTPCommandParser --module Sources/SMTPParserRuntime --list
            """)

    @Option(
        help: ArgumentHelp(
            "A module's source folder (repeatable: the parser first, then the modules it depends on).", valueName: "dir"))
    var module: [String] = []

    @Option(
        help: ArgumentHelp(
            "Where to write the instrumented copies, one folder per module named like its source folder (emptied first).",
            valueName: "dir"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Where to write the mutants as JSON (not inside --output, which holds source folders).", valueName: "file"))
    var catalog: String?

    @Option(help: ArgumentHelp("A mutant key to leave out (repeatable), e.g. one that does not compile.", valueName: "key"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("A file of mutant keys to leave out, one per line (# comments).", valueName: "file"))
    var excludeFile: String?

    @Flag(help: "Print the mutants instead of writing a copy.")
    var list = false

    func validate() throws {
        guard !module.isEmpty else { throw ValidationError("give at least one --module DIR") }
        let roots = module.map { URL(fileURLWithPath: $0).standardizedFileURL }
        for (folder, root) in zip(module, roots) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--module \(folder): no such folder")
            }
            if let other = roots.first(where: { $0 != root && $0.lastPathComponent == root.lastPathComponent }) {
                throw ValidationError(
                    "--module \(folder) and \(other.path): two modules named \(root.lastPathComponent) (a module is named after its folder)"
                )
            }
        }
        guard Set(roots).count == roots.count else { throw ValidationError("a --module is given twice") }
        if !list {
            guard let output, catalog != nil else { throw ValidationError("give --output DIR and --catalog FILE (or --list)") }
            let a = URL(fileURLWithPath: output).standardizedFileURL.path
            for b in roots.map(\.path) where a == b || b.hasPrefix(a + "/") || a.hasPrefix(b + "/") {
                throw ValidationError("--output must not be a module folder, contain one, or lie inside one")
            }
        }
    }

    func run() throws {
        var excluded = Set(exclude)
        if let excludeFile {
            let text = try String(contentsOfFile: excludeFile, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                if let key = line.split(separator: " ").first { excluded.insert(String(key)) }
            }
        }
        let folders = module.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let (result, desired) = try ModuleSet.instrument(folders, excluding: excluded)
        let (mutants, modules) = (result.mutants, result.modules)
        if list {
            for m in mutants { print("\(m.key)  \(m.summary)") }
            for m in modules {
                print(
                    "\(m.name): \(m.mutantCount) mutants (ids \(m.firstID)–\(m.firstID + m.mutantCount - 1)) in \(m.instrumentedFiles.count) hand-written files; \(m.generatedFiles.count) generated files left alone"
                )
            }
            return
        }
        let out = URL(fileURLWithPath: output!).standardizedFileURL
        try InstrumentedCopy.sync(out, desired)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result).write(to: URL(fileURLWithPath: catalog!))
        for m in modules {
            print(
                "\(m.name): \(m.mutantCount) mutants in \(m.instrumentedFiles.count) hand-written files → \(out.path)/\(m.name)")
        }
    }
}
