// `.beginMessage` carries the envelope as it stands, for the trace header a
// streaming driver writes before the content: the driver never reads it back.

import SMTPSession
import XCTest

final class TransactionEnvelopeTests: XCTestCase {
    func testEnvelopeAtBeginMessageMatchesTheDeliveredOne() {
        var configuration = Harness.defaultConfiguration
        configuration.requireAuthentication = false
        var h = Harness(configuration)
        _ = h.code("EHLO client.example.net")
        _ = h.code("MAIL FROM:<sender@example.net>")
        _ = h.code("RCPT TO:<one@example.com>")
        _ = h.code("RCPT TO:<two@example.com>")
        h.send("DATA")
        let atBegin = h.takeActions().compactMap { if case .beginMessage(let e) = $0 { e } else { nil } }.first
        XCTAssertEqual(atBegin?.sender, "sender@example.net")
        XCTAssertEqual(atBegin?.recipients, ["one@example.com", "two@example.com"])
        XCTAssertEqual(atBegin?.clientDomain, "client.example.net")
        XCTAssertEqual(atBegin?.size, 0)
        XCTAssertEqual(atBegin?.chunked, false)

        h.sendRaw(Array("Subject: x\r\n\r\nbody\r\n.\r\n".utf8))
        let delivered = h.takeActions().compactMap { if case .deliver(let e) = $0 { e } else { nil } }
        XCTAssertEqual(delivered.count, 1)
        var expected = atBegin
        expected?.size = 20
        XCTAssertEqual(delivered.first, expected, "only the size differs")
    }

    func testBDATBeginsTheMessageWithItsFirstChunk() {
        var configuration = Harness.defaultConfiguration
        configuration.requireAuthentication = false
        var h = Harness(configuration)
        _ = h.code("EHLO client.example.net")
        _ = h.code("MAIL FROM:<sender@example.net>")
        _ = h.code("RCPT TO:<one@example.com>")
        h.sendRaw(Array("BDAT 3\r\nabcBDAT 2 LAST\r\nde".utf8))
        let begins = h.takeActions().compactMap { if case .beginMessage(let e) = $0 { e } else { nil } }
        XCTAssertEqual(begins.map(\.chunked), [true], "one message, begun once")
        XCTAssertEqual(begins.first?.recipients, ["one@example.com"])
    }
}
