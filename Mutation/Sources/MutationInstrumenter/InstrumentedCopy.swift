// Writes the instrumented copy of a module: a folder with the module's layout
// in which instrumented files are written and everything else is linked.

import Foundation

public enum InstrumentedCopy {
    public enum Entry: Equatable, Sendable {
        case text(String)
        case link(String)
    }

    /// Makes `folder` hold exactly `desired` (relative paths), touching only what differs:
    /// an unchanged file keeps its modification time, so a rebuild recompiles only what changed.
    public static func sync(_ folder: URL, _ desired: [String: Entry]) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        // What is there now, without following links.
        var existing: [String: Entry?] = [:]
        func walk(_ relative: String) throws {
            let url = relative.isEmpty ? folder : folder.appendingPathComponent(relative)
            for name in try fm.contentsOfDirectory(atPath: url.path) {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = folder.appendingPathComponent(path).path
                if let target = try? fm.destinationOfSymbolicLink(atPath: full) {
                    existing[path] = .link(target)
                    continue
                }
                var isDirectory: ObjCBool = false
                _ = fm.fileExists(atPath: full, isDirectory: &isDirectory)
                if isDirectory.boolValue {
                    existing[path] = .some(nil)
                    try walk(path)
                } else {
                    existing[path] = fm.contents(atPath: full).map { .text(String(decoding: $0, as: UTF8.self)) }
                }
            }
        }
        try walk("")
        // Remove what should not be there (deepest first), then write what differs.
        for (path, entry) in existing.sorted(by: { $0.key > $1.key }) {
            let isFolder = entry == nil
            let keep = isFolder ? desired.keys.contains { $0.hasPrefix(path + "/") } : desired[path] == entry
            if !keep { try? fm.removeItem(at: folder.appendingPathComponent(path)) }
        }
        for (path, entry) in desired.sorted(by: { $0.key < $1.key }) {
            if let now = existing[path], now == entry { continue }
            let url = folder.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch entry {
            case .text(let text): try Data(text.utf8).write(to: url)
            case .link(let target): try fm.createSymbolicLink(atPath: url.path, withDestinationPath: target)
            }
        }
    }
}
