// ShuffleMatcher on forms built here from small grammars, for what the
// generated forms never do: a form that is its literal alone and sets tags at
// its end (no generated one sets any), literals of every length from 1 to 16
// bytes (the three ways `isLiteral` loads them), an input with no bytes, and
// a transition that sets two tags at once (the kernel's general tag path).
// Each form is held to its rule's automaton (DFA.run): where the form
// accepts, the automaton accepts with the same captures; these forms exclude
// nothing, so where the automaton accepts, the form must accept too.

import ABNF
import ABNFCompiler
import XCTest

@testable import SMTPParserRuntime

final class ShuffleMatcherTests: XCTestCase {
    /// The rule's automaton, and its shuffle form as the runtime decodes it from the generator's bytes.
    func build(_ text: String, rule: String = "r") throws -> (DFA, ShuffleAutomaton) {
        let grammar = try Grammar.load([GrammarSource(name: "test.abnf", text: text)])
        let dfa = try DFABuilder.build(grammar, rule: rule, captures: true)
        switch try ShuffleTableBuilder.build(grammar, rule: rule, fields: dfa.fields, excluding: []) {
        case .success(let tables):
            let encoded = AutomatonAPITests.base64(SwiftEmitter.shuffleBytes(tables))
            return (dfa, ShuffleAutomaton(rule: rule, tagMasks: tables.tagMasks, tables: encoded))
        case .failure(let why):
            throw GenerationError("\(rule): no shuffle form: \(why)")
        }
    }

    /// The form's answer on `input`: the tags of `dfa`'s fields when it
    /// accepts, nil when it hands the input back (then with captures untouched).
    func run(_ form: ShuffleAutomaton, _ dfa: DFA, _ input: [UInt8], kernel: ShuffleKernel) -> [Int]? {
        var tags = CaptureTags()
        let taken = input.withUnsafeBytes { form.matcher.match($0, captures: &tags, kernel: kernel) }
        guard taken else {
            XCTAssertEqual(tags, CaptureTags(), "\(show(input)): handed back with captures set")
            return nil
        }
        return (0..<2 * dfa.fields.count).map { Int(tags.tags[$0]) }
    }

    /// The form and the automaton agree on `input` (see the file comment).
    func assertAgrees(_ form: ShuffleAutomaton, _ dfa: DFA, _ input: [UInt8], kernel: ShuffleKernel, line: UInt = #line) {
        let expected = dfa.run(input)
        if let tags = run(form, dfa, input, kernel: kernel) {
            XCTAssertTrue(expected.accepted, "\(show(input)): the form accepts what its rule rejects", line: line)
            XCTAssertEqual(tags, expected.tags, "\(show(input)): captures", line: line)
        } else {
            XCTAssertFalse(expected.accepted, "\(show(input)): the form hands back a line of its rule", line: line)
        }
    }

    /// A literal then an empty field: the form is the literal alone, and
    /// accepting sets both tags of the field to the literal's length. Every
    /// length up to 16 bytes, letters in either case ("...") or exactly (%s"...").
    func testLiteralFormsOfEveryLengthSetTheirTagsAsTheirRuleDoes() throws {
        let pool = Array("Ab-1cD.2eF:3gH=4".utf8)
        for length in 1...16 {
            let literal = Array(pool.prefix(length))
            for sensitive in [false, true] {
                let quoted = (sensitive ? "%s\"" : "\"") + String(decoding: literal, as: UTF8.self) + "\""
                let (dfa, form) = try build("r = \(quoted) e ;@entry\ne = \"\" ;@capture e\n")
                XCTAssertEqual(form.matcher.literalLength, length, quoted)
                XCTAssertEqual(form.matcher.literalTags, 0b11, "\(quoted): the field's start and end at the end")
                XCTAssertEqual(run(form, dfa, literal, kernel: .ssse3), [length, length], quoted)
                var inputs = [
                    literal, literal.map(asciiUpper), literal.map(asciiLower), Array(literal.dropLast()), literal + [0x78],
                ]
                for k in literal.indices {
                    for flip: UInt8 in [0x01, 0x20, 0x80] {
                        var near = literal
                        near[k] ^= flip
                        inputs.append(near)
                    }
                }
                // The literal path never calls the kernel, so any kernel will do, supported or not.
                for input in inputs { assertAgrees(form, dfa, input, kernel: .ssse3) }
            }
        }
    }

    /// An input with no address (no bytes) is handed back to the table
    /// automaton, by a literal form and by a kernel form, even when the rule
    /// accepts the empty line.
    func testAnInputWithNoBytesIsHandedBack() throws {
        for (text, acceptsEmpty) in [
            ("r = \"QUIT\" e ;@entry\ne = \"\" ;@capture e\n", false), ("r = *DIGIT ;@entry\n", true),
        ] {
            let (dfa, form) = try build(text)
            XCTAssertEqual(dfa.run([]).accepted, acceptsEmpty, text)
            for kernel in ShuffleKernel.allCases {
                var tags = CaptureTags()
                XCTAssertFalse(form.matcher.match(UnsafeRawBufferPointer(start: nil, count: 0), captures: &tags, kernel: kernel))
                XCTAssertEqual(tags, CaptureTags(), "\(text): captures untouched")
            }
        }
    }

    /// Two fields that start and end together: the transition into the digits
    /// sets two tags, so the kernel cannot take its one-tag-per-set shortcut
    /// (`single_tag_sets` is 0) and sets them in its general loop.
    func testATransitionThatSetsTwoTagsSetsBoth() throws {
        let kernels = ShuffleKernel.allCases.filter(\.isSupported)
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel") }
        let (dfa, form) = try build("r = \"K\" SP f ;@entry\nf = g ;@capture f\ng = 1*DIGIT ;@capture g\n")
        XCTAssertEqual(form.tables.pointee.single_tag_sets, 0)
        XCTAssertEqual(form.matcher.literalLength, -1, "the kernel runs this form")
        let digits = String(repeating: "1234567890", count: 10)
        for kernel in kernels {
            XCTAssertEqual(run(form, dfa, Array("K 123".utf8), kernel: kernel), [2, 5, 2, 5], "\(kernel)")
            for input in ["K 1", "k 9", "K " + digits, "K 1" + digits.prefix(62), "K ", "K 12a", "K 1 ", "K1", "KK 1"] {
                assertAgrees(form, dfa, Array(input.utf8), kernel: kernel)
            }
        }
    }

    /// A matcher reads memory its automaton owns but holds no reference to
    /// it (none is counted per line): it does not keep the automaton alive.
    func testAMatcherKeepsNoReferenceToItsAutomaton() throws {
        weak var released: ShuffleAutomaton?
        var matcher: ShuffleMatcher?
        do {
            let (_, form) = try build("r = \"K\" 1*DIGIT ;@entry\n")
            released = form
            matcher = form.matcher
        }
        XCTAssertNotNil(matcher)
        XCTAssertNil(released, "the automaton outlived its last reference")
    }
}
