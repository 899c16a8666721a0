// The parser's sources as the verification record sees them: the files a
// record vouches for, and one digest of them. VERIFICATION.md carries the
// digest; `smtp-fuzz check-record` (CI) fails when the sources no longer
// match it, so the record cannot silently describe older code.

import ABNFCompiler
import Foundation
import MutationCatalog

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
        try targets(packageRoot: packageRoot, module: module).map(\.path)
    }

    /// The module, then the local targets it depends on (sorted by name), with their folders.
    static func targets(packageRoot: String, module: String) throws -> [(name: String, path: String)] {
        try targets(try PackageDescriptionDump.load(packagePath: packageRoot).0, module: module)
    }

    static func targets(_ dump: PackageDescriptionDump, module: String) throws -> [(name: String, path: String)] {
        guard let target = dump.targets[module] else { throw CampaignError("Package.swift has no target \(module)") }
        var seen: [String] = []
        var stack = target.dependencies
        while let name = stack.popLast() {
            guard !seen.contains(name), let dependency = dump.targets[name] else { continue }
            seen.append(name)
            stack += dependency.dependencies
        }
        return [(module, target.path)] + seen.sorted().compactMap { name in dump.targets[name].map { (name, $0.path) } }
    }

    /// The module, then every local target it depends on (Package.swift) that holds
    /// hand-written Swift: the modules mutation testing instruments and the record's
    /// coverage measures. A C target (a SIMD kernel, say) holds no Swift and is left
    /// out of both; its folder still counts in the digest (`files`).
    public static func swiftModules(packageRoot: String, module: String = "SMTPCommandParser") throws -> [SourceModule] {
        try swiftModules(packageRoot: packageRoot, targets: targets(packageRoot: packageRoot, module: module))
    }

    static func swiftModules(packageRoot: String, targets: [(name: String, path: String)]) -> [SourceModule] {
        targets.filter { !handWrittenFiles(packageRoot: packageRoot, folder: $0.path).isEmpty }.enumerated().map {
            SourceModule(target: $0.element.name, path: $0.element.path, position: $0.offset)
        }
    }

    /// The folder's hand-written Swift files (generated ones start with `// DO NOT EDIT`), relative to the folder.
    public static func handWrittenFiles(packageRoot: String, folder: String) -> [String] {
        let folder = packageRoot + "/" + folder
        let entries = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return entries.sorted().filter { entry in
            guard entry.hasSuffix(".swift"), let data = FileManager.default.contents(atPath: folder + "/" + entry) else {
                return false
            }
            return !String(decoding: data.prefix(64), as: UTF8.self).hasPrefix("// DO NOT EDIT")
        }
    }

    /// The hand-written Swift files of the modules: each named as mutant keys and
    /// Fuzz/UNCOVERED name it, with its path relative to the package root.
    public static func handWrittenFiles(packageRoot: String, modules: [SourceModule]) -> [(name: String, path: String)] {
        modules.flatMap { m in
            handWrittenFiles(packageRoot: packageRoot, folder: m.path).map { (m.fileName($0), m.path + "/" + $0) }
        }
    }
}

/// A module whose hand-written files are mutated and measured, named after its
/// folder (as `smtp-mutate` names it).
public struct SourceModule: Sendable, Equatable {
    /// The target's name in Package.swift.
    public var target: String
    /// The source folder, relative to the package root.
    public var path: String
    /// The folder's name: the instrumented copy's folder, and the prefix of its file names.
    public var name: String
    /// See `MutantCatalog.Module.filePrefix`: empty for the parser, `<name>/` after it.
    public var filePrefix: String

    public init(target: String, path: String, position: Int) {
        self.target = target
        self.path = path
        name = URL(fileURLWithPath: path).lastPathComponent
        filePrefix = MutantCatalog.Module.filePrefix(module: name, position: position)
    }

    public func fileName(_ relativePath: String) -> String { filePrefix + relativePath }
}
