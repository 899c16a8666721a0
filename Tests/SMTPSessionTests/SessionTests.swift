// SMTP submission behaviour outside CLIENTID: RFC 5321, 6409, 3207, 4954, 3030, 1870.

import ClientIDPolicy
import SMTPSession
import XCTest

final class SessionTests: XCTestCase {
    private func authenticated(_ configure: (inout Configuration) -> Void = { _ in }) -> Harness {
        var c = Harness.defaultConfiguration
        configure(&c)
        var h = Harness(c)
        h.startTLSAndEHLO()
        h.authPlain(outcome: .accepted)
        _ = h.takeActions()
        return h
    }

    // MARK: Greeting and EHLO

    func testGreetingAndEHLOKeywords() {
        var h = Harness()
        XCTAssertEqual(h.replies(), [Reply(220, nil, "server.example.com ESMTP ready")])
        h.send("EHLO client.example.net")
        XCTAssertEqual(
            h.replies().first?.lines,
            [
                "server.example.com greets client.example.net", "PIPELINING", "SIZE 26214400", "8BITMIME",
                "CHUNKING", "ENHANCEDSTATUSCODES", "STARTTLS",
            ])
        h.send("STARTTLS")
        h.tlsEstablished()
        h.send("EHLO client.example.net")
        XCTAssertEqual(
            h.replies().last?.lines.dropFirst(),
            [
                "PIPELINING", "SIZE 26214400", "8BITMIME", "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN", "CLIENTID",
            ])
        h.authPlain(outcome: .accepted)
        _ = h.takeActions()
        h.send("EHLO client.example.net")
        XCTAssertFalse(h.replies().first!.lines.contains { $0.hasPrefix("AUTH") }, "no AUTH once authenticated")
    }

    func testEHLOReflectsConfiguration() {
        var c = Harness.defaultConfiguration
        c.smtputf8 = true
        c.maxMessageSize = 1000
        c.startTLSAvailable = false
        c.allowAuthWithoutTLS = true
        c.authMechanisms = [.plain]
        var h = Harness(c)
        h.send("EHLO client.example.net")
        XCTAssertEqual(
            h.replies().last?.lines.dropFirst(),
            [
                "PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH PLAIN",
            ])
    }

    func testHELOIsOneLineWithoutExtensions() {
        var h = Harness()
        _ = h.takeActions()
        h.send("HELO client.example.net")
        XCTAssertEqual(h.replies(), [Reply(250, nil, "server.example.com greets client.example.net")])
    }

    func testEnhancedStatusCodesOnEveryReplyButGreetingEHLOAnd3xx() {
        var h = Harness()
        h.startTLSAndEHLO()
        for line in ["NOOP", "RSET", "VRFY x", "HELP", "FOO", "MAIL FROM:<a@b>", "CLIENTID UUID x", "AUTH PLAIN", "AGFiAGM="] {
            h.send(line)
        }
        h.credentials(.accepted)
        h.send("QUIT")
        for reply in h.replies() where reply.code / 100 != 3 {
            XCTAssertNotNil(reply.enhancedStatus, "\(reply)")
            XCTAssertEqual(
                reply.enhancedStatus?.first.map(String.init), String(reply.code / 100), "RFC 3463 class matches \(reply)")
        }
    }

    // MARK: Commands in general

    func testUnknownVerbAndSyntaxErrorsUseTheParserCodes() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("FOO bar"), 500)
        XCTAssertEqual(h.code("MAIL FROM:<bad"), 501)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> NOTIFY=NEVER"), 555, "parser: parameterNotAllowed")
        XCTAssertEqual(h.code("1234"), 500)
        XCTAssertEqual(h.code("NOOP"), 250)
        XCTAssertEqual(h.code("VRFY postmaster"), 252)
        XCTAssertEqual(h.code("EXPN list"), 502)
        XCTAssertEqual(h.code("HELP"), 214)
    }

    func testSubmissionNeedsEHLOAndAuthentication() {
        var h = Harness()
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net>"), 503, "no EHLO")
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net>"), 530, "RFC 6409 §4.3")
        h.authPlain(outcome: .accepted)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net>"), 250)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net>"), 503, "nested MAIL")
    }

    func testMailParameters() {
        var h = authenticated { $0.maxMessageSize = 1000 }
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> SIZE=1001"), 552)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> SMTPUTF8"), 555, "not advertised")
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> BODY=BINARYMIME"), 555, "not advertised")
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> X-FOO=1"), 555)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net> SIZE=1000 BODY=8BITMIME AUTH=<>"), 250)
        XCTAssertEqual(h.code("RCPT TO:<b@example.com> NOTIFY=NEVER"), 555, "DSN not advertised")
    }

    func testSMTPUTF8FollowsTheConfiguration() {
        var h = authenticated()
        XCTAssertEqual(h.code("MAIL FROM:<j\u{F6}rg@example.net>"), 501, "RFC 6531 off: non-ASCII is a syntax error")
        var u = authenticated { $0.smtputf8 = true }
        XCTAssertEqual(u.code("MAIL FROM:<j\u{F6}rg@example.net> SMTPUTF8"), 250)
        XCTAssertEqual(u.code("RCPT TO:<\u{E9}l\u{E8}ve@example.com>"), 250)
        u.send("DATA")
        u.send(".")
        let envelope = u.takeActions().compactMap { if case .deliver(let e) = $0 { e } else { nil } }.first
        XCTAssertEqual(envelope?.sender, "j\u{F6}rg@example.net")
        XCTAssertEqual(envelope?.smtputf8, true)
    }

    func testBytesBeforeTheGreetingWait() {
        var h = Harness(start: false)
        h.send("NOOP")
        XCTAssertEqual(h.codes(), [])
        h.event { try $0.start() }
        XCTAssertEqual(h.codes(), [220, 250])
    }

    func testRecipientLimit() {
        var h = authenticated()
        h.send("MAIL FROM:<a@example.net>")
        for i in 0..<100 { h.send("RCPT TO:<r\(i)@example.com>") }
        XCTAssertEqual(Set(h.codes()), [250])
        XCTAssertEqual(h.code("RCPT TO:<r100@example.com>"), 452)
        h.send("DATA")
        h.send(".")
        let envelope = h.takeActions().compactMap { if case .deliver(let e) = $0 { e } else { nil } }.first
        XCTAssertEqual(envelope?.recipients.count, 100)
    }

    func testRSETEndsTheTransactionOnly() {
        var h = authenticated()
        h.send("MAIL FROM:<a@example.net>")
        XCTAssertEqual(h.code("RSET"), 250)
        XCTAssertFalse(h.session.inTransaction)
        XCTAssertEqual(h.session.authenticatedUser, "test")
        XCTAssertEqual(h.code("RCPT TO:<b@example.com>"), 503)
    }

    func testQUITClosesAndIgnoresTheRest() {
        var h = Harness()
        _ = h.takeActions()
        h.sendRaw(Array("QUIT\r\nNOOP\r\n".utf8))
        XCTAssertEqual(
            h.takeActions(), [.send(Reply(221, "2.0.0", "server.example.com Service closing transmission channel")), .close])
        h.send("NOOP")
        XCTAssertEqual(h.takeActions(), [])
    }

    // MARK: DATA

    func testDATADeliversOnlyAfterTheDriverStoredIt() {
        var h = authenticated()
        h.send("MAIL FROM:<>")
        h.send("RCPT TO:<b@example.com>")
        XCTAssertEqual(h.codes(), [250, 250])
        h.send("DATA")
        h.sendRaw(Array("Subject: x\r\n\r\n..leading dot\r\n.\r\n".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(actions.first, .send(Reply(354, nil, "End data with <CR><LF>.<CR><LF>")))
        let content = messageContent(actions)
        XCTAssertEqual(String(decoding: content, as: UTF8.self), "Subject: x\r\n\r\n.leading dot\r\n")
        guard case .deliver(let envelope) = actions.last else { return XCTFail("no deliver: \(actions)") }
        XCTAssertEqual(envelope.sender, "")
        XCTAssertEqual(envelope.size, content.count)
        XCTAssertFalse(actions.contains { if case .send(let r) = $0 { r.code == 250 } else { false } }, "no 250 before delivery")
        h.send("NOOP")
        XCTAssertEqual(h.codes(), [], "commands wait for the delivery")
        h.delivered(.stored(queueID: "Q1"))
        XCTAssertEqual(h.replies(), [Reply(250, "2.0.0", "OK queued as Q1"), Reply(250, "2.0.0", "OK")])
        XCTAssertFalse(h.session.inTransaction)
    }

    func testDeliveryFailures() {
        for (result, code) in [(DeliveryResult.temporaryFailure, 451), (.permanentFailure, 554)] {
            var h = authenticated()
            h.send("MAIL FROM:<a@example.net>")
            h.send("RCPT TO:<b@example.com>")
            h.send("DATA")
            h.send(".")
            _ = h.takeActions()
            h.delivered(result)
            XCTAssertEqual(h.codes(), [code])
            XCTAssertFalse(h.session.inTransaction)
        }
    }

    func testDATAOutOfSequence() {
        var h = authenticated()
        XCTAssertEqual(h.code("DATA"), 503, "no MAIL")
        h.send("MAIL FROM:<a@example.net>")
        XCTAssertEqual(h.code("DATA"), 554, "no recipient")
    }

    func testMessageSizeLimitStopsBuffering() {
        var h = authenticated { $0.maxMessageSize = 10 }
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        h.send("DATA")
        _ = h.takeActions()
        h.sendRaw(Array("0123456789\r\n".utf8))
        h.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 5000))
        h.sendRaw(Array("\r\n.\r\n".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(actions, [.abortMessage, .send(Reply(552, "5.3.4", "Message size exceeds fixed maximum message size"))])
        XCTAssertFalse(h.session.inTransaction)
        XCTAssertEqual(h.code("NOOP"), 250)
    }

    // MARK: BDAT (RFC 3030)

    func testBDATExactCountsAcrossReads() {
        var h = authenticated()
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        _ = h.takeActions()
        // The chunk contains what would be commands and an end-of-data marker: all content.
        let chunk = Array("QUIT\r\n.\r\nRSET\r\n".utf8)
        h.sendRaw(Array("BDAT \(chunk.count)\r\n".utf8) + chunk.prefix(3))
        h.sendRaw(Array(chunk.dropFirst(3)) + Array("BDAT 3 LAST\r\nabc".utf8))
        let actions = h.takeActions()
        let content = messageContent(actions)
        XCTAssertEqual(content, chunk + Array("abc".utf8))
        XCTAssertEqual(actions.compactMap { if case .send(let r) = $0 { r.code } else { nil } }, [250])
        guard case .deliver(let envelope) = actions.last else { return XCTFail("\(actions)") }
        XCTAssertTrue(envelope.chunked)
        XCTAssertEqual(envelope.size, chunk.count + 3)
        h.delivered()
        XCTAssertEqual(h.codes(), [250])
        XCTAssertEqual(h.code("BDAT 0 LAST"), 503, "BDAT after BDAT LAST")
    }

    func testBDATThenDATAIs503() {
        var h = authenticated()
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        h.sendRaw(Array("BDAT 2\r\nab".utf8))
        XCTAssertEqual(h.codes(), [250, 250, 250])
        XCTAssertEqual(h.code("DATA"), 503)
        h.send("RSET")
        XCTAssertTrue(h.takeActions().contains(.abortMessage))
    }

    func testBDATWithoutTransactionConsumesTheChunk() {
        var h = authenticated()
        h.sendRaw(Array("BDAT 6\r\nNOOP\r\n".utf8))
        XCTAssertEqual(h.codes(), [503], "the chunk is read, then refused; its NOOP is not a command")
        h.send("MAIL FROM:<a@example.net>")
        h.sendRaw(Array("BDAT 6 LAST\r\nNOOP\r\n".utf8))
        XCTAssertEqual(h.codes(), [250, 554])
    }

    func testBDATBadSizes() {
        var h = authenticated()
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        _ = h.takeActions()
        XCTAssertEqual(h.code("BDAT"), 501)
        XCTAssertEqual(h.code("BDAT -1"), 501)
        XCTAssertEqual(h.code("BDAT 1x"), 501)
        XCTAssertEqual(h.code("BDAT 99999999999999999999999"), 552, "parser: sizeTooLarge")
    }

    func testBDATOverTheSizeLimit() {
        var h = authenticated { $0.maxMessageSize = 4 }
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        _ = h.takeActions()
        h.sendRaw(Array("BDAT 3\r\nabcBDAT 3 LAST\r\ndef".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(actions.compactMap { if case .send(let r) = $0 { r.code } else { nil } }, [250, 552])
        XCTAssertTrue(actions.contains(.abortMessage))
        XCTAssertFalse(actions.contains { if case .deliver = $0 { true } else { false } })
        XCTAssertFalse(h.session.inTransaction)
    }

    // MARK: STARTTLS (RFC 3207, D13)

    func testSTARTTLSDiscardsPipelinedPlaintext() {
        var h = Harness()
        h.send("EHLO client.example.net")
        _ = h.takeActions()
        h.sendRaw(Array("STARTTLS\r\nEHLO evil\r\nMAIL FROM:<a@b>\r\n".utf8))
        XCTAssertEqual(h.takeActions(), [.send(Reply(220, "2.0.0", "Ready to start TLS")), .startTLS])
        XCTAssertEqual(h.session.awaiting, .tlsHandshake)
        h.send("NOOP")
        XCTAssertEqual(h.takeActions(), [], "plaintext during the handshake is dropped")
        h.tlsEstablished()
        XCTAssertEqual(h.session.bufferedInputCount, 0)
        XCTAssertEqual(h.code("MAIL FROM:<a@example.net>"), 503, "needs a new EHLO")
    }

    func testSTARTTLSRefusedWhenAlreadyEncrypted() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("STARTTLS"), 503)
        var c = Harness.defaultConfiguration
        c.implicitTLS = true
        var implicit = Harness(c)
        XCTAssertEqual(implicit.code("STARTTLS"), 503, "D16")
        c.implicitTLS = false
        c.startTLSAvailable = false
        var none = Harness(c)
        XCTAssertEqual(none.code("STARTTLS"), 454)
    }

    func testTLSFailureCloses() throws {
        var h = Harness()
        h.send("STARTTLS")
        XCTAssertEqual(try h.session.tlsFailed(), [.close])
        XCTAssertTrue(h.session.isClosed)
    }

    // MARK: AUTH (RFC 4954, RFC 4616, LOGIN)

    func testAuthPlainWithoutInitialResponse() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("AUTH PLAIN")
        XCTAssertEqual(h.replies().map(\.textLines), [["334 "]], "RFC 4954 §4: an empty challenge is \"334 \"")
        h.send(base64(Array("admin\0test\0secret".utf8)))
        XCTAssertEqual(h.checkRequests.last?.authorizationIdentity, "admin")
        XCTAssertEqual(h.checkRequests.last?.username, "test")
        XCTAssertEqual(h.checkRequests.last?.password, Array("secret".utf8))
        h.credentials(.accepted)
        XCTAssertEqual(h.codes(), [235])
        XCTAssertEqual(h.session.authenticatedUser, "admin")
    }

    func testAuthLogin() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("AUTH LOGIN")
        h.send(base64(Array("test".utf8)))
        h.send(base64(Array("pw".utf8)))
        XCTAssertEqual(h.replies().map(\.textLines), [["334 VXNlcm5hbWU6"], ["334 UGFzc3dvcmQ6"]])
        XCTAssertEqual(h.checkRequests.last?.mechanism, .login)
        XCTAssertEqual(h.checkRequests.last?.username, "test")
        XCTAssertEqual(h.checkRequests.last?.password, Array("pw".utf8))
    }

    func testAuthErrors() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("AUTH PLAIN")
        XCTAssertEqual(h.replies().map(\.code), [334])
        XCTAssertEqual(h.code("*"), 501, "cancel")
        h.send("AUTH PLAIN")
        XCTAssertEqual(h.code("a=bc"), 501, "\"=\" inside base64")
        XCTAssertEqual(h.code("AUTH PLAIN ="), 501, "an empty PLAIN message is malformed")
        XCTAssertEqual(h.code("AUTH PLAIN \(base64(Array("test\0pw".utf8)))"), 501, "one NUL only")
        XCTAssertEqual(h.code("AUTH CRAM-MD5"), 504)
        XCTAssertTrue(h.checkRequests.isEmpty)
    }

    func testAuthResponseLineLimit() {
        var h = Harness()
        h.startTLSAndEHLO()
        // 12,288 octets of base64 are accepted (RFC 4954 §4)...
        let fits = base64(Array(repeating: UInt8(ascii: "p"), count: 9216))
        XCTAssertEqual(fits.utf8.count, 12_288)
        h.send("AUTH LOGIN \(base64(Array("test".utf8)))")
        h.send(fits)
        XCTAssertEqual(h.checkRequests.last?.password.count, 9216)
        h.credentials(.rejected)
        _ = h.takeActions()
        // ... one more is 500 5.5.6.
        h.send("AUTH LOGIN \(base64(Array("test".utf8)))")
        h.send(fits + "A")
        XCTAssertEqual(
            h.replies().map(\.textLines), [["334 UGFzc3dvcmQ6"], ["500 5.5.6 Authentication exchange line is too long"]])
        XCTAssertEqual(h.checkRequests.count, 1)
        h.send(String(repeating: "A", count: 20_000))
        XCTAssertEqual(h.codes(), [500], "a much longer line is a command line too long")
        XCTAssertEqual(h.code("NOOP"), 250)
    }

    func testAuthSequenceRules() {
        var h = Harness()
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.code("AUTH PLAIN"), 538, "not before TLS")
        var t = Harness()
        t.send("EHLO client.example.net")
        t.send("STARTTLS")
        t.tlsEstablished()
        XCTAssertEqual(t.code("AUTH PLAIN"), 503, "EHLO first")
        t.send("HELO client.example.net")
        XCTAssertEqual(t.code("AUTH PLAIN"), 503, "HELO is not enough")
        t.send("EHLO client.example.net")
        t.authPlain(outcome: .accepted)
        _ = t.takeActions()
        XCTAssertEqual(t.code("AUTH PLAIN"), 503, "twice")

        var c = Harness.defaultConfiguration
        c.requireAuthentication = false
        var m = Harness(c)
        m.startTLSAndEHLO()
        m.send("MAIL FROM:<a@example.net>")
        XCTAssertEqual(m.code("AUTH PLAIN"), 503, "inside a transaction")
    }

    func testAuthFailuresCloseAfterTheLimitWithTheSameDelay() {
        var h = Harness()
        h.startTLSAndEHLO()
        for attempt in 1...3 {
            h.authPlain(outcome: .rejected)
            let actions = h.takeActions().filter { if case .checkCredentials = $0 { false } else { true } }
            var expected: [Action] = [.delay(.milliseconds(1500)), .send(SMTPSession.authenticationFailed)]
            if attempt == 3 {
                expected += [
                    .send(Reply(421, "4.7.0", "server.example.com Too many authentication failures, closing connection")), .close,
                ]
            }
            XCTAssertEqual(actions, expected, "attempt \(attempt)")
        }
        XCTAssertTrue(h.session.isClosed)
    }

    func testTemporaryAuthFailure() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.authPlain(outcome: .temporaryFailure)
        XCTAssertEqual(h.replies(), [Reply(454, "4.7.0", "Temporary authentication failure")])
    }

    // MARK: Limits

    func testErrorLimitCloses() {
        var c = Harness.defaultConfiguration
        c.maxErrors = 3
        var h = Harness(c)
        _ = h.takeActions()
        h.sendRaw(Array("FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(
            actions.compactMap { if case .send(let r) = $0 { r.code } else { nil } }, [500, 500, 421],
            "the last error becomes 421")
        XCTAssertEqual(actions.last, .close)
    }

    func testBufferedInputIsBounded() {
        var c = Harness.defaultConfiguration
        c.maxBufferedInput = 16 * 1024
        var h = Harness(c)
        h.startTLSAndEHLO()
        h.send("AUTH PLAIN \(base64(Array("\0test\0pw".utf8)))")
        h.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 20 * 1024))
        XCTAssertEqual(h.session.awaiting, .credentials)
        _ = h.takeActions()
        h.credentials(.accepted)
        XCTAssertEqual(h.codes(), [235, 421])
        XCTAssertTrue(h.session.isClosed)
    }

    func testTimeout() {
        var h = Harness()
        _ = h.takeActions()
        XCTAssertEqual(
            h.session.timedOut(), [.send(Reply(421, "4.4.2", "server.example.com Timeout, closing connection")), .close])
    }

    func testConfigurationLimitsAreValidated() {
        var c = Configuration()
        XCTAssertNoThrow(try c.validate())
        c.maxRecipients = 99
        XCTAssertThrowsError(try c.validate())
        c = Configuration()
        c.maxCommandLineLength = 100
        XCTAssertThrowsError(try c.validate())
    }
}
