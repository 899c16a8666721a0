import SMTPCommandParser
import XCTest

/// Every fixture replayed: framed however it is chunked, cut short, embedded
/// between canary bytes, and serialised back.
final class ReplayTests: XCTestCase {
    var valid: [Fixture] { Fixtures.all.filter(\.isValid) }

    func testThereAreEnoughValidFixtures() {
        XCTAssertGreaterThan(valid.count, 140)
    }

    // Dovecot's lib-smtp style: whole, split in two at every byte boundary, and one byte per chunk.
    func testEveryValidFixtureFramesToExactlyOneIdenticalLineHoweverItIsChunked() {
        for f in valid {
            for (how, chunks) in chunkings(f.input) {
                let events = frame(chunks, maxLineLength: max(512, f.input.count))
                XCTAssertEqual(events, [.line(f.input)], "\(show(f.input)) \(how)", file: f.file, line: f.line)
            }
        }
    }

    // "Need more bytes" is not "wrong bytes" (swift-nio-imap): every proper prefix of a
    // valid line, including one ending in the CR of its CRLF, is incomplete at its end.
    func testEveryProperPrefixOfAValidFixtureIsIncomplete() {
        for f in valid {
            for n in 0..<f.input.count {
                let prefix = Array(f.input[..<n])
                switch parseResult(prefix, f.options) {
                case .failure(let error) where error.kind == .incomplete:
                    XCTAssertEqual(error.offset, n, "\(show(prefix)) [\(f.options.name)]", file: f.file, line: f.line)
                    XCTAssertEqual(error.replyCode, 500, file: f.file, line: f.line)
                case .failure(let error):
                    XCTFail(
                        "prefix \(show(prefix)) [\(f.options.name)]: \(error), expected incomplete", file: f.file, line: f.line)
                case .success(let command):
                    XCTFail(
                        "prefix \(show(prefix)) [\(f.options.name)] accepted as \(owned(command, prefix).rendered)", file: f.file,
                        line: f.line)
                }
            }
        }
    }

    // swift-nio-imap style canaries: the line sits inside a larger buffer; the parser
    // must read only the line and report offsets from its first byte.
    func testEveryFixtureParsesTheSameBetweenCanaryBytes() {
        let canaries: [([UInt8], [UInt8])] = [
            (bytes("RCPT TO:<canary@x>\r\n"), bytes(" SIZE=1 NOTIFY=NEVER\r\nQUIT\r\n")),
            ([0x00, 0xFF, 0x0D], [0x00, 0xFF, 0x0A, 0x0D]),
            (Array(repeating: UInt8(ascii: "A"), count: 17), bytes("@example.com> SMTPUTF8\r\n")),
        ]
        for f in Fixtures.all {
            let bare = parseResult(f.input, f.options)
            for (before, after) in canaries {
                let big = before + f.input + after
                big.withUnsafeBytes { raw in
                    let slice = UnsafeRawBufferPointer(rebasing: raw[before.count..<(before.count + f.input.count)])
                    let embedded = parseResult(slice, f.options)
                    let what = "\(show(f.input)) [\(f.options.name)] after \(show(before))"
                    switch (embedded, bare) {
                    case (.success(let command), .success(let expected)):
                        XCTAssertEqual(command, expected, what, file: f.file, line: f.line)
                        for r in allRanges(command) {
                            XCTAssert(
                                r.lowerBound >= 0 && r.upperBound <= f.input.count, "\(what): \(r) leaves the line", file: f.file,
                                line: f.line)
                            // Shifted by the canary, the range holds the same bytes as in the bare line.
                            XCTAssertEqual(
                                Array(raw[(r.lowerBound + before.count)..<(r.upperBound + before.count)]), Array(f.input[r]),
                                what,
                                file: f.file, line: f.line)
                        }
                        XCTAssert(
                            OwnedSMTPCommand(command, line: slice) == owned(expected, f.input), what, file: f.file, line: f.line)
                    case (.failure(let error), .failure(let expected)):
                        XCTAssertEqual(error, expected, what, file: f.file, line: f.line)
                        XCTAssertEqual(error.kind, expected.kind, what, file: f.file, line: f.line)
                    default:
                        XCTFail("\(what): \(embedded) embedded, \(bare) bare", file: f.file, line: f.line)
                    }
                }
            }
        }
    }

    // The framer hands out the same line when fed a slice of a larger buffer.
    func testFramerReadsOnlyItsChunkBetweenCanaryBytes() {
        for f in valid {
            let big = bytes("\r\nQUIT") + f.input + bytes("\nX\r")
            var framer = LineFramer(maxLineLength: max(512, f.input.count))
            var lines: [[UInt8]] = []
            big.withUnsafeBytes { raw in
                framer.feed(UnsafeRawBufferPointer(rebasing: raw[6..<(6 + f.input.count)])) { event in
                    if case .line(let line) = event {
                        lines.append(Array(line))
                    } else {
                        XCTFail("\(event)", file: f.file, line: f.line)
                    }
                }
            }
            XCTAssertEqual(lines, [f.input], file: f.file, line: f.line)
        }
    }

    func testEveryValidFixtureRoundTripsThroughOwnedSMTPCommand() {
        for f in valid { checkRoundTrip(f.input, f.options, file: f.file, line: f.line) }
    }
}
