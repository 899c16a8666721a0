import ABNF
import ABNFCompiler
import ABNFProof
import SMTPParserRuntime
import XCTest

/// Deliberately wrong automata must be caught, with the shortest
/// counterexample (the first in byte order among the shortest) and the side
/// that accepts it. Wrong grammars are compiled by the real generator,
/// emitted as Swift text and read back the way `abnfc prove` reads the
/// committed files; the proof is then against the ORIGINAL grammar.
final class PlantedBugTests: XCTestCase {
    /// Compiles `rules` of `grammar` with the generator and reads them back
    /// from the emitted Swift source.
    func generated(_ grammar: Grammar, _ rules: [String]) throws -> [GeneratedAutomaton] {
        let compiled = try PackageGenerator.compile(grammar, rules: rules)
        let text = SwiftEmitter.emit(
            .init(
                namespace: "Planted", grammarFiles: ["(planted bug)"], command: "(test)",
                automata: compiled.automata, descent: compiled.descent, grammar: grammar))
        let automata = try GeneratedCode.automata(in: text)
        XCTAssertEqual(automata.map(\.rule), rules)
        return automata
    }

    /// The proofs of `automata` against `original`, by rule name.
    func prove(_ automata: [GeneratedAutomaton], against original: Grammar) -> [String: RuleProof] {
        let names = Set(automata.map { $0.rule.lowercased() })
        let result = PackageProof.prove(
            grammar: original, own: ("Planted", automata), selected: { names.contains($0.lowercased()) })
        return Dictionary(uniqueKeysWithValues: result.rules.map { ($0.rule, $0) })
    }

    func assertDifferent(
        _ proof: RuleProof?, _ expected: [UInt8], acceptedBy side: Side, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let proof else { return XCTFail("no proof", file: file, line: line) }
        guard case .different(let counterexample) = proof.outcome else {
            return XCTFail("\(proof.rule): expected a difference, got \(proof.outcome)", file: file, line: line)
        }
        XCTAssertEqual(escapedBytes(counterexample.input), escapedBytes(expected), "\(proof.rule)", file: file, line: line)
        XCTAssertEqual(counterexample.acceptedBy, side, "\(proof.rule)", file: file, line: line)
    }

    // MARK: Wrong grammars compiled by the generator

    /// `client-id-token = 1*127VCHAR` instead of 1*128: a 128-byte token is
    /// the only difference. The smallest VCHAR is "!", the smallest
    /// client-id-type-char is "-", and upper case comes before lower case.
    func testOffByOneBoundIsCaught() throws {
        let original = try profileGrammar("base")
        let wrong = try profileGrammar("base", editing: [("client-id-token = 1*128VCHAR", "client-id-token = 1*127VCHAR")])
        let proofs = prove(try generated(wrong, ["clientid", "client-id-token"]), against: original)
        let token = [UInt8](repeating: UInt8(ascii: "!"), count: 128)
        assertDifferent(proofs["client-id-token"], token, acceptedBy: .second)
        assertDifferent(proofs["clientid"], bytes("CLIENTID - ") + token + bytes("\r\n"), acceptedBy: .second)
        if case .different(let c) = proofs["clientid"]?.outcome {
            print("planted 1*127VCHAR, clientid: \(c)")
        }
    }

    /// Snum without its last alternative `"25" %x30-35`: 250-255 are lost.
    func testDroppedAlternativeIsCaught() throws {
        let original = try profileGrammar("base")
        let wrong = try profileGrammar("base", editing: [("     / \"25\" %x30-35\n", "\n")])
        let proofs = prove(try generated(wrong, ["Snum", "IPv4-address-literal", "ehlo", "address-literal"]), against: original)
        assertDifferent(proofs["Snum"], bytes("250"), acceptedBy: .second)
        assertDifferent(proofs["IPv4-address-literal"], bytes("0.0.0.250"), acceptedBy: .second)
        assertDifferent(proofs["address-literal"], bytes("[0.0.0.250]"), acceptedBy: .second)
        assertDifferent(proofs["ehlo"], bytes("EHLO [0.0.0.250]\r\n"), acceptedBy: .second)
    }

    /// An extra alternative (the D4 erratum's "_"): the generated side accepts more.
    func testAddedAlternativeIsCaught() throws {
        let original = try profileGrammar("base")
        let wrong = try profileGrammar(
            "base",
            editing: [("client-id-type-char = ALPHA / DIGIT / \"-\"", "client-id-type-char = ALPHA / DIGIT / \"-\" / \"_\"")])
        let proofs = prove(try generated(wrong, ["client-id-type", "clientid"]), against: original)
        assertDifferent(proofs["client-id-type"], bytes("_"), acceptedBy: .first)
        assertDifferent(proofs["clientid"], bytes("CLIENTID _ !\r\n"), acceptedBy: .first)
    }

    /// A case-sensitive verb (`%s"CLIENTID"`): the first lower-case variant
    /// in byte order changes the last letter.
    func testLostCaseInsensitivityIsCaught() throws {
        let original = try profileGrammar("base")
        let wrong = try profileGrammar("base", editing: [("clientid = \"CLIENTID\" SP", "clientid = %s\"CLIENTID\" SP")])
        let proofs = prove(try generated(wrong, ["clientid"]), against: original)
        assertDifferent(proofs["clientid"], bytes("CLIENTId - !\r\n"), acceptedBy: .second)
    }

    /// An unbounded repeat where the grammar has a bound: the shortest
    /// string past the bound is 17 type characters.
    func testLostUpperBoundIsCaught() throws {
        let original = try profileGrammar("base")
        let wrong = try profileGrammar(
            "base", editing: [("client-id-type = 1*16client-id-type-char", "client-id-type = 1*client-id-type-char")])
        let proofs = prove(try generated(wrong, ["client-id-type"]), against: original)
        assertDifferent(proofs["client-id-type"], [UInt8](repeating: UInt8(ascii: "-"), count: 17), acceptedBy: .first)
    }

    // MARK: Corrupted committed tables

    /// Re-encodes the committed tables of `rule` after `corrupt` changes the decoded automaton's arrays.
    func corrupted(_ rule: String, _ corrupt: (inout [UInt8], Automaton) -> Void) throws -> GeneratedAutomaton {
        var generated = try XCTUnwrap(try committedAutomata("SMTPGrammar.swift").first { $0.rule == rule })
        let automaton = try generated.decoded()
        var table = tableBytes(automaton)
        corrupt(&table, automaton)
        generated.tables = base64(table)
        return generated
    }

    func testCorruptedByteClassIsCaught() throws {
        // DIGIT: byte "5" moved into the class of NUL (a non-digit).
        let wrong = try corrupted("DIGIT") { table, _ in table[0x35] = table[0x00] }
        let proofs = prove([wrong], against: try profileGrammar("base"))
        assertDifferent(proofs["DIGIT"], bytes("5"), acceptedBy: .second)
    }

    func testCorruptedAcceptIsCaught() throws {
        // ALPHA: the start state made accepting, so the empty string matches.
        let wrong = try corrupted("ALPHA") { table, a in
            let acceptOffset = 256 + 2 * a.stateCount * a.classCount + a.action.count
            table[acceptOffset + a.start] = 1
        }
        let proofs = prove([wrong], against: try profileGrammar("base"))
        assertDifferent(proofs["ALPHA"], [], acceptedBy: .first)
    }

    func testRowZeroIsDeadWhateverItsTableSays() throws {
        // The runtime rejects on entering state 0, whatever row 0 holds;
        // pointing row 0 back at the start must change nothing.
        let wrong = try corrupted("CRLF") { table, a in
            for c in 0..<a.classCount {
                table[256 + 2 * c] = UInt8(a.start)
                table[256 + 2 * c + 1] = 0
            }
        }
        let proofs = prove([wrong], against: try profileGrammar("base"))
        guard case .equivalent = proofs["CRLF"]?.outcome else { return XCTFail("\(String(describing: proofs["CRLF"]))") }
    }

    func testTruncatedTablesAreReportedNotTrapped() throws {
        var wrong = try XCTUnwrap(try committedAutomata("SMTPGrammar.swift").first { $0.rule == "SP" })
        wrong.tables = String(wrong.tables.dropLast(12))
        let proofs = prove([wrong], against: try profileGrammar("base"))
        guard case .failed(let why) = proofs["SP"]?.outcome else { return XCTFail("\(String(describing: proofs["SP"]))") }
        XCTAssertTrue(why.contains("tables hold"), why)
    }

    // MARK: Coverage of the grammar

    func testMissingAndUnexpectedAutomataAreReported() throws {
        let base = try profileGrammar("base")
        var automata = try committedAutomata("SMTPGrammar.swift").filter { $0.rule != "DIGIT" }
        automata[0].rule = "no-such-rule"
        let result = PackageProof.prove(grammar: base, own: ("Partial", automata))
        let byRule = Dictionary(uniqueKeysWithValues: result.rules.map { ($0.rule, $0.outcome) })
        guard case .missing = byRule["DIGIT"] else { return XCTFail("DIGIT: \(String(describing: byRule["DIGIT"]))") }
        guard case .unexpected = byRule["no-such-rule"] else { return XCTFail("\(String(describing: byRule["no-such-rule"]))") }
        // ALPHA lost its automaton to the rename, so it is missing too.
        guard case .missing = byRule["ALPHA"] else { return XCTFail("ALPHA: \(String(describing: byRule["ALPHA"]))") }
        XCTAssertEqual(result.rules.filter(\.holds).count, result.rules.count - 3)
    }
}
