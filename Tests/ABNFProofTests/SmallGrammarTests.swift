import ABNF
import ABNFProof
import XCTest

/// The independent construction and the equivalence check on grammars
/// small enough to know the answer by hand.
final class SmallGrammarTests: XCTestCase {
    func dfa(_ text: String, _ rule: String) throws -> ByteDFA {
        try DerivativeConstruction(try grammar(text)).automaton(rule: rule)
    }

    func difference(_ a: String, _ b: String, rule: String = "r") throws -> Counterexample? {
        Equivalence.compare(try dfa(a, rule), try dfa(b, rule)).counterexample
    }

    /// RFC 5321 §4.1.2 Ldh-str: not greedy, "a-b" matches; a leading "-" is
    /// allowed by this rule (sub-domain puts a Let-dig first), a trailing one is not.
    func testLdhStr() throws {
        let ldh = """
            Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
            Let-dig = ALPHA / DIGIT

            """
        let a = try dfa(ldh, "Ldh-str")
        for yes in ["a", "a-b", "a--b", "-a", "0", "Z9"] { XCTAssertTrue(a.accepts(bytes(yes)), yes) }
        for no in ["", "-", "a-", "a_b", "a.b", "a b"] { XCTAssertFalse(a.accepts(bytes(no)), no) }
        // Minimal: "needs a Let-dig" (start, or after "-"), "ends in a Let-dig", dead.
        XCTAssertEqual(a.minimized().stateCount, 3)
        let same = """
            Ldh-str = *"-" Let-dig *( *"-" Let-dig )
            Let-dig = ALPHA / DIGIT

            """
        XCTAssertNil(Equivalence.compare(a, try dfa(same, "Ldh-str")).counterexample)
        let wider = "Ldh-str = 1*( ALPHA / DIGIT / \"-\" )\n"
        XCTAssertEqual(
            Equivalence.compare(a, try dfa(wider, "Ldh-str")).counterexample,
            Counterexample(input: bytes("-"), acceptedBy: .second))
    }

    func testBoundedRepeat() throws {
        let r = try dfa("r = 2*3\"a\"\n", "r")
        XCTAssertEqual(
            ["", "a", "aa", "aA", "AAA", "aaaa"].map { r.accepts(bytes($0)) }, [false, false, true, true, true, false])
        // start, one "a", two (accepting), three (accepting), dead.
        XCTAssertEqual(r.minimized().stateCount, 5)
        XCTAssertNil(try difference("r = 2*3\"a\"\n", "r = \"aa\" [\"a\"]\n"))
        XCTAssertNil(try difference("r = 2*3\"a\"\n", "r = 2\"a\" *1\"a\"\n"))
        // A nullable inner element lowers the minimum to 0.
        XCTAssertEqual(
            try difference("r = 2*3\"a\"\n", "r = 2*3(\"a\" / \"\")\n"), Counterexample(input: [], acceptedBy: .second))
        XCTAssertEqual(
            try difference("r = 2*3\"a\"\n", "r = 2*4\"a\"\n"), Counterexample(input: bytes("AAAA"), acceptedBy: .second))
        XCTAssertEqual(try difference("r = 2*3\"a\"\n", "r = 3*3\"a\"\n"), Counterexample(input: bytes("AA"), acceptedBy: .first))
        XCTAssertEqual(try difference("r = 2*3\"a\"\n", "r = 1*\"a\"\n"), Counterexample(input: bytes("A"), acceptedBy: .second))
        // Nested bounded repeats: (1*2"ab"){2,3} is 2 to 6 "ab".
        XCTAssertNil(try difference("r = 2*3(1*2%s\"ab\")\n", "r = 2*6%s\"ab\"\n"))
        // A nullable inner repeat: *( *"a" ) is *"a", and 3*5( ["b"] ) is *5"b".
        XCTAssertNil(try difference("r = *( *\"a\" )\n", "r = *\"a\"\n"))
        XCTAssertNil(try difference("r = 3*5( [%s\"b\"] )\n", "r = *5%s\"b\"\n"))
        XCTAssertEqual(try difference("r = 0*0\"a\"\n", "r = \"\"\n"), nil)
    }

    func testCaseInsensitiveStrings() throws {
        let insensitive = "r = \"ab\"\n"
        XCTAssertNil(try difference(insensitive, "r = %s\"ab\" / %s\"aB\" / %s\"Ab\" / %s\"AB\"\n"))
        XCTAssertNil(try difference(insensitive, "r = %i\"ab\"\n"))
        XCTAssertEqual(try difference(insensitive, "r = %s\"ab\"\n"), Counterexample(input: bytes("AB"), acceptedBy: .first))
        XCTAssertEqual(try difference("r = %s\"AB\"\n", insensitive), Counterexample(input: bytes("Ab"), acceptedBy: .second))
        // Only ASCII letters fold: "@" / "`", "[" / "{", "^" / "~" differ by 0x20 but are not letters.
        XCTAssertNil(try difference("r = \"@[^_\"\n", "r = %s\"@[^_\"\n"))
        let r = try dfa("r = \"@Zz\"\n", "r")
        XCTAssertTrue(r.accepts(bytes("@zZ")))
        XCTAssertFalse(r.accepts(bytes("`zZ")))
        XCTAssertFalse(r.accepts(bytes("@z\u{1A}")))
        // Numeric values never fold.
        XCTAssertEqual(try difference("r = %x61\n", "r = \"a\"\n"), Counterexample(input: bytes("A"), acceptedBy: .second))
    }

    func testEmptyLanguagesAndEmptyString() throws {
        XCTAssertEqual(try difference("r = \"\"\n", "r = *\"a\"\n"), Counterexample(input: bytes("A"), acceptedBy: .second))
        XCTAssertEqual(try difference("r = \"\"\n", "r = 1\"a\"\n"), Counterexample(input: [], acceptedBy: .first))
        XCTAssertEqual(try difference("r = %x00-FF\n", "r = %x00-FE\n"), Counterexample(input: [0xFF], acceptedBy: .first))
        let octets = try dfa("r = *OCTET\n", "r")
        XCTAssertEqual(octets.stateCount, 1)
        XCTAssertEqual(octets.classCount, 1)
    }

    func testRecursiveRulesHaveNoAutomaton() throws {
        let g = try grammar("r = \"(\" [r] \")\"\n")
        XCTAssertThrowsError(try DerivativeConstruction(g).automaton(rule: "r")) { error in
            XCTAssertEqual((error as? ConstructionError)?.kind, .recursive)
        }
    }

    /// The shortest counterexample wins over an earlier-in-byte-order longer one.
    func testCounterexampleIsShortestThenFirstInByteOrder() throws {
        XCTAssertEqual(
            try difference("r = %x00 %x00 %x00 / %x7F\n", "r = %x00 %x00 %x00\n"),
            Counterexample(input: [0x7F], acceptedBy: .first))
        XCTAssertEqual(try difference("r = %x62 / %x61 %x62\n", "r = %x61 / %x61 %x62\n").map(\.input), [0x61])
    }

    /// The construction agrees with the reference interpreter on strings of
    /// every rule of both profiles, valid and near misses.
    func testAgreesWithTheInterpreter() throws {
        for profile in ["base", "smtputf8"] {
            let g = try profileGrammar(profile)
            let interpreter = Interpreter(g)
            let strings = StringGenerator(interpreter)
            let construction = DerivativeConstruction(g)
            var rng = SplitMix64(seed: 20_240_601)
            for rule in g.rules where !rule.isCore {
                let a = try construction.automaton(rule: rule.name)
                for s in strings.covering(rule.name, seed: 7, limit: 12) {
                    XCTAssertTrue(a.accepts(s.bytes), "\(profile) \(rule.name): \"\(escapedBytes(s.bytes))\"")
                }
                for _ in 0..<12 {
                    guard let miss = strings.nearMiss(rule.name, rng: &rng) else { break }
                    XCTAssertEqual(
                        a.accepts(miss.bytes), interpreter.matches(rule.name, miss.bytes),
                        "\(profile) \(rule.name): \"\(escapedBytes(miss.bytes))\"")
                }
            }
        }
    }

    /// Hopcroft minimisation keeps the language and is idempotent.
    func testMinimisationKeepsTheLanguage() throws {
        let g = try profileGrammar("smtputf8")
        let construction = DerivativeConstruction(g)
        for rule in g.rules {
            let a = try construction.automaton(rule: rule.name)
            let m = a.minimized()
            XCTAssertNil(Equivalence.compare(a, m).counterexample, rule.name)
            XCTAssertLessThanOrEqual(m.stateCount, a.stateCount, rule.name)
            XCTAssertEqual(m.minimized().stateCount, m.stateCount, rule.name)
        }
    }
}
