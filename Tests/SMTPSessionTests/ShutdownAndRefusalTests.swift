// The driver's shutdown and connect-time refusal go through the session, so that
// the session knows it is closed, aborts an open message itself, and every reply
// a client sees comes from its catalogue.

import SMTPSession
import XCTest

final class ShutdownAndRefusalTests: XCTestCase {
    private static let bye = Reply(421, "4.3.2", "server.example.com Service shutting down, closing connection")

    private func openTransaction() -> Harness {
        var configuration = Harness.defaultConfiguration
        configuration.requireAuthentication = false
        var h = Harness(configuration)
        _ = h.code("EHLO client.example.net")
        _ = h.code("MAIL FROM:<a@example.net>")
        _ = h.code("RCPT TO:<b@example.com>")
        return h
    }

    func testShutdownBetweenTransactions() {
        var h = Harness()
        _ = h.code("EHLO client.example.net")
        XCTAssertEqual(h.session.shutdown(), [.send(Self.bye), .close])
        XCTAssertTrue(h.session.isClosed)
        XCTAssertEqual(h.session.shutdown(), [], "once")
        XCTAssertEqual(h.session.receive(Array("NOOP\r\n".utf8)), [], "nothing after")
    }

    func testShutdownMidMessageAbortsIt() {
        var h = openTransaction()
        h.send("DATA")
        h.sendRaw(Array("Subject: half\r\n".utf8))
        _ = h.takeActions()
        XCTAssertEqual(h.session.shutdown(), [.send(Self.bye), .abortMessage, .close])
    }

    func testGracefulShutdownWaitsForTheTransactionToEnd() {
        var h = openTransaction()
        h.record(h.session.shutdown(.graceful))
        XCTAssertEqual(h.takeActions(), [], "a transaction is open")
        h.send("DATA")
        h.sendRaw(Array("Subject: whole\r\n\r\nbody\r\n.\r\n".utf8))
        XCTAssertFalse(h.session.isClosed, "the delivery is out")
        h.delivered(.stored(queueID: "Q1"))
        XCTAssertEqual(
            h.replies(),
            [Reply(354, nil, "End data with <CR><LF>.<CR><LF>"), Reply(250, "2.0.0", "OK queued as Q1"), Self.bye])
        XCTAssertTrue(h.session.isClosed)
    }

    func testGracefulShutdownAtRest() {
        var h = Harness()
        _ = h.code("EHLO client.example.net")
        XCTAssertEqual(h.session.shutdown(.graceful), [.send(Self.bye), .close])
    }

    func testShutdownNowLetsADeliveryAlreadyOutFinish() {
        var h = openTransaction()
        h.send("DATA")
        h.sendRaw(Array("x\r\n.\r\n".utf8))
        _ = h.takeActions()
        XCTAssertEqual(h.session.awaiting, .delivery)
        XCTAssertEqual(withoutPhases(h.session.shutdown(.now)), [], "the message is in the store's hands")
        h.delivered(.stored(queueID: "Q2"))
        XCTAssertEqual(h.takeActions(), [.send(Reply(250, "2.0.0", "OK queued as Q2")), .send(Self.bye), .close])
    }

    func testShutdownBeforeTheGreetingRefuses() {
        var h = Harness(start: false)
        XCTAssertEqual(h.session.shutdown(), [.send(Reply(421, "4.3.2", "server.example.com Service shutting down")), .close])
    }

    func testRefusalBeforeTheGreeting() throws {
        let cases: [(SMTPSession.Refusal, Reply)] = [
            (.tooManyConnections, Reply(421, "4.3.2", "server.example.com Too many connections, try again later")),
            (.tooManyConnectionsFromAddress, Reply(421, "4.7.0", "server.example.com Too many connections from your address")),
            (.shuttingDown, Reply(421, "4.3.2", "server.example.com Service shutting down")),
            (.noService, Reply(554, "5.3.2", "server.example.com No SMTP service here")),
        ]
        for (reason, reply) in cases {
            var h = Harness(start: false)
            XCTAssertEqual(try h.session.refuse(reason), [.send(reply), .close], "\(reason)")
            XCTAssertThrowsError(try h.session.start(), "no greeting after a refusal")
        }
    }

    /// Events the state does not allow are the driver's bug: a typed error, never a silent `[]`.
    func testEventsTheStateDoesNotAllowThrow() throws {
        var started = Harness()
        XCTAssertThrowsError(try started.session.refuse(.tooManyConnections), "only instead of start()")
        XCTAssertThrowsError(try started.session.start(), "once")
        XCTAssertThrowsError(try started.session.credentialsChecked(.accepted)) { error in
            XCTAssertEqual(
                "\(error)", "credentialsChecked(_:) is not allowed while reading commands")
        }
        XCTAssertThrowsError(try started.session.deliveryFinished(.stored(queueID: nil)))
        XCTAssertThrowsError(try started.session.tlsEstablished())
        XCTAssertThrowsError(try started.session.tlsFailed())
        // A closed session ignores late answers: the connection may close while a request is out.
        var closed = openTransaction()
        closed.send("DATA")
        closed.sendRaw(Array("x\r\n.\r\n".utf8))
        XCTAssertEqual(closed.session.connectionClosed(), [])
        XCTAssertEqual(try closed.session.deliveryFinished(.stored(queueID: nil)), [])
        XCTAssertEqual(closed.session.timedOut(), [])
    }
}
