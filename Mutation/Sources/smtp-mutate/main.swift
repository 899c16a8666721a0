// smtp-mutate: writes the instrumented copy of a module for mutation testing.
// A thin shell over MutationInstrumenter; `smtp-fuzz mutants` runs it.

import ArgumentParser
import Foundation
import MutationCatalog
import MutationInstrumenter

@main
struct SMTPMutate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-mutate",
        abstract: "Write a copy of a Swift module with every mutant compiled in, each behind SMTP_MUTANT=<id>.",
        discussion: """
            Reads every .swift file under --module. A file whose first line starts with \
            "// DO NOT EDIT" is generated and is linked unchanged: for the parser module, \
            `abnfc verify` and `abnfc prove` already check generated automata against the \
            grammar, so mutating them would test the generator twice. Every other file is \
            parsed with swift-syntax and each mutation site is switched at run time \
            (operators: boundary, constant, negate, true, false, and-or, delete, byte; \
            Mutation/README.md describes them).

            Usually run by `smtp-fuzz mutants`, which builds the copy, runs the checks \
            per mutant and writes the report. By hand:
              swift run --package-path Mutation smtp-mutate --module Sources/SMTPCommandParser --list
            """)

    @Option(help: ArgumentHelp("The module's source folder.", valueName: "dir"))
    var module: String

    @Option(help: ArgumentHelp("Where to write the instrumented copy (emptied first).", valueName: "dir"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Where to write the mutants as JSON (not inside --output, which is a source folder).", valueName: "file"))
    var catalog: String?

    @Option(help: ArgumentHelp("A mutant key to leave out (repeatable), e.g. one that does not compile.", valueName: "key"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("A file of mutant keys to leave out, one per line (# comments).", valueName: "file"))
    var excludeFile: String?

    @Flag(help: "Print the mutants instead of writing a copy.")
    var list = false

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: module, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--module \(module): no such folder")
        }
        if !list {
            guard let output, catalog != nil else { throw ValidationError("give --output DIR and --catalog FILE (or --list)") }
            let a = URL(fileURLWithPath: output).standardizedFileURL.path
            let b = URL(fileURLWithPath: module).standardizedFileURL.path
            guard a != b, !b.hasPrefix(a + "/") else {
                throw ValidationError("--output must not be the module folder or contain it")
            }
        }
    }

    func run() throws {
        let fm = FileManager.default
        let root = URL(fileURLWithPath: module).standardizedFileURL
        var excluded = Set(exclude)
        if let excludeFile {
            let text = try String(contentsOfFile: excludeFile, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                if let key = line.split(separator: " ").first { excluded.insert(String(key)) }
            }
        }
        let entries = (fm.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []).sorted()
        var mutants: [Mutant] = []
        var instrumented: [String: String] = [:]
        var generated: [String] = []
        for path in entries where path.hasSuffix(".swift") {
            let source = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            if Instrumenter.isGenerated(source) {
                generated.append(path)
                continue
            }
            do {
                let file = try Instrumenter.instrument(source, file: path, firstID: mutants.count + 1, excluding: excluded)
                mutants += file.mutants
                instrumented[path] = file.text
            } catch {
                throw ValidationError("\(root.path)/\(path): cannot fold its operators: \(error)")
            }
        }
        if list {
            for m in mutants { print("\(m.key)  \(m.summary)") }
            print(
                "\(mutants.count) mutants in \(instrumented.count) hand-written files; \(generated.count) generated files left alone"
            )
            return
        }
        let out = URL(fileURLWithPath: output!).standardizedFileURL
        // The copy has the module's layout: instrumented files written, every other file
        // (and every folder with nothing instrumented in it) linked. Files whose content
        // is unchanged are left untouched, so a rebuild recompiles only what changed.
        var desired: [String: InstrumentedCopy.Entry] = [
            MutantRuntime.fileName: .text(MutantRuntime.source(mutantCount: mutants.count))
        ]
        var linkedFolders: [String] = []
        for path in entries where !linkedFolders.contains(where: { path.hasPrefix($0 + "/") }) {
            let source = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: source.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                if !instrumented.keys.contains(where: { $0.hasPrefix(path + "/") }) {
                    desired[path] = .link(source.path)
                    linkedFolders.append(path)
                }
            } else {
                desired[path] = instrumented[path].map { .text($0) } ?? .link(source.path)
            }
        }
        try InstrumentedCopy.sync(out, desired)
        let catalogFile = URL(fileURLWithPath: catalog!)
        let result = MutantCatalog(
            module: root.path, mutants: mutants, instrumentedFiles: instrumented.keys.sorted(), generatedFiles: generated,
            excludedKeys: excluded.sorted())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result).write(to: catalogFile)
        print("\(mutants.count) mutants in \(instrumented.count) hand-written files → \(out.path)")
    }
}
