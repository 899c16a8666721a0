// CaptureTags, the fixed-size capture record of one automaton run
// (Automaton.swift): tag 2·i starts field i, tag 2·i + 1 ends it, a field is
// present only when both are set, and equality looks at every tag.

import XCTest

@testable import SMTPCommandParser
@testable import SMTPParserRuntime

final class CaptureTagsTests: XCTestCase {
    func tags(_ assignments: [(tag: Int, at: Int)]) -> CaptureTags {
        var t = CaptureTags()
        for (tag, position) in assignments { t.apply(1 << UInt64(tag), at: position) }
        return t
    }

    func testRoomForTheDocumentedNumberOfFields() {
        XCTAssertEqual(CaptureTags.maxFields, 8)
        // Two tags per field, and the generated automata never need more fields than that.
        XCTAssertEqual(CaptureTags().tags.count, 2 * CaptureTags.maxFields)
        for automaton in SMTPGrammar.all + SMTPGrammarUTF8.all + SMTPGrammarLenient.all + SMTPGrammarLenientUTF8.all {
            XCTAssertLessThanOrEqual(automaton.fields.count, CaptureTags.maxFields, automaton.rule)
        }
    }

    func testAFieldIsPresentOnlyWhenBothItsTagsAreSet() {
        for field in 0..<CaptureTags.maxFields {
            XCTAssertNil(CaptureTags()[field: field], "field \(field) of a fresh record")
            // Only the start, or only the end, set (at offset 0, where an unset tag would read as a position).
            XCTAssertNil(tags([(2 * field, 0)])[field: field], "field \(field): start only")
            XCTAssertNil(tags([(2 * field + 1, 0)])[field: field], "field \(field): end only")
            XCTAssertNil(tags([(2 * field + 1, 3)])[field: field], "field \(field): end only, at 3")
            XCTAssertEqual(tags([(2 * field, 0), (2 * field + 1, 0)])[field: field], 0..<0, "field \(field): empty at 0")
            XCTAssertEqual(tags([(2 * field, 2), (2 * field + 1, 5)])[field: field], 2..<5, "field \(field)")
            XCTAssertNil(tags([(2 * field, 5), (2 * field + 1, 2)])[field: field], "field \(field): ends before it starts")
        }
    }

    /// `range(ofField:)`, which reads the tags in place (as the shuffle kernel
    /// leaves them), answers as the subscript does.
    func testRangeReadInPlaceAgreesWithTheSubscript() {
        let cases: [(assignments: [(tag: Int, at: Int)], expected: Range<Int>?)] = [
            ([], nil), ([(0, 0)], nil), ([(1, 0)], nil), ([(0, 0), (1, 0)], 0..<0), ([(0, 0), (1, 4)], 0..<4),
            ([(0, 3), (1, 3)], 3..<3), ([(0, 2), (1, 5)], 2..<5), ([(0, 5), (1, 2)], nil),
        ]
        for field in 0..<CaptureTags.maxFields {
            for (assignments, expected) in cases {
                var t = tags(assignments.map { (2 * field + $0.tag, $0.at) })
                XCTAssertEqual(t[field: field], expected, "field \(field), \(assignments)")
                XCTAssertEqual(t.range(ofField: field), expected, "field \(field), \(assignments), in place")
            }
        }
    }

    func testApplySetsEveryTagOfTheMaskAndNoOther() {
        var t = CaptureTags()
        t.apply(0b1010_0000_0000_0101, at: 7)
        for tag in 0..<16 { XCTAssertEqual(t.tags[tag], [0, 2, 13, 15].contains(tag) ? 7 : -1, "tag \(tag)") }
        // Bits past the 16 tags are ignored, not written anywhere.
        t.apply(1 << 16 | 1 << 40 | 1 << 63, at: 9)
        for tag in 0..<16 { XCTAssertEqual(t.tags[tag], [0, 2, 13, 15].contains(tag) ? 7 : -1, "tag \(tag) after high bits") }
    }

    func testEqualityLooksAtEveryTag() {
        XCTAssertEqual(CaptureTags(), CaptureTags())
        for tag in 0..<16 {
            XCTAssertNotEqual(CaptureTags(), tags([(tag, 4)]), "tag \(tag)")
            XCTAssertEqual(tags([(tag, 4)]), tags([(tag, 4)]), "tag \(tag)")
        }
    }
}
