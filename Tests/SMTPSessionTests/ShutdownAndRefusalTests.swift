// The driver's shutdown and connect-time refusal go through the session, so that
// the session knows it is closed and aborts an open message itself.

import SMTPSession
import XCTest

final class ShutdownAndRefusalTests: XCTestCase {
    private static let bye = Reply(421, "4.3.2", "server.example.com Service shutting down, closing connection")

    func testShutdownBetweenTransactions() {
        var h = Harness()
        _ = h.code("EHLO client.example.net")
        XCTAssertEqual(h.session.shutdown(), [.send(Self.bye), .close])
        XCTAssertTrue(h.session.isClosed)
        XCTAssertEqual(h.session.shutdown(), [], "once")
        XCTAssertEqual(h.session.receive(Array("NOOP\r\n".utf8)), [], "nothing after")
    }

    func testShutdownMidMessageAbortsIt() {
        var configuration = Harness.defaultConfiguration
        configuration.requireAuthentication = false
        var h = Harness(configuration)
        _ = h.code("EHLO client.example.net")
        _ = h.code("MAIL FROM:<a@example.net>")
        _ = h.code("RCPT TO:<b@example.com>")
        h.send("DATA")
        h.sendRaw(Array("Subject: half\r\n".utf8))
        _ = h.takeActions()
        XCTAssertEqual(h.session.shutdown(), [.send(Self.bye), .abortMessage, .close])
    }

    func testRefusalBeforeTheGreeting() {
        var temporary = Harness(start: false)
        XCTAssertEqual(
            temporary.session.refuse(permanently: false, "Too many connections"),
            [.send(Reply(421, "4.3.2", "server.example.com Too many connections")), .close])
        XCTAssertEqual(temporary.session.start(), [], "no greeting after a refusal")

        var permanent = Harness(start: false)
        XCTAssertEqual(
            permanent.session.refuse(permanently: true, "No SMTP service here"),
            [.send(Reply(554, "5.3.2", "server.example.com No SMTP service here")), .close])

        var started = Harness()
        XCTAssertEqual(started.session.refuse(permanently: false, "late"), [], "only instead of start()")
    }
}
