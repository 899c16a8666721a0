import ABNF
import ABNFCompiler
import Foundation
import XCTest

/// How the generator derives an entry rule's shuffle form (ShuffleTables.swift),
/// run here by a plain interpreter of the tables, so that the derivation is
/// checked without the kernel: the prefix, the excluded rules, the chains that
/// become loops with a run limit, and what does not fit.
final class ShuffleTablesTests: XCTestCase {
    func grammar(_ text: String) throws -> Grammar {
        try Grammar.load([GrammarSource(name: "test.abnf", text: text)])
    }

    func form(_ grammar: Grammar, _ rule: String, excluding excluded: [String] = []) throws -> ShuffleTables {
        let dfa = try DFABuilder.build(grammar, rule: rule, captures: true)
        switch try ShuffleTableBuilder.build(grammar, rule: rule, fields: dfa.fields, excluding: excluded) {
        case .success(let tables): return tables
        case .failure(let why): throw GenerationError("no shuffle form: \(why)")
        }
    }

    /// The shuffle form's verdict as the kernel reaches it: the prefix (letters
    /// folded where the form says), one state per byte, the accept value of the
    /// last state, and no state longer in a run than its limit.
    func accepts(_ t: ShuffleTables, _ input: [UInt8]) -> Bool {
        guard input.count >= t.prefix.count else { return false }
        for (i, b) in t.prefix.enumerated()
        where (t.prefixFolds[i] ? input[i] | 0x20 : input[i]) != (t.prefixFolds[i] ? b | 0x20 : b) {
            return false
        }
        var state = 1
        var run = 0
        var previous = -1
        for b in input.dropFirst(t.prefix.count) {
            state = Int(t.next[16 * Int(t.byteClass[Int(b)]) + state] & 0x0F)
            run = state == previous ? run + 1 : 1
            previous = state
            if state == 0 || (t.runLimit[state] > 0 && run > t.runLimit[state]) { return false }
        }
        return t.accept[state] != 0
    }

    /// Every string over `alphabet` up to `length` bytes.
    func strings(_ alphabet: [UInt8], upTo length: Int) -> [[UInt8]] {
        var all: [[UInt8]] = [[]]
        var layer: [[UInt8]] = [[]]
        for _ in 0..<length {
            layer = layer.flatMap { s in alphabet.map { s + [$0] } }
            all += layer
        }
        return all
    }

    func testCountedRepetitionBecomesALoopWithARunLimit() throws {
        let g = try grammar("size = \"SIZE=\" 1*5DIGIT ;@entry\n")
        let t = try form(g, "size")
        XCTAssertEqual(t.prefix, Array("SIZE=".utf8))
        XCTAssertEqual(t.prefixFolds, [true, true, true, true, false])
        // The dead state, the state after the prefix, one state that loops on DIGIT.
        XCTAssertEqual(t.stateCount, 3)
        XCTAssertEqual(t.runLimit.filter { $0 != 0 }, [5])
        XCTAssertTrue(accepts(t, Array("size=12345".utf8)))
        XCTAssertFalse(accepts(t, Array("SIZE=123456".utf8)), "six digits run past the limit")
        XCTAssertFalse(accepts(t, Array("SIZE=".utf8)))
    }

    /// The form and the table automaton agree on every short string: where the
    /// form accepts, the automaton accepts; and with nothing excluded, where the
    /// automaton accepts, so does the form.
    func testTheFormAcceptsExactlyTheRulesStrings() throws {
        let g = try grammar(
            """
            line = "K" SP field *( "," field ) [SP word] CRLF ;@entry
            field = 1*3DIGIT ;@capture field
            word = 2*4ALPHA
            """)
        let t = try form(g, "line")
        let dfa = try DFABuilder.build(g, rule: "line", captures: true)
        var accepted = 0
        for tail in strings(Array("1,a \r\n".utf8), upTo: 8) {
            let input = Array("K ".utf8) + tail
            let expected = dfa.run(input).accepted
            XCTAssertEqual(accepts(t, input), expected, "\"\(escaped(input))\"")
            if expected { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 10)
    }

    func testAnExcludedRuleMatchesNothingAndTheRestIsKept() throws {
        let g = try grammar(
            """
            cmd = "CMD " ( plain / quoted ) CRLF ;@entry
            plain = 1*ALPHA
            quoted = DQUOTE 1*ALPHA DQUOTE
            """)
        let t = try form(g, "cmd", excluding: ["quoted"])
        XCTAssertTrue(accepts(t, Array("cmd abc\r\n".utf8)))
        XCTAssertFalse(accepts(t, Array("CMD \"abc\"\r\n".utf8)), "left to the table automaton")
        let whole = try form(g, "cmd")
        XCTAssertTrue(accepts(whole, Array("CMD \"abc\"\r\n".utf8)))
    }

    func testAFormOfMoreThanSixteenStatesIsRefusedWithTheReason() throws {
        let g = try grammar("w = \"W=\" ( \"ALPHABET\" / \"BRAVOHOTEL\" / \"CHARLIEFOX\" ) ;@entry\n")
        let dfa = try DFABuilder.build(g, rule: "w", captures: true)
        guard case .failure(let why) = try ShuffleTableBuilder.build(g, rule: "w", fields: dfa.fields, excluding: []) else {
            return XCTFail("a 26-state form was accepted")
        }
        XCTAssertTrue(why.description.contains("more than 16"), why.description)
    }

    /// The drift test's premise for the kernel: the same grammar edit that
    /// changes the table automaton changes the shuffle tables, so committed
    /// tables that no longer match the grammar fail GeneratedCodeDriftTests.
    func testAGrammarEditChangesTheShuffleTables() throws {
        let generator = PackageGenerator(packagePath: packageRoot)
        let path = "Sources/SMTPCommandParser/Grammar/clientid.abnf"
        let original = try String(contentsOfFile: packageRoot + "/" + path, encoding: .utf8)
        XCTAssertTrue(original.contains("1*128VCHAR"))
        let base = try generator.grammar(module: parserModule, profile: "base")
        let manifest = try generator.manifest(module: parserModule)
        let edited = try Grammar.load(
            manifest.files(of: "base").map { file in
                let name = "\(parserModule)/Grammar/\(file)"
                let text = try String(contentsOfFile: packageRoot + "/" + name, encoding: .utf8)
                return GrammarSource(
                    name: name, text: name == path ? text.replacingOccurrences(of: "1*128VCHAR", with: "1*127VCHAR") : text)
            })
        let excluded = manifest.shuffleExcluded ?? []
        let before = try form(base, "clientid", excluding: excluded)
        let after = try form(edited, "clientid", excluding: excluded)
        XCTAssertEqual(before.runLimit.max(), 128)
        XCTAssertEqual(after.runLimit.max(), 127)
        XCTAssertNotEqual(SwiftEmitter.shuffleBytes(before), SwiftEmitter.shuffleBytes(after))
    }
}
