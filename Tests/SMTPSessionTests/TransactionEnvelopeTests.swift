// `transactionEnvelope`: a driver that streams content reads the envelope at
// `beginMessage`, for the trace header written before the content.

import SMTPSession
import XCTest

final class TransactionEnvelopeTests: XCTestCase {
    func testEnvelopeAtBeginMessageMatchesTheDeliveredOne() {
        var configuration = Harness.defaultConfiguration
        configuration.requireAuthentication = false
        var h = Harness(configuration)
        XCTAssertNil(h.session.transactionEnvelope)
        _ = h.code("EHLO client.example.net")
        _ = h.code("MAIL FROM:<sender@example.net>")
        _ = h.code("RCPT TO:<one@example.com>")
        _ = h.code("RCPT TO:<two@example.com>")
        h.send("DATA")
        XCTAssertTrue(h.takeActions().contains(.beginMessage))
        let atBegin = h.session.transactionEnvelope
        XCTAssertEqual(atBegin?.sender, "sender@example.net")
        XCTAssertEqual(atBegin?.recipients, ["one@example.com", "two@example.com"])
        XCTAssertEqual(atBegin?.clientDomain, "client.example.net")
        XCTAssertEqual(atBegin?.size, 0)

        h.sendRaw(Array("Subject: x\r\n\r\nbody\r\n.\r\n".utf8))
        let delivered = h.takeActions().compactMap { if case .deliver(let e) = $0 { e } else { nil } }
        XCTAssertEqual(delivered.count, 1)
        var expected = atBegin
        expected?.size = 20
        XCTAssertEqual(delivered.first, expected, "only the size differs")
        h.delivered()
        XCTAssertNil(h.session.transactionEnvelope, "no transaction after 250")
    }
}
