import SMTPCommandParser
import XCTest

/// LineFramer's one-line-at-a-time API, the one SMTPSession reads with:
/// `nextLine(in:from:)` hands out a line that is whole in the chunk as offsets
/// into it (no copy), holds a line that began in an earlier chunk until
/// `takeHeldLine()` moves it out, and `reuse(_:)` takes the array back so the
/// next long line needs no new allocation. LineFramerTests covers what a line
/// is (CRLF only, the limit, bare CR and LF) through `feed`, which is built on
/// the same calls; this file covers the hand-over itself.
final class LineFramerNextLineTests: XCTestCase {
    /// Calls `nextLine` on `text` from `start`; returns what it found and where it stopped.
    func next(_ framer: inout LineFramer, _ text: String, from start: Int = 0) -> (LineFramer.NextLine, end: Int) {
        Array(text.utf8).withUnsafeBytes { framer.nextLine(in: $0, from: start) }
    }

    func testLinesWholeInTheChunkAreOffsetsIntoIt() {
        var framer = LineFramer(maxLineLength: 512)
        let chunk = "NOOP\r\nQUIT\r\n"
        XCTAssertEqual(next(&framer, chunk).0, .line(0..<6))
        XCTAssertEqual(next(&framer, chunk, from: 6).0, .line(6..<12))
        let (last, end) = next(&framer, chunk, from: 12)
        XCTAssertEqual(last, .needMore)
        XCTAssertEqual(end, 12)
        XCTAssertEqual(framer.bufferedByteCount, 0)
        XCTAssertFalse(framer.hasPartialLine)
    }

    func testALineSplitAcrossChunksIsHeldThenTakenWhole() {
        var framer = LineFramer(maxLineLength: 512)
        XCTAssertEqual(next(&framer, "MAIL FR").0, .needMore)
        XCTAssertEqual(framer.bufferedByteCount, 7)
        XCTAssertTrue(framer.hasPartialLine)

        let second = "OM:<a@b>\r\nNO"
        let (found, end) = next(&framer, second)
        XCTAssertEqual(found, .heldLine)
        XCTAssertEqual(end, 10, "the held line ends after the LF; the rest of the chunk is not read yet")
        XCTAssertEqual(framer.bufferedByteCount, 0, "a held line is whole: nothing of an unfinished line is buffered")
        XCTAssertFalse(framer.hasPartialLine)
        XCTAssertEqual(framer.takeHeldLine(), Array("MAIL FROM:<a@b>\r\n".utf8))
        XCTAssertEqual(framer.bufferedByteCount, 0)

        // The rest of the chunk starts the next line, which owes nothing to the taken one.
        XCTAssertEqual(next(&framer, second, from: end).0, .needMore)
        XCTAssertEqual(framer.bufferedByteCount, 2)
        XCTAssertEqual(next(&framer, "OP\r\n").0, .heldLine)
        XCTAssertEqual(framer.takeHeldLine(), Array("NOOP\r\n".utf8))
        XCTAssertEqual(next(&framer, "QUIT\r\n").0, .line(0..<6), "after a take, a whole line is in place again")
    }

    func testACRAtTheEndOfAChunkAndItsLFInTheNext() {
        var framer = LineFramer(maxLineLength: 512)
        XCTAssertEqual(next(&framer, "RSET\r").0, .needMore)
        XCTAssertTrue(framer.hasPartialLine)
        XCTAssertEqual(next(&framer, "\n").0, .heldLine)
        XCTAssertEqual(framer.takeHeldLine(), Array("RSET\r\n".utf8))
        XCTAssertFalse(framer.hasPartialLine)
    }

    func testReuseGivesTheNextHeldLineTheTakenArraysCapacity() {
        var framer = LineFramer(maxLineLength: 512)
        let long = "NOOP " + String(repeating: "x", count: 300)
        XCTAssertEqual(next(&framer, long).0, .needMore)
        XCTAssertEqual(next(&framer, "\r\n").0, .heldLine)
        let taken = framer.takeHeldLine()
        XCTAssertEqual(taken.count, 307)
        let capacity = taken.capacity
        framer.reuse(taken)

        XCTAssertEqual(next(&framer, "NO").0, .needMore)
        XCTAssertEqual(next(&framer, "OP\r\n").0, .heldLine)
        let short = framer.takeHeldLine()
        XCTAssertEqual(short, Array("NOOP\r\n".utf8))
        XCTAssertGreaterThanOrEqual(short.capacity, capacity, "the short line went into the reused array")
    }

    func testReuseNeverDropsALineTheFramerHolds() {
        var spare: [UInt8] = []
        spare.reserveCapacity(1024)

        // An unfinished line is buffered: reuse leaves it alone.
        var framer = LineFramer(maxLineLength: 512)
        XCTAssertEqual(next(&framer, "RS").0, .needMore)
        framer.reuse(spare)
        XCTAssertEqual(framer.bufferedByteCount, 2)
        XCTAssertEqual(next(&framer, "ET\r\n").0, .heldLine)
        XCTAssertEqual(framer.takeHeldLine(), Array("RSET\r\n".utf8))

        // A held line not taken yet: reuse leaves it alone too.
        XCTAssertEqual(next(&framer, "DA").0, .needMore)
        XCTAssertEqual(next(&framer, "TA\r\n").0, .heldLine)
        framer.reuse(spare)
        XCTAssertEqual(framer.takeHeldLine(), Array("DATA\r\n".utf8))
    }

    func testReuseKeepsTheLargerBufferItAlreadyHas() {
        // `feed` keeps its buffer's capacity after a long split line; a smaller
        // array handed to `reuse` must not replace it.
        var framer = LineFramer(maxLineLength: 512)
        let long = Array(("NOOP " + String(repeating: "y", count: 400)).utf8)
        var lines: [[UInt8]] = []
        for chunk in [long, Array("\r\n".utf8)] {
            framer.feed(chunk) { event in
                if case .line(let line) = event { lines.append(Array(line)) }
            }
        }
        XCTAssertEqual(lines.map(\.count), [407])

        var small: [UInt8] = []
        small.reserveCapacity(8)
        XCTAssertLessThan(small.capacity, 400)
        framer.reuse(small)
        XCTAssertEqual(next(&framer, "NO").0, .needMore)
        XCTAssertEqual(next(&framer, "OP\r\n").0, .heldLine)
        let taken = framer.takeHeldLine()
        XCTAssertEqual(taken, Array("NOOP\r\n".utf8))
        XCTAssertGreaterThanOrEqual(taken.capacity, 407, "the framer kept the buffer that held the long line")
    }

    func testAHeldLineNotTakenIsDroppedByTheNextCall() {
        var framer = LineFramer(maxLineLength: 512)
        XCTAssertEqual(next(&framer, "HE").0, .needMore)
        XCTAssertEqual(next(&framer, "LP\r\n").0, .heldLine)
        XCTAssertEqual(next(&framer, "QU").0, .needMore)
        XCTAssertEqual(framer.bufferedByteCount, 2, "only the new line's bytes are buffered")
        XCTAssertEqual(next(&framer, "IT\r\n").0, .heldLine)
        XCTAssertEqual(framer.takeHeldLine(), Array("QUIT\r\n".utf8))
    }
}
