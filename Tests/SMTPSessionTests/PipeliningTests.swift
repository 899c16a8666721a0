// RFC 2920: replies come out in order, one per command, whatever the chunking,
// and while the session waits for the driver, input waits too.

import ClientIDPolicy
import SMTPSession
import XCTest

final class PipeliningTests: XCTestCase {
    func testWholeSubmissionInOneWrite() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.sendRaw(
            Array(
                ("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\nAUTH PLAIN \(base64(Array("\0test\01234".utf8)))\r\n"
                    + "MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
                    + "hello\r\n.\r\nQUIT\r\n").utf8))
        XCTAssertEqual(h.codes(), [250], "CLIENTID answered, then the AUTH check holds everything else")
        XCTAssertEqual(h.session.awaiting, .credentials)
        XCTAssertEqual(h.checkRequests.last?.clientIdentity?.type, "UUID")
        h.credentials(.accepted)
        XCTAssertEqual(h.codes(), [235, 250, 250, 250, 354], "then up to the end of DATA")
        XCTAssertEqual(h.session.awaiting, .delivery)
        h.delivered()
        XCTAssertEqual(h.codes(), [250, 221])
        XCTAssertTrue(h.session.isClosed)
    }

    /// The same conversation byte by byte and in one write gives the same actions.
    func testTrickledInputGivesTheSameActions() {
        let script =
            "EHLO a\r\nCLIENTID UUID x\r\nAUTH PLAIN \(base64(Array("\0u\0p".utf8)))\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n"
            + "BDAT 5\r\n12345BDAT 3 LAST\r\nxyzRSET\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n..x\r\n\n.\n\r\n.\r\nNOOP\r\nQUIT\r\n"
        func run(chunk: Int) -> [Action] {
            var c = Harness.defaultConfiguration
            c.implicitTLS = true
            var h = Harness(c)
            let bytes = Array(script.utf8)
            var i = 0
            while i < bytes.count {
                h.sendRaw(Array(bytes[i..<min(i + chunk, bytes.count)]))
                i += chunk
                while let awaiting = h.session.awaiting {
                    switch awaiting {
                    case .credentials: h.credentials(.accepted)
                    case .delivery: h.delivered()
                    case .tlsHandshake: h.tlsEstablished()
                    }
                }
            }
            // Join content chunks so that chunking does not matter.
            var joined: [Action] = []
            for action in h.takeActions() {
                if case .messageData(let b) = action, case .messageData(let a)? = joined.last {
                    joined[joined.count - 1] = .messageData(a + b)
                } else {
                    joined.append(action)
                }
            }
            return joined
        }
        let whole = run(chunk: Int.max / 2)
        XCTAssertEqual(
            whole.filter { if case .send = $0 { true } else { false } }.count, 1 + 14, "greeting + one reply per command")
        for chunk in [1, 2, 3, 7, 64] {
            XCTAssertEqual(run(chunk: chunk), whole, "chunk size \(chunk)")
        }
    }

    func testCommandsAfterAnUnfinishedAuthExchangeAreResponses() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.sendRaw(Array("AUTH LOGIN\r\nNOOP now\r\nNOOP\r\n".utf8))
        XCTAssertEqual(
            h.codes(), [334, 501, 250], "the line after AUTH is its response: not base64, so 501; the exchange is over")
    }
}
