// The runtime of generated recursive-descent rules (RecursiveDescent.swift),
// driven directly with small rule bodies: each combinator returns every end
// position of a match from a start position, as the reference interpreter
// does, so alternatives and repetitions keep full ABNF semantics.

import SMTPCommandParser
import XCTest

final class RecursiveDescentRuntimeTests: XCTestCase {
    func ends(_ text: String, _ body: (RecursiveDescentMatch) -> Set<Int>) -> Set<Int> {
        Array(text.utf8).withUnsafeBytes { body(RecursiveDescentMatch($0)) }
    }

    /// RFC 5234 §2.3: quoted literals are case-insensitive, %s"" (RFC 7405) is not.
    func testLiterals() {
        let ab: [UInt8] = Array("aB".utf8)
        XCTAssertEqual(ends("Ab", { $0.literal(0, ab, caseSensitive: false) }), [2])
        XCTAssertEqual(ends("Ab", { $0.literal(0, ab, caseSensitive: true) }), [])
        XCTAssertEqual(ends("aB", { $0.literal(0, ab, caseSensitive: true) }), [2])
        XCTAssertEqual(ends("xaB", { $0.literal(1, ab, caseSensitive: true) }), [3], "from the given position")
        XCTAssertEqual(ends("a", { $0.literal(0, ab, caseSensitive: false) }), [], "input ends inside the literal")
        // The input is a slice: bytes after its end that would complete the literal are not read.
        let sliced: Set<Int> = Array("aB".utf8).withUnsafeBytes { whole in
            RecursiveDescentMatch(UnsafeRawBufferPointer(rebasing: whole[0..<1])).literal(0, ab, caseSensitive: true)
        }
        XCTAssertEqual(sliced, [])
        // Case folding is for letters only: "[" and "{", "@" and "`" differ by 0x20 too.
        XCTAssertEqual(ends("{", { $0.literal(0, Array("[".utf8), caseSensitive: false) }), [])
        XCTAssertEqual(ends("`", { $0.literal(0, Array("@".utf8), caseSensitive: false) }), [])
        XCTAssertEqual(ends("@", { $0.literal(0, Array("`".utf8), caseSensitive: false) }), [])
        // Every letter folds, the first and last of the alphabet included.
        for (text, literal) in [("a", "A"), ("A", "a"), ("z", "Z"), ("Z", "z"), ("yZ", "Yz")] {
            XCTAssertEqual(ends(text, { $0.literal(0, Array(literal.utf8), caseSensitive: false) }), [text.utf8.count], text)
        }
    }

    /// %x30-39 and the like, bounds included.
    func testRanges() {
        for (text, expected) in [("0", Set([1])), ("9", [1]), ("5", [1]), ("/", []), (":", []), ("", [])] as [(String, Set<Int>)]
        {
            XCTAssertEqual(ends(text, { $0.range(0, 0x30, 0x39) }), expected, text)
        }
        XCTAssertEqual(ends("a7", { $0.range(1, 0x30, 0x39) }), [2])
        XCTAssertEqual(ends("a", { $0.range(1, 0x30, 0x39) }), [], "past the end")
    }

    func testAlternationAndSequenceKeepEveryEnd() {
        let digit: RecursiveDescentMatch.Part = { m, p in m.range(p, 0x30, 0x39) }
        let letter: RecursiveDescentMatch.Part = { m, p in m.range(p, 0x61, 0x7A) }
        XCTAssertEqual(ends("a1", { $0.alternation(0, [digit, letter]) }), [1])
        XCTAssertEqual(ends("a1", { $0.sequence(0, [letter, digit]) }), [2])
        XCTAssertEqual(ends("1a", { $0.sequence(0, [letter, digit]) }), [], "a failing part ends the sequence")
        // 1*2DIGIT then DIGIT on "123": both splits match, and only they.
        XCTAssertEqual(
            ends("123", { m in m.sequence(0, [{ m, p in m.repetition(p, min: 1, max: 2, digit) }, digit]) }), [2, 3])
    }

    func testRepetitionBounds() {
        let digit: RecursiveDescentMatch.Part = { m, p in m.range(p, 0x30, 0x39) }
        XCTAssertEqual(ends("1234", { $0.repetition(0, min: 0, max: nil, digit) }), [0, 1, 2, 3, 4])
        XCTAssertEqual(ends("1234", { $0.repetition(0, min: 2, max: 3, digit) }), [2, 3])
        XCTAssertEqual(ends("1", { $0.repetition(0, min: 2, max: 3, digit) }), [])
        XCTAssertEqual(ends("12", { $0.repetition(0, min: 0, max: 0, digit) }), [0])
        XCTAssertEqual(ends("x", { $0.repetition(0, min: 1, max: nil, digit) }), [])
        // A part that matches the empty string: the repetition stops instead of looping.
        let empty: RecursiveDescentMatch.Part = { _, p in [p] }
        XCTAssertEqual(ends("12", { $0.repetition(0, min: 1, max: 5, empty) }), [0])
        XCTAssertEqual(ends("12", { $0.repetition(0, min: 0, max: nil, empty) }), [0])
        XCTAssertEqual(ends("12", { $0.repetition(0, min: 3, max: nil, empty) }), [0])
        // 1*(DIGIT / "") : one empty repetition ends where it starts.
        let digitOrEmpty: RecursiveDescentMatch.Part = { m, p in m.range(p, 0x30, 0x39).union([p]) }
        XCTAssertEqual(ends("12", { $0.repetition(0, min: 1, max: nil, digitOrEmpty) }), [0, 1, 2])
        XCTAssertEqual(ends("12", { $0.repetition(1, min: 1, max: nil, digitOrEmpty) }), [1, 2])
    }

    /// A rule's ends are computed once per position, and a rule that reaches itself at
    /// the same position (left recursion) sees no match there instead of looping.
    func testRulesAreMemoisedAndLeftRecursionStops() {
        var calls = 0
        let result: (Set<Int>, Set<Int>) = Array("xyz".utf8).withUnsafeBytes { buffer in
            let m = RecursiveDescentMatch(buffer)
            let body: RecursiveDescentMatch.Part = { m, p in
                calls += 1
                return m.range(p, 0x78, 0x7A)
            }
            return (m.rule(7, 1, body), m.rule(7, 1, body))
        }
        XCTAssertEqual(result.0, [2])
        XCTAssertEqual(result.1, [2])
        XCTAssertEqual(calls, 1, "the second call is answered from the memo")

        // left = left "x" / "y": without the guard this never returns.
        func left(_ m: RecursiveDescentMatch, _ p: Int) -> Set<Int> {
            m.rule(1, p) { m, p in
                m.alternation(
                    p,
                    [
                        { m, p in m.sequence(p, [left, { m, p in m.literal(p, [0x78], caseSensitive: true) }]) },
                        { m, p in m.literal(p, [0x79], caseSensitive: true) },
                    ])
            }
        }
        XCTAssertEqual(ends("yxx", { left($0, 0) }), [1], "the recursive alternative sees nothing at its own position")
        // Rule 0 at the end of the input and rule 1 at its start have different memo entries.
        let pair: (Set<Int>, Set<Int>) = Array("ab".utf8).withUnsafeBytes { buffer in
            let m = RecursiveDescentMatch(buffer)
            return (m.rule(0, 2) { _, p in [p] }, m.rule(1, 0) { m, p in m.range(p, 0x61, 0x7A) })
        }
        XCTAssertEqual(pair.0, [2])
        XCTAssertEqual(pair.1, [1])
        // Different rules at one position do not share a memo entry.
        XCTAssertEqual(
            ends(
                "7a",
                { m in
                    m.sequence(
                        0,
                        [
                            { m, p in m.rule(1, p) { m, p in m.range(p, 0x30, 0x39) } },
                            { m, p in m.rule(2, p) { m, p in m.range(p, 0x61, 0x7A) } },
                        ])
                }),
            [2])
    }

    func testAutomatonPartGivesEveryPrefixEnd() {
        // 1*3DIGIT as an automaton: every prefix of digits up to three is a match.
        let digits = SMTPGrammar.automaton(forRule: "Snum")!  // RFC 5321 §4.1.3: Snum = 1*3DIGIT
        XCTAssertEqual(ends("1234", { $0.automaton(0, digits) }), [1, 2, 3])
        XCTAssertEqual(ends("x12", { $0.automaton(1, digits) }), [2, 3])
        XCTAssertEqual(ends("x", { $0.automaton(0, digits) }), [])
    }
}
