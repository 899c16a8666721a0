// When LineFramer reports a line too long (RFC 5321 §4.5.3.1.4, D12): as soon
// as the bytes of a line without its CRLF exceed the limit, not before. A
// partial line of exactly the limit is not too long yet, even though no CRLF
// can now make it fit: the error comes with the byte that passes the limit.

import SMTPCommandParser
import XCTest

final class LineFramerLimitTests: XCTestCase {
    func testThePartialLineAtTheLimitIsNotReportedYet() {
        for limit in [3, 10, 64, 512] {
            let full = [UInt8](repeating: UInt8(ascii: "A"), count: limit)
            for pieces in [[full], [Array(full.prefix(1)), Array(full.dropFirst())], full.map { [$0] }] {
                var events: [FramerEvent] = []
                var framer = LineFramer(maxLineLength: limit)
                for piece in pieces {
                    framer.feed(piece) { event in
                        if case .error(let e) = event { events.append(.error(e.kind, offset: e.offset)) }
                        if case .line(let l) = event { events.append(.line(Array(l))) }
                    }
                }
                XCTAssertEqual(events, [], "limit \(limit), \(pieces.count) pieces: \(limit) bytes, no CRLF yet")
                XCTAssertEqual(framer.bufferedByteCount, limit)
                framer.feed(Array("B".utf8)) { event in
                    if case .error(let e) = event { events.append(.error(e.kind, offset: e.offset)) }
                }
                XCTAssertEqual(events, [.error(.lineTooLong, offset: limit)], "limit \(limit): one byte more")
                XCTAssertEqual(framer.bufferedByteCount, 0, "the rest of the line is not kept")
            }
            // With its CRLF inside the limit, the same length is a line.
            let fits = [UInt8](repeating: UInt8(ascii: "A"), count: limit - 2) + [0x0D, 0x0A]
            XCTAssertEqual(frame([fits], maxLineLength: limit), [.line(fits)])
            XCTAssertEqual(frame([fits.dropLast(1) + [0x0D, 0x0A]], maxLineLength: limit), [.error(.lineTooLong, offset: limit)])
        }
    }
}
