import ABNF
import ABNFProof
import SMTPParserRuntime
import XCTest

/// The committed generated files accept exactly their grammars' languages.
final class PackageProofTests: XCTestCase {
    /// The proof of the whole package, run once for the tests that read it.
    static let fullReport = Result { try PackageProof.run(packagePath: packageRoot) }

    func testEveryRuleOfEveryProfileIsEquivalent() throws {
        let report = try Self.fullReport.get()
        let profiles = report.files.map(\.output.profile)
        XCTAssertTrue(profiles.contains("base") && profiles.contains("smtputf8"), "profiles proved: \(profiles)")
        for file in report.files {
            XCTAssertFalse(file.rules.isEmpty, "\(file.output.path): nothing proved")
            for proof in file.rules where !proof.holds {
                XCTFail("\(file.output.path) (profile \(file.output.profile)): \(proof.rule): \(proof.outcome)")
            }
        }
        XCTAssertTrue(report.holds)
    }

    /// Every non-recursive rule of the base grammar has its own automaton in
    /// SMTPGrammar.swift, and the smtputf8 file plus its fallback cover the
    /// whole smtputf8 grammar.
    func testEveryRuleIsCovered() throws {
        let report = try Self.fullReport.get()
        for file in report.files where ["base", "smtputf8"].contains(file.output.profile) {
            let grammar = try profileGrammar(file.output.profile)
            let recursive = GrammarChecker.recursiveRules(grammar)
            let proved = Set(file.rules.map { $0.rule.lowercased() })
            let expected = Set(grammar.rules.map(\.key)).subtracting(recursive)
            XCTAssertEqual(proved, expected, file.output.profile)
            if file.output.profile == "base" { XCTAssertFalse(file.rules.contains(where: \.isFallback)) }
        }
    }

    /// The independent automaton of a rule without captures is as small as
    /// the generator's after minimisation: two minimisation algorithms
    /// (Moore there, Hopcroft here) agree on the size of the minimal DFA.
    func testMinimalSizesAgreeForRulesWithoutCaptures() throws {
        let base = try XCTUnwrap(try Self.fullReport.get().files.first { $0.output.profile == "base" })
        let withoutCaptures = Set(try committedAutomata("SMTPGrammar.swift").filter(\.fields.isEmpty).map(\.rule))
        XCTAssertGreaterThan(withoutCaptures.count, 50)
        for proof in base.rules where withoutCaptures.contains(proof.rule) {
            XCTAssertEqual(proof.minimalStates, proof.generatorStates, proof.rule)
        }
    }

    func testSelectionByRuleAndProfile() throws {
        let report = try PackageProof.run(packagePath: packageRoot, profiles: ["smtputf8"], rules: ["sub-domain", "ALPHA"])
        XCTAssertEqual(report.files.map(\.output.profile), ["smtputf8"])
        let rules = report.allRules.map { "\($0.rule) \($0.namespace ?? "-") \($0.isFallback)" }
        XCTAssertEqual(rules.sorted(), ["ALPHA SMTPGrammar true", "sub-domain SMTPGrammarUTF8 false"])
        XCTAssertThrowsError(try PackageProof.run(packagePath: packageRoot, rules: ["no-such-rule"]))
        XCTAssertThrowsError(try PackageProof.run(packagePath: packageRoot, profiles: ["no-such-profile"]))
    }

    func testBoundsAreReadFromTheGrammarComments() throws {
        let report = try PackageProof.run(packagePath: packageRoot, profiles: ["base"], rules: ["SP"])
        let notes = report.bounds.notes.map { "\($0.location.file):\($0.location.line)\n" + $0.lines.joined(separator: "\n") }
        XCTAssertTrue(
            notes.contains { $0.contains("rfc5321.abnf") && $0.contains("§4.5.3.1.4") }, notes.joined(separator: "\n\n"))
        XCTAssertTrue(notes.contains { $0.contains("Standardized-tag") })
        XCTAssertEqual(report.bounds.recursiveRules.map(\.profile), ["base"])
        XCTAssertEqual(report.bounds.recursiveRules.first?.rules, [])
        XCTAssertTrue(report.bounds.proseValues.isEmpty)
    }

    func testGeneratedFileReaderFindsEveryAutomaton() throws {
        for name in ["SMTPGrammar.swift", "SMTPGrammarUTF8.swift"] {
            let source = try text(of: "\(parserModule)/Generated/\(name)")
            let automata = try GeneratedCode.automata(in: source)
            // The header says how many rules were compiled.
            let header = source.components(separatedBy: "table layout). ").dropFirst().first?.prefix { $0.isNumber }
            XCTAssertEqual(automata.count, Int(header.map(String.init) ?? ""), name)
            XCTAssertEqual(Set(automata.map(\.rule)).count, automata.count, name)
        }
        let tricky = """
            // Automaton(rule: "in a comment")
            let s = "Automaton(rule: \\"in a string\\")"
            let a = Automaton(
                rule: "x\\"y", fields: ["f"],
                classCount: 1, stateCount: 2, start: 1,
                tagMasks: [0x0, 0x1_0],
                ruleNames: ["x\\"y"],
                tables: \"\"\"
                    QUJD
                    \"\"\")
            """
        let found = try GeneratedCode.automata(in: tricky)
        XCTAssertEqual(found.map(\.rule), ["x\"y"])
        XCTAssertEqual(found.first?.tagMasks, [0, 16])
        XCTAssertEqual(found.first?.tables, "QUJD")
        XCTAssertEqual(found.first?.line, 3)
        XCTAssertThrowsError(try GeneratedCode.automata(in: "Automaton(rule: \"x\", classCount: 1)"))
    }
}
