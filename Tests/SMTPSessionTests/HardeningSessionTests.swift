// The session's own hardening, sans-IO: synchronization, HTTP lines, the
// DATA text-line limit, junk commands, the driver's AUTH delay and lockout, and the
// observables the driver's deadlines use. The same attacks over sockets are in
// Tests/ClientIDServerTests/Hardening*.swift.

import SMTPSession
import XCTest

final class HardeningSessionTests: XCTestCase {
    private func synchronized(start: Bool = true, _ configure: (inout Configuration) -> Void = { _ in }) -> Harness {
        var c = Harness.defaultConfiguration
        c.enforceSynchronization = true
        c.requireAuthentication = false
        configure(&c)
        return Harness(c, start: start)
    }

    func testInputBeforeTheGreetingIsASynchronizationError() {
        var h = synchronized(start: false)
        h.send("EHLO client.example.net")
        h.event { try $0.start() }
        XCTAssertEqual(
            h.replies().map(\.description), ["554 5.5.0 server.example.com SMTP synchronization error, closing connection"])
        XCTAssertTrue(h.session.isClosed)
        // Without enforcement the same input is answered after the greeting.
        var lenient = Harness(Harness.defaultConfiguration, start: false)
        lenient.send("EHLO client.example.net")
        lenient.event { try $0.start() }
        XCTAssertEqual(lenient.codes(), [220, 250])
    }

    func testPipeliningBeforePIPELININGWasOffered() {
        var h = synchronized()
        _ = h.takeActions()
        h.sendRaw(Array("EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n".utf8))
        XCTAssertEqual(h.codes(), [554])
        XCTAssertTrue(h.session.isClosed)

        var helo = synchronized()
        XCTAssertEqual(helo.code("HELO client.example.net"), 250)
        helo.sendRaw(Array("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\n".utf8))
        XCTAssertEqual(helo.codes(), [554])

        // After EHLO was answered, pipelining is fine (RFC 2920).
        var ehlo = synchronized()
        XCTAssertEqual(ehlo.code("EHLO client.example.net"), 250)
        ehlo.sendRaw(Array("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n".utf8))
        XCTAssertEqual(ehlo.codes(), [250, 250, 354])
    }

    func testInputBehindDATAIsASynchronizationError() {
        var h = synchronized()
        h.send("EHLO client.example.net")
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        _ = h.takeActions()
        h.sendRaw(Array("DATA\r\nSubject: x\r\n\r\nx\r\n.\r\n".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(actions.count, 2, "\(actions)")
        XCTAssertEqual(actions.first.flatMap { if case .send(let r) = $0 { r.code } else { nil } }, 554)
        XCTAssertFalse(actions.contains { if case .beginMessage = $0 { true } else { false } })
        XCTAssertEqual(actions.last, .close)
    }

    func testUnreadableBDATSizeCloses() {
        for size in ["-1", "1x", "99999999999999999999999"] {
            var h = synchronized()
            h.send("EHLO client.example.net")
            h.send("MAIL FROM:<a@example.net>")
            h.send("RCPT TO:<b@example.com>")
            _ = h.takeActions()
            h.sendRaw(Array("BDAT \(size)\r\nRSET\r\n".utf8))
            XCTAssertEqual(h.codes().count, 1, size)
            XCTAssertTrue(h.session.isClosed, size)
        }
    }

    func testHTTPLinesCloseTheSession() {
        for line in ["GET / HTTP/1.1", "post /x HTTP/1.0", "CONNECT a:25 HTTP/1.1", "Host: example.com"] {
            var h = Harness()
            XCTAssertEqual(h.code(line), 554, line)
            XCTAssertTrue(h.session.isClosed, line)
        }
        // Not HTTP: an SMTP verb, a word without a space, a header-like word other than Host.
        for line in ["GETS / x", "GET", "Subject: x"] {
            var h = Harness()
            XCTAssertEqual(h.code(line), 500, line)
            XCTAssertFalse(h.session.isClosed, line)
        }
    }

    func testTextLineLimitInData() {
        var h = synchronized()
        h.send("EHLO client.example.net")
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        h.send("DATA")
        _ = h.takeActions()
        // A dot-stuffed line counts with its dot: "." + 998 + CRLF = 1,001.
        h.sendRaw(Array(("." + String(repeating: "x", count: 998) + "\r\n").utf8))
        XCTAssertEqual(h.takeActions().last, .abortMessage)
        h.sendRaw(Array("short\r\n.\r\n".utf8))
        XCTAssertEqual(h.replies().map(\.description), ["500 5.5.6 Line too long in message content"])
        XCTAssertFalse(h.session.inTransaction)
        XCTAssertThrowsError(
            try {
                var c = Configuration()
                c.maxTextLineLength = 999
                try c.validate()
            }())
    }

    func testJunkCommandsCountAsErrorsPastTheLimit() {
        var h = synchronized {
            $0.maxJunkCommands = 2
            $0.maxErrors = 2
        }
        XCTAssertEqual(h.code("NOOP"), 250)
        XCTAssertEqual(h.code("RSET"), 250)
        XCTAssertEqual(h.code("NOOP"), 250)  // the first error
        XCTAssertEqual(h.code("HELP"), 421)
        XCTAssertTrue(h.session.isClosed)
    }

    func testDriverDelayAndLockout() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("AUTH PLAIN \(base64(Array("\0test\0wrong".utf8)))")
        _ = h.takeActions()
        h.event { try $0.credentialsChecked(.rejected, failureDelay: .seconds(7)) }
        XCTAssertEqual(
            h.takeActions(), [.delay(.seconds(7)), .send(Reply(535, "5.7.8", "Authentication credentials invalid"))])
        h.send("AUTH PLAIN \(base64(Array("\0test\0right".utf8)))")
        _ = h.takeActions()
        h.event { try $0.credentialsChecked(.tooManyFailures, failureDelay: .seconds(3)) }
        let actions = h.takeActions()
        XCTAssertEqual(actions.first, .delay(.seconds(3)))
        XCTAssertEqual(actions.last, .close)
        XCTAssertTrue(h.session.isClosed)
        XCTAssertNil(h.session.authenticatedUser)
    }

    /// The `.reading` actions the driver's deadlines follow: reported on a change only.
    func testReadPhasesForTheDriversDeadlines() {
        var h = synchronized()
        XCTAssertEqual(h.phases, [.nextCommand], "after the greeting")
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.phases, [.nextCommand], "no change, no action")
        h.sendRaw(Array("MAIL FROM:<a@exa".utf8))
        XCTAssertEqual(h.phases.last, .restOfLine)
        h.sendRaw(Array("mple.net>\r\n".utf8))
        XCTAssertEqual(h.phases.last, .nextCommand)
        h.send("RCPT TO:<b@example.com>")
        h.send("DATA")
        XCTAssertEqual(h.phases.last, .content)
        h.sendRaw(Array("x\r\n.\r\n".utf8))
        XCTAssertEqual(h.phases.last, .driverAnswer, "the delivery is out")
        h.delivered()
        XCTAssertEqual(h.phases, [.nextCommand, .restOfLine, .nextCommand, .content, .driverAnswer, .nextCommand])
        // An overlong line being skipped is still a line in progress.
        h.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 600))
        XCTAssertEqual(h.phases.last, .restOfLine)
        h.sendRaw(Array("\r\n".utf8))
        XCTAssertEqual(h.phases.last, .nextCommand)
        h.send("QUIT")
        XCTAssertEqual(h.phases.last, .nextCommand, "nothing after close")
    }
}
