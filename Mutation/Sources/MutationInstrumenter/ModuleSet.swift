// The modules of one mutation build: the parser, then the modules it depends
// on. They are linked into one process, so mutant ids continue from one
// module to the next (one SMTP_MUTANT value names one mutant of the build),
// and each module's copy gets its own __MutantSwitch.swift with its range of
// ids (the helpers are internal to the module that calls them).

import Foundation
import MutationCatalog

public enum ModuleSet {
    /// Instruments every `.swift` file of each folder (a module is named after its folder)
    /// and returns the catalogue and the copies' layout for `InstrumentedCopy.sync`:
    /// `<module>/<path>`, instrumented files written, every other file (and every folder
    /// with nothing instrumented in it) linked to the source.
    public static func instrument(_ folders: [URL], excluding: Set<String>) throws -> (
        MutantCatalog, [String: InstrumentedCopy.Entry]
    ) {
        var mutants: [Mutant] = []
        var modules: [MutantCatalog.Module] = []
        var desired: [String: InstrumentedCopy.Entry] = [:]
        for (position, root) in folders.enumerated() {
            let name = root.lastPathComponent
            let prefix = MutantCatalog.Module.filePrefix(module: name, position: position)
            let module = try instrument(root, name: name, prefix: prefix, firstID: mutants.count + 1, excluding: excluding)
            mutants += module.mutants
            modules.append(module.entry)
            for (path, entry) in module.copy { desired[name + "/" + path] = entry }
        }
        return (MutantCatalog(modules: modules, mutants: mutants, excludedKeys: excluding.sorted()), desired)
    }

    static func instrument(_ root: URL, name: String, prefix: String, firstID: Int, excluding: Set<String>) throws -> (
        mutants: [Mutant], entry: MutantCatalog.Module, copy: [String: InstrumentedCopy.Entry]
    ) {
        let fm = FileManager.default
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
                let file = try Instrumenter.instrument(
                    source, file: prefix + path, module: name, firstID: firstID + mutants.count, excluding: excluding)
                mutants += file.mutants
                instrumented[path] = file.text
            } catch {
                throw ModuleSetError(description: "\(root.path)/\(path): cannot fold its operators: \(error)")
            }
        }
        var copy: [String: InstrumentedCopy.Entry] = [
            MutantRuntime.fileName: .text(MutantRuntime.source(firstID: firstID, mutantCount: mutants.count))
        ]
        var linkedFolders: [String] = []
        for path in entries where !linkedFolders.contains(where: { path.hasPrefix($0 + "/") }) {
            let source = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: source.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                if !instrumented.keys.contains(where: { $0.hasPrefix(path + "/") }) {
                    copy[path] = .link(source.path)
                    linkedFolders.append(path)
                }
            } else {
                copy[path] = instrumented[path].map { .text($0) } ?? .link(source.path)
            }
        }
        let entry = MutantCatalog.Module(
            name: name, filePrefix: prefix, firstID: firstID, mutantCount: mutants.count,
            instrumentedFiles: instrumented.keys.sorted().map { prefix + $0 }, generatedFiles: generated.map { prefix + $0 })
        return (mutants, entry, copy)
    }
}

public struct ModuleSetError: Error, CustomStringConvertible {
    public var description: String
}
