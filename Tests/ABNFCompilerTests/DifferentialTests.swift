import ABNF
import ABNFCompiler
import SMTPCommandParser
import TestGrammarFixtures
import XCTest

/// For every rule of every grammar profile, the generated automaton and the
/// reference interpreter agree on random valid strings and near misses, and
/// the automaton's captures equal the interpreter's derivation. Every string a
/// rule's shuffle form accepts (with each SIMD kernel this CPU runs), the
/// interpreter accepts too, with the same captures.
final class DifferentialTests: XCTestCase {
    func testBaseProfileAgreesWithInterpreter() throws {
        try checkProfile("base", automata: SMTPGrammar.all, shuffle: SMTPGrammar.Shuffle.automaton, seed: testSeed(0x5EED_0001))
    }

    func testSMTPUTF8ProfileAgreesWithInterpreter() throws {
        try checkProfile(
            "smtputf8", automata: SMTPGrammarUTF8.all, shuffle: SMTPGrammarUTF8.Shuffle.automaton, seed: testSeed(0x5EED_0002))
    }

    func testLenientProfileAgreesWithInterpreter() throws {
        try checkProfile(
            "lenient", automata: SMTPGrammarLenient.all, shuffle: SMTPGrammarLenient.Shuffle.automaton,
            seed: testSeed(0x5EED_0003))
    }

    func testLenientSMTPUTF8ProfileAgreesWithInterpreter() throws {
        try checkProfile(
            "lenient-smtputf8", automata: SMTPGrammarLenientUTF8.all, shuffle: SMTPGrammarLenientUTF8.Shuffle.automaton,
            seed: testSeed(0x5EED_0004))
    }

    func checkProfile(
        _ profile: String, automata: [Automaton], shuffle: (String) -> ShuffleAutomaton? = { _ in nil }, seed: UInt64,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let kernels = ShuffleKernel.allCases.filter(\.isSupported)
        let grammar = try profileGrammar(profile)
        let interpreter = Interpreter(grammar)
        let generator = StringGenerator(interpreter)
        var rng = SplitMix64(seed: seed)
        var compared = 0
        var shuffleAccepted = 0
        for automaton in automata {
            guard let rule = grammar[automaton.rule] else {
                XCTFail("automaton \(automaton.rule) has no rule in profile \(profile)", file: file, line: line)
                continue
            }
            var inputs: [(bytes: [UInt8], how: String)] = []
            for string in generator.covering(rule.name, seed: rng.next(), limit: 40) { inputs.append((string.bytes, "valid")) }
            for _ in 0..<60 {
                if let miss = generator.nearMiss(rule.name, rng: &rng) { inputs.append((miss.bytes, miss.mutation)) }
            }
            for (bytes, how) in inputs {
                compared += 1
                let expected = interpreter.matches(rule.name, bytes)
                var tags = CaptureTags()
                let outcome = bytes.withUnsafeBytes { automaton.match($0, captures: &tags) }
                guard (outcome == .accepted) == expected else {
                    XCTFail(
                        """
                        \(rule.name): interpreter says \(expected ? "accept" : "reject"), automaton \(outcome) \
                        on "\(escaped(bytes))" (\(how)); replay with ABNF_SEED=\(seed)
                        """, file: file, line: line)
                    return
                }
                if expected && !automaton.fields.isEmpty {
                    checkCaptures(
                        automaton, tags, interpreter.parse(rule.name, bytes)!, grammar, bytes, seed, file: file, line: line)
                }
                guard let form = shuffle(automaton.rule) else { continue }
                for kernel in kernels {
                    var shuffled = CaptureTags()
                    guard bytes.withUnsafeBytes({ form.matcher.match($0, captures: &shuffled, kernel: kernel) }) else { continue }
                    shuffleAccepted += 1
                    let shown = "\(rule.name), shuffle form (\(kernel)), \"\(escaped(bytes))\" (\(how))"
                    XCTAssertTrue(expected, "\(shown): accepted, the interpreter rejects", file: file, line: line)
                    XCTAssertEqual(shuffled, tags, "\(shown): captures", file: file, line: line)
                }
            }
        }
        XCTAssertGreaterThan(compared, automata.count * 50, file: file, line: line)
        // The shuffle forms must have been put to the test, not just declined everything.
        if !kernels.isEmpty && automata.contains(where: { shuffle($0.rule) != nil }) {
            XCTAssertGreaterThan(shuffleAccepted, automata.count, file: file, line: line)
        }
    }

    func checkCaptures(
        _ automaton: Automaton, _ tags: CaptureTags, _ tree: ParseTree, _ grammar: Grammar, _ bytes: [UInt8], _ seed: UInt64,
        file: StaticString, line: UInt
    ) {
        for (i, field) in automaton.fields.enumerated() {
            // The last node (pre-order) of a rule that captures `field`, below the root.
            let nodes = tree.children.flatMap(\.allNodes).filter { grammar[$0.rule]?.captureName == field }
            let expected = nodes.last?.range
            XCTAssertEqual(
                tags[field: i], expected,
                """
                \(automaton.rule): field \(field) on "\(escaped(bytes))"; replay with ABNF_SEED=\(seed)
                """, file: file, line: line)
        }
    }

    /// RFC 5321's Ldh-str needs backtracking in a greedy matcher; the automaton has none.
    func testLdhStrNeedsNoBacktracking() {
        let ldh = SMTPGrammar.ldhStr
        for (text, expected) in [("a-b", true), ("a", true), ("ab-1", true), ("a-", false), ("-", false), ("", false)] {
            XCTAssertEqual(ldh.matches(Array(text.utf8)), expected, text)
        }
    }
}

/// The generator's fallback for rules without a finite automaton: RFC 5322
/// comments nest, so `comment`, `ccontent` and `CFWS` are generated as
/// recursive descent (TestGrammarFixtures); everything else as automata.
/// Both must agree with the interpreter on every rule.
final class RecursiveDescentTests: XCTestCase {
    func testRecursiveRulesGetDescentAndAgreeWithInterpreter() throws {
        let grammar = try PackageGenerator(packagePath: packageRoot).grammar(
            module: "Sources/TestGrammarFixtures", profile: "cfws")
        XCTAssertEqual(Set(RFC5322CFWS.descentRules), ["CFWS", "ccontent", "comment"])
        let interpreter = Interpreter(grammar)
        let generator = StringGenerator(interpreter, unboundedExtra: 3, maxDepth: 8)
        let seed = testSeed(0x5EED_0005)
        var rng = SplitMix64(seed: seed)
        var compared = 0
        for rule in grammar.rules {
            var inputs = generator.covering(rule.name, seed: rng.next(), limit: 30).map(\.bytes)
            for _ in 0..<40 { if let miss = generator.nearMiss(rule.name, rng: &rng) { inputs.append(miss.bytes) } }
            for bytes in inputs {
                let expected = interpreter.matches(rule.name, bytes)
                let generated: Bool
                if let automaton = RFC5322CFWS.automaton(forRule: rule.name) {
                    generated = automaton.matches(bytes)
                } else {
                    generated = try XCTUnwrap(
                        bytes.withUnsafeBytes { RFC5322CFWS.matchesByDescent(rule: rule.name, $0) }, rule.name)
                }
                XCTAssertEqual(generated, expected, "\(rule.name) on \"\(escaped(bytes))\"; replay with ABNF_SEED=\(seed)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 500)
    }

    func testNestedCommentsAtDepth() {
        func descent(_ text: String) -> Bool? {
            Array(text.utf8).withUnsafeBytes { RFC5322CFWS.matchesByDescent(rule: "comment", $0) }
        }
        XCTAssertEqual(descent("(a (b (c) d) e)"), true)
        XCTAssertEqual(descent("(a (b (c) d e)"), false)
        XCTAssertEqual(descent("(\\))"), true)
        XCTAssertEqual(descent(String(repeating: "(", count: 50) + String(repeating: ")", count: 50)), true)
        // Rules with an automaton are not descent rules.
        XCTAssertNil(RFC5322CFWS.matchesByDescent(rule: "ctext", UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
