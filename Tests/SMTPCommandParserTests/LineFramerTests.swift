import SMTPCommandParser
import XCTest

/// LineFramer: only CRLF ends a line (RFC 5321 §2.3.8, D12), a line is at most
/// the limit (RFC 5321 §4.5.3.1.4, D12), NUL is the parser's to judge (D5). Every
/// transcript is replayed whole, split at every byte boundary and trickled.
final class LineFramerTests: XCTestCase {
    struct Transcript {
        let input: [UInt8]
        let events: [FramerEvent]
        let maxLineLength: Int
        let file: StaticString
        let line: UInt
        init(
            _ input: String, _ events: [FramerEvent], maxLineLength: Int = 512, file: StaticString = #filePath, line: UInt = #line
        ) {
            self.input = bytes(input)
            self.events = events
            self.maxLineLength = maxLineLength
            self.file = file
            self.line = line
        }
    }

    func run(_ transcripts: [Transcript]) {
        for t in transcripts {
            for (how, chunks) in chunkings(t.input) {
                XCTAssertEqual(
                    frame(chunks, maxLineLength: t.maxLineLength), t.events, "\(show(t.input)) \(how)", file: t.file, line: t.line
                )
            }
        }
    }

    func l(_ text: String) -> FramerEvent { .line(bytes(text)) }

    func testPipelinedLinesComeOutInOrder() {
        run([
            Transcript(
                "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
                [l("EHLO x\r\n"), l("MAIL FROM:<a@b>\r\n"), l("RCPT TO:<c@d>\r\n"), l("DATA\r\n")]),
            Transcript("\r\n\r\nQUIT\r\n", [l("\r\n"), l("\r\n"), l("QUIT\r\n")]),
            Transcript("QUIT\r\nNOOP", [l("QUIT\r\n")]),
        ])
    }

    func testFramingErrorsAreReportedOncePerLineAndTheNextLineStillParses() throws {
        run([
            Transcript("NOOP a\nb\r\nQUIT\r\n", [.error(.bareLineFeed, offset: 6), l("QUIT\r\n")]),
            Transcript("\nQUIT\r\nNOOP\r\n", [.error(.bareLineFeed, offset: 0), l("NOOP\r\n")]),
            Transcript("NOOP a\rb\r\nQUIT\r\n", [.error(.bareCarriageReturn, offset: 6), l("QUIT\r\n")]),
            Transcript("QUIT\r\r\nNOOP\r\n", [.error(.bareCarriageReturn, offset: 4), l("NOOP\r\n")]),
            Transcript("A\nB\rC\u{0}D\nE\r\nQUIT\r\n", [.error(.bareLineFeed, offset: 1), l("QUIT\r\n")]),
            Transcript("A\rB\u{0}\r\nQUIT\r\n", [.error(.bareCarriageReturn, offset: 1), l("QUIT\r\n")]),
        ])
        XCTAssertEqual(Kind.bareLineFeed.replyCode, 500)
        XCTAssertEqual(Kind.bareCarriageReturn.replyCode, 500)
        XCTAssertEqual(try SMTPCommandParser().parse(bytes("QUIT\r\n")), .quit)
    }

    // D5, D12: framing is CRLF, bare CR, bare LF and length only. A line with a NUL is
    // handed out whole, and the parser decides where the NUL falls: in the first token
    // the line is no command (500, RFC 5321 §4.2.4), after a known verb a 501.
    func testNULIsNoFramingErrorAndTheParserJudgesIt() throws {
        run([
            Transcript("NOOP a\u{0}b\r\nQUIT\r\n", [l("NOOP a\u{0}b\r\n"), l("QUIT\r\n")]),
            Transcript("NO\u{0}OP\r\n\u{0}\r\n", [l("NO\u{0}OP\r\n"), l("\u{0}\r\n")]),
            Transcript("\u{0}\u{0}\nQUIT\r\n", [.error(.bareLineFeed, offset: 2)]),
        ])
        let parser = SMTPCommandParser()
        for (line, kind, offset) in [
            ("NOOP a\u{0}b\r\n", Kind.nulByte, 6), ("NO\u{0}OP\r\n", .unknownCommand, 2), ("\u{0}\r\n", .unknownCommand, 0),
        ] {
            XCTAssertThrowsError(try parser.parse(bytes(line)), line) { error in
                XCTAssertEqual((error as? SMTPSyntaxError)?.kind, kind, line)
                XCTAssertEqual((error as? SMTPSyntaxError)?.offset, offset, line)
            }
        }
        XCTAssertEqual(Kind.nulByte.replyCode, 501)
        XCTAssertEqual(Kind.unknownCommand.replyCode, 500)
    }

    func testLineSplitBetweenCRAndLFAcrossChunks() {
        XCTAssertEqual(frame([bytes("QUIT\r"), bytes("\n")]), [l("QUIT\r\n")])
        XCTAssertEqual(
            frame([bytes("QUIT\r"), bytes("\nNOOP\r"), bytes("\nRSET\r\n")]), [l("QUIT\r\n"), l("NOOP\r\n"), l("RSET\r\n")])
        XCTAssertEqual(
            frame([bytes("NOOP a\r"), bytes("b\r\nQUIT\r\n")]), [.error(.bareCarriageReturn, offset: 6), l("QUIT\r\n")])
        XCTAssertEqual(frame([bytes("NOOP\r"), bytes("\r"), bytes("\n")]), [.error(.bareCarriageReturn, offset: 4)])
    }

    func testPartialLineStateAndBufferedBytes() {
        var framer = LineFramer()
        XCTAssertFalse(framer.hasPartialLine)
        framer.feed(bytes("QUIT\r\nNO")) { _ in }
        XCTAssertTrue(framer.hasPartialLine)
        XCTAssertEqual(framer.bufferedByteCount, 2)
        var lines: [[UInt8]] = []
        framer.feed(bytes("OP\r\n")) { if case .line(let line) = $0 { lines.append(Array(line)) } }
        XCTAssertEqual(lines, [bytes("NOOP\r\n")])
        XCTAssertFalse(framer.hasPartialLine)
        XCTAssertEqual(framer.bufferedByteCount, 0)
    }

    // RFC 5321 §4.5.3.1.4: 512 octets with CRLF by default; exactly the limit is a line, one more is an error.
    func testLineOfExactlyTheLimitIsAcceptedAndOneMoreOctetIsAnError() {
        for limit in [512, 1000, 8] {
            let fits = bytes(String(repeating: "N", count: limit - 2) + "\r\n")
            let over = bytes(String(repeating: "N", count: limit - 1) + "\r\n")
            let next = bytes("QUIT\r\n")
            for (how, chunks) in [("whole", [fits + over + next]), ("trickled", (fits + over + next).map { [$0] })] {
                XCTAssertEqual(
                    frame(chunks, maxLineLength: limit), [.line(fits), .error(.lineTooLong, offset: limit), .line(next)],
                    "limit \(limit), \(how)")
            }
            for k in 1..<over.count {
                XCTAssertEqual(
                    frame([Array(over[..<k]), Array(over[k...]) + next], maxLineLength: limit),
                    [.error(.lineTooLong, offset: limit), .line(next)], "limit \(limit), split at \(k)")
            }
        }
        XCTAssertEqual(LineFramer().maxLineLength, 512)
        XCTAssertEqual(LineFramer(maxLineLength: 1000).maxLineLength, 1000)
        XCTAssertEqual(Kind.lineTooLong.replyCode, 500)
    }

    // D12: one error per overlong line however long it grows, memory bounded by the limit.
    func testOneMebibyteWithoutCRLFIsOneErrorAndBufferedBytesStayWithinTheLimit() throws {
        let mebibyte = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        for (limit, chunkSize) in [(512, 4096), (512, 1000), (1000, 333), (512, 1 << 20)] {
            var chunks: [[UInt8]] = stride(from: 0, to: mebibyte.count, by: chunkSize).map {
                Array(mebibyte[$0..<min($0 + chunkSize, mebibyte.count)])
            }
            chunks.append(bytes("\r\nQUIT\r\n"))
            var largest = 0
            let events = frame(chunks, maxLineLength: limit) { framer in largest = max(largest, framer.bufferedByteCount) }
            XCTAssertEqual(
                events, [.error(.lineTooLong, offset: limit), l("QUIT\r\n")], "limit \(limit), chunks of \(chunkSize)")
            XCTAssertLessThanOrEqual(largest, limit, "limit \(limit), chunks of \(chunkSize)")
        }
        XCTAssertEqual(try SMTPCommandParser().parse(bytes("QUIT\r\n")), .quit)
    }
}
