// `abnfc vendor DEST`: copies the parser module (hand-written Swift, the
// generated automata and the grammar files they came from) into another
// package's source tree, with every target it needs beside it. Every source
// file gets a provenance header: the toolkit version, the grammar files'
// SHA-256, and the date and figures of the last verification (from the
// module's VERIFICATION.md, written by the campaign runner).

import Foundation

public enum Vendoring {
    /// A target the vendored parser consists of, in dependency order, with
    /// its declaration for the other package's manifest.
    public struct Module: Sendable, Equatable {
        public var name: String
        public var dependencies: [String]
        public var exclude: [String]

        public var declaration: String {
            var arguments = ["name: \"\(name)\""]
            if !dependencies.isEmpty {
                arguments.append("dependencies: [\(dependencies.map { "\"\($0)\"" }.joined(separator: ", "))]")
            }
            if !exclude.isEmpty { arguments.append("exclude: [\(exclude.map { "\"\($0)\"" }.joined(separator: ", "))]") }
            return ".target(\(arguments.joined(separator: ", ")))"
        }
    }

    /// The parser and every target of this package it needs (`ToolingGraphTests`
    /// holds this list to Package.swift). The parser comes last.
    public static let modules: [Module] = [
        Module(name: "SMTPParserKernels", dependencies: [], exclude: []),
        Module(name: "SMTPParserRuntime", dependencies: ["SMTPParserKernels"], exclude: []),
        Module(name: "SMTPCommandParser", dependencies: ["SMTPParserRuntime"], exclude: ["Grammar", "VERIFICATION.md"]),
    ]

    public struct Result {
        /// Copied files, relative to the folder that holds the modules (`SMTPCommandParser/CommandParser.swift`).
        public var copied: [String]
        public var header: String
        /// The modules' declarations for the other package's Package.swift.
        public var declarations: [String]
    }

    /// Copies the parser into `destination` (the other package's
    /// `Sources/SMTPCommandParser`) and each module it needs into a folder of
    /// its name beside it (the runtime and its C kernels); folders are created if needed, and files of the
    /// same names are replaced. `checkGenerated: false` skips the
    /// regeneration check (tests that already run the drift test).
    public static func vendor(packagePath: String, to destination: String, checkGenerated: Bool = true) throws -> Result {
        let fm = FileManager.default
        guard let parser = modules.last else { throw GenerationError("no modules to vendor") }
        let sources = packagePath + "/Sources"
        guard fm.fileExists(atPath: "\(sources)/\(parser.name)/Grammar/abnfc.conf") else {
            throw GenerationError(
                "\(sources)/\(parser.name): not a grammar-generated module (no Grammar/abnfc.conf); run from the toolkit's package folder or pass --package-path"
            )
        }
        let trimmed = destination.hasSuffix("/") ? String(destination.dropLast()) : destination
        guard (trimmed as NSString).lastPathComponent == parser.name else {
            throw GenerationError(
                "\(destination): name the parser's own folder, e.g. OtherPackage/Sources/\(parser.name) (the modules it needs go beside it)"
            )
        }
        let stale = checkGenerated ? try PackageGenerator(packagePath: packagePath).staleFiles() : []
        guard stale.isEmpty else {
            throw GenerationError(
                "generated code is out of date (\(stale.joined(separator: ", "))): run `\(PackageGenerator.command)` and verify before vendoring"
            )
        }
        let parserFolder = "\(sources)/\(parser.name)"
        guard let parserFiles = fm.enumerator(atPath: parserFolder)?.compactMap({ $0 as? String }).sorted() else {
            throw GenerationError("\(parserFolder): cannot list the folder")
        }
        let grammarFiles = parserFiles.filter { $0.hasPrefix("Grammar/") && ($0.hasSuffix(".abnf") || $0.hasSuffix(".conf")) }
        var hashes: [String] = []
        for file in grammarFiles {
            guard let data = fm.contents(atPath: parserFolder + "/" + file) else { throw GenerationError("\(file): cannot read") }
            hashes.append("//   \(SHA256.hex(Array(data)))  \(parser.name)/\(file)")
        }
        let verification = lastVerification(fm.contents(atPath: parserFolder + "/VERIFICATION.md"))
        let header = """
            // Vendored from smtp-clientid-toolkit by `abnfc vendor` (toolkit \(ToolkitVersion.current)).
            // Do not edit here: change the toolkit's grammar or code, re-verify, vendor again.
            // Grammar files (SHA-256):
            \(hashes.joined(separator: "\n"))
            // Last verification: \(verification)

            """
        let parent = (trimmed as NSString).deletingLastPathComponent
        var copied: [String] = []
        for module in modules {
            let source = "\(sources)/\(module.name)"
            guard let files = fm.enumerator(atPath: source)?.compactMap({ $0 as? String }).sorted() else {
                throw GenerationError("\(source): cannot list the folder")
            }
            for file in files {
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: source + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    continue
                }
                let target = "\(parent.isEmpty ? "." : parent)/\(module.name)/\(file)"
                try fm.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard var data = fm.contents(atPath: source + "/" + file) else { throw GenerationError("\(file): cannot read") }
                // Swift and C sources take the same line comments.
                if [".swift", ".c", ".h"].contains(where: file.hasSuffix) { data = Data(header.utf8) + data }
                if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
                guard fm.createFile(atPath: target, contents: data) else { throw GenerationError("\(target): cannot write") }
                copied.append("\(module.name)/\(file)")
            }
        }
        return Result(copied: copied, header: header, declarations: modules.map(\.declaration))
    }

    /// The "Last verified:" line of VERIFICATION.md, or a note that there is none.
    static func lastVerification(_ data: Data?) -> String {
        guard let data else { return "none recorded (no VERIFICATION.md: run `swift run -c release smtp-fuzz` first)" }
        let text = String(decoding: data, as: UTF8.self)
        let summary = text.split(separator: "\n").first { $0.lowercased().hasPrefix("last verified:") }
        return summary.map { $0.dropFirst("last verified:".count).trimmingCharacters(in: .whitespaces) }
            ?? "see VERIFICATION.md (no \"Last verified:\" line)"
    }
}
