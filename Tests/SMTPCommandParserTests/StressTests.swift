import Foundation
import SMTPCommandParser
import XCTest

/// Big inputs: linear time, nothing lost, nothing reordered.
final class StressTests: XCTestCase {
    // RFC 5321 §4.1.2 Mail-parameters has no count limit in the grammar; the line limit is the framer's.
    func testMAILWithTenThousandParametersParsesInOrder() throws {
        var line = bytes("MAIL FROM:<a@b>")
        var expected: [(String, String?)] = []
        for i in 0..<10_000 {
            let pair: (String, String?) = i % 3 == 0 ? ("X\(i)", nil) : ("P-\(i)", "v\(i)+2B")
            expected.append(pair)
            line += bytes(" " + pair.0 + (pair.1.map { "=" + $0 } ?? ""))
        }
        line += bytes(" SIZE=12345 SMTPUTF8\r\n")
        expected += [("SIZE", "12345"), ("SMTPUTF8", nil)]

        let start = Date()
        let command = try SMTPCommandParser().parse(line)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 2, "\(line.count) octets took \(elapsed) s")

        guard case .mail(let mail) = command, let parameters = mail.parameters else {
            return XCTFail("not a MAIL with parameters")
        }
        XCTAssertEqual(mail.size, 12345)
        XCTAssertTrue(mail.smtputf8)
        line.withUnsafeBytes { raw in
            var got: [(String, String?)] = []
            for p in ESMTPParameterIterator(line: raw, range: parameters) {
                got.append((text(raw, p.keyword), p.value.map { text(raw, $0) }))
            }
            XCTAssertEqual(got.count, expected.count)
            for (i, (g, e)) in zip(got, expected).enumerated() where g.0 != e.0 || g.1 != e.1 {
                return XCTFail("parameter \(i): got \(g), expected \(e)")
            }
        }
        checkRoundTrip(line, .strictMode)

        // The same line through a framer whose limit allows it.
        let events = frame([line], maxLineLength: line.count)
        XCTAssertEqual(events, [.line(line)])
    }

    // D12: see LineFramerTests for the chunked variants; here the whole MiB is one chunk.
    func testOneMebibyteWithoutCRLFInOneChunk() {
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + bytes("\r\nQUIT\r\n")
        var largest = 0
        let events = frame([input]) { largest = max(largest, $0.bufferedByteCount) }
        XCTAssertEqual(events, [.error(.lineTooLong, offset: 512), .line(bytes("QUIT\r\n"))])
        XCTAssertLessThanOrEqual(largest, 512)
        // The parser itself given the whole unterminated MiB: incomplete, not an error, in linear time.
        let start = Date()
        let unterminated = bytes("NOOP ") + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        if case .failure(let error) = parseResult(unterminated, .strictMode) {
            XCTAssertEqual(error.kind, .incomplete)
        } else {
            XCTFail("an unterminated NOOP argument parsed")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }
}
