// The parser's sources as the verification record sees them: the files a
// record vouches for, and one digest of them. VERIFICATION.md carries the
// digest; `smtp-fuzz check-record` (CI) fails when the sources no longer
// match it, so the record cannot silently describe older code.

import ABNFCompiler
import Foundation

public enum ParserSources {
    /// Every file of each folder (relative to the package root) except the record
    /// itself and documentation catalogues, sorted. For the parser: its folder
    /// (what `abnfc vendor` copies), then those of the local targets it depends
    /// on (a C kernel target, a runtime module), read from Package.swift.
    public static func files(packageRoot: String, folders: [String]) throws -> [String] {
        var files: [String] = []
        for folder in folders {
            let url = URL(fileURLWithPath: packageRoot + "/" + folder)
            guard let entries = FileManager.default.enumerator(atPath: url.path)?.compactMap({ $0 as? String }) else {
                throw CampaignError("\(url.path): cannot list the folder")
            }
            for entry in entries.sorted() {
                guard entry != "VERIFICATION.md", !entry.hasSuffix(".docc"), !entry.contains(".docc/") else { continue }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path + "/" + entry, isDirectory: &isDirectory),
                    !isDirectory.boolValue, !entry.split(separator: "/").contains(where: { $0.hasPrefix(".") })
                else { continue }
                files.append(folder + "/" + entry)
            }
        }
        return files
    }

    /// SHA-256 over "<path>\0<SHA-256 of content>\n" per file, in order: a rename or
    /// a new file changes it, like an edit.
    public static func digest(packageRoot: String, files: [String]) throws -> String {
        var text = ""
        for file in files {
            guard let data = FileManager.default.contents(atPath: packageRoot + "/" + file) else {
                throw CampaignError("\(file): cannot read")
            }
            text += "\(file)\0\(SHA256.hex(Array(data)))\n"
        }
        return SHA256.hex(Array(text.utf8))
    }

    /// The digest of the module and the local targets it depends on (from `swift package dump-package`).
    public static func digest(packageRoot: String, module: String = "SMTPCommandParser") throws -> String {
        try digest(packageRoot: packageRoot, files: files(packageRoot: packageRoot, module: module))
    }

    public static func files(packageRoot: String, module: String = "SMTPCommandParser") throws -> [String] {
        try files(packageRoot: packageRoot, folders: folders(packageRoot: packageRoot, module: module))
    }

    /// The module's folder, then the folders of the local targets it depends on.
    static func folders(packageRoot: String, module: String) throws -> [String] {
        let (dump, _) = try PackageDescriptionDump.load(packagePath: packageRoot)
        guard let target = dump.targets[module] else { throw CampaignError("Package.swift has no target \(module)") }
        var seen: [String] = []
        var stack = target.dependencies
        while let name = stack.popLast() {
            guard !seen.contains(name), let dependency = dump.targets[name] else { continue }
            seen.append(name)
            stack += dependency.dependencies
        }
        return [target.path] + seen.sorted().compactMap { dump.targets[$0]?.path }
    }

    /// The module's hand-written Swift files (generated ones start with `// DO NOT EDIT`), relative to the module folder.
    public static func handWrittenFiles(packageRoot: String, module: String = "SMTPCommandParser") -> [String] {
        let folder = packageRoot + "/Sources/" + module
        let entries = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return entries.sorted().filter { entry in
            guard entry.hasSuffix(".swift"), let data = FileManager.default.contents(atPath: folder + "/" + entry) else {
                return false
            }
            return !String(decoding: data.prefix(64), as: UTF8.self).hasPrefix("// DO NOT EDIT")
        }
    }
}
