import ABNF
import ABNFProof
import Foundation
import SMTPParserRuntime
import XCTest

/// The package root, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    url.deleteLastPathComponent()  // ABNFProofTests
    url.deleteLastPathComponent()  // Tests
    url.deleteLastPathComponent()
    return url.path
}()

let parserModule = "Sources/SMTPCommandParser"

func manifest() throws -> ProofManifest {
    let path = "\(parserModule)/Grammar/abnfc.conf"
    return try ProofManifest.parse(try text(of: path), file: path)
}

func text(of relative: String) throws -> String {
    let data = try XCTUnwrap(FileManager.default.contents(atPath: packageRoot + "/" + relative), "cannot read \(relative)")
    return String(decoding: data, as: UTF8.self)
}

/// The grammar of a manifest profile, with `edits` (old text → new text)
/// applied to its files first; each old text must occur exactly once.
func profileGrammar(_ profile: String, editing edits: [(String, String)] = [], file: StaticString = #filePath, line: UInt = #line)
    throws -> Grammar
{
    var remaining = edits
    var sources: [GrammarSource] = []
    for name in try manifest().files(of: profile) {
        let relative = "\(parserModule)/Grammar/\(name)"
        var source = try text(of: relative)
        for (i, edit) in remaining.enumerated().reversed() where source.components(separatedBy: edit.0).count == 2 {
            source = source.replacingOccurrences(of: edit.0, with: edit.1)
            remaining.remove(at: i)
        }
        sources.append(GrammarSource(name: relative, text: source))
    }
    XCTAssertTrue(remaining.isEmpty, "edits not applied exactly once: \(remaining.map(\.0))", file: file, line: line)
    return try Grammar.loadChecked(sources).0
}

/// A grammar from ABNF text (core rules built in).
func grammar(_ text: String) throws -> Grammar {
    try Grammar.loadChecked([GrammarSource(name: "test.abnf", text: text)]).0
}

/// The committed automata of a generated file.
func committedAutomata(_ generatedFile: String) throws -> [GeneratedAutomaton] {
    try GeneratedCode.automata(in: try text(of: "\(parserModule)/Generated/\(generatedFile)"))
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// RFC 4648 base64, to re-encode tables a test has corrupted.
func base64(_ data: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var i = 0
    while i < data.count {
        let n = min(3, data.count - i)
        let chunk = (0..<3).map { i + $0 < data.count ? Int(data[i + $0]) : 0 }
        let v = chunk[0] << 16 | chunk[1] << 8 | chunk[2]
        for j in 0..<4 { out.append(j <= n ? alphabet[(v >> (18 - 6 * j)) & 63] : "=") }
        i += 3
    }
    return out
}

/// The table bytes of a decoded automaton, laid out as `Automaton.init` reads them.
func tableBytes(_ a: Automaton) -> [UInt8] {
    var out = a.byteClass
    for w in a.next { out += [UInt8(w & 0xFF), UInt8(w >> 8)] }
    out += a.action
    out += a.accept
    for w in a.stateRule { out += [UInt8(w & 0xFF), UInt8(w >> 8)] }
    return out
}
