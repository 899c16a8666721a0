// `abnfc vendor DEST`: copies the parser module (hand-written Swift, the
// generated automata and the grammar files they came from) into another
// package's source tree. Every Swift file gets a provenance header: the
// toolkit version, the grammar files' SHA-256, and the date and figures of
// the last verification (from the module's VERIFICATION.md, written by the
// campaign runner).

import Foundation

public enum Vendoring {
    public struct Result {
        public var copied: [String]
        public var header: String
    }

    /// Copies `module` (relative to the package) into `destination`, which is
    /// created if needed; existing files of the same names are replaced.
    /// `checkGenerated: false` skips the regeneration check (tests that
    /// already run the drift test).
    public static func vendor(
        packagePath: String, module: String = "Sources/SMTPCommandParser", to destination: String, checkGenerated: Bool = true
    ) throws -> Result {
        let fm = FileManager.default
        let source = packagePath + "/" + module
        guard fm.fileExists(atPath: source + "/Grammar/abnfc.conf") else {
            throw GenerationError(
                "\(source): not a grammar-generated module (no Grammar/abnfc.conf); run from the toolkit's package folder or pass --package-path"
            )
        }
        let stale = checkGenerated ? try PackageGenerator(packagePath: packagePath).staleFiles() : []
        guard stale.isEmpty else {
            throw GenerationError(
                "generated code is out of date (\(stale.joined(separator: ", "))): run `\(PackageGenerator.command)` and verify before vendoring"
            )
        }
        guard let files = fm.enumerator(atPath: source)?.compactMap({ $0 as? String }).sorted() else {
            throw GenerationError("\(source): cannot list the folder")
        }
        let grammarFiles = files.filter { $0.hasPrefix("Grammar/") && ($0.hasSuffix(".abnf") || $0.hasSuffix(".conf")) }
        var hashes: [String] = []
        for file in grammarFiles {
            guard let data = fm.contents(atPath: source + "/" + file) else { throw GenerationError("\(file): cannot read") }
            hashes.append("//   \(SHA256.hex(Array(data)))  \(file)")
        }
        let verification = lastVerification(fm.contents(atPath: source + "/VERIFICATION.md"))
        let header = """
            // Vendored from smtp-clientid-toolkit by `abnfc vendor` (toolkit \(ToolkitVersion.current)).
            // Do not edit here: change the toolkit's grammar or code, re-verify, vendor again.
            // Grammar files (SHA-256):
            \(hashes.joined(separator: "\n"))
            // Last verification: \(verification)

            """
        var copied: [String] = []
        for file in files {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: source + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let target = destination + "/" + file
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard var data = fm.contents(atPath: source + "/" + file) else { throw GenerationError("\(file): cannot read") }
            if file.hasSuffix(".swift") { data = Data(header.utf8) + data }
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            guard fm.createFile(atPath: target, contents: data) else { throw GenerationError("\(target): cannot write") }
            copied.append(file)
        }
        return Result(copied: copied, header: header)
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
