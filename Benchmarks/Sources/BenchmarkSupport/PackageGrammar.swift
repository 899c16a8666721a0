// Loads the parser's base grammar profile from the package folder, for the
// interpreter baseline.

import ABNF
import Foundation

public enum PackageGrammar {
    public static func load() throws -> Grammar {
        var folder = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { folder.deleteLastPathComponent() }  // Benchmarks/Sources/BenchmarkSupport/x.swift
        let grammarFolder = folder.appendingPathComponent("Sources/SMTPCommandParser/Grammar")
        let manifest = try String(contentsOf: grammarFolder.appendingPathComponent("abnfc.conf"), encoding: .utf8)
        guard let line = manifest.split(separator: "\n").first(where: { $0.hasPrefix("profile base:") }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let files = line.dropFirst("profile base:".count).split(separator: " ").map(String.init)
        let sources = try files.map { file in
            GrammarSource(name: file, text: try String(contentsOf: grammarFolder.appendingPathComponent(file), encoding: .utf8))
        }
        return try Grammar.load(sources)
    }
}
