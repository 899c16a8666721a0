// Hostile input, part 1: framing, synchronization, STARTTLS, envelope, DATA and BDAT.
// One test per attack; each checks the exact replies and that nothing
// reached the Maildir. The table in docs/server.md (Hardening) maps them.

import ClientIDServer
import Foundation
import XCTest

final class HardeningFramingTests: XCTestCase {
    /// MAIL without AUTH, so that an attack that got through would be able to store a message.
    private func openServer(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start(self) {
            $0.session.requireAuthentication = false
            configure(&$0)
        }
    }

    /// A whole transaction with bare LF line ends: a bare LF never ends a line (D12), so
    /// nothing is answered until a CRLF comes, and then the whole run is one refused line.
    func testBareLFIsRefused() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [
                ["send", "MAIL FROM:<a@example.net>\nRCPT TO:<b@example.com>\nDATA\nSubject: x\n\nx\n.\n"], ["quiet", 0.5],
                ["send", "NOOP\r\n"], ["reply"],
            ] + Hostile.say("RCPT TO:<b@example.com>") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "500", "503", "221"], t.stdout)
        XCTAssertTrue(t.stdout.contains("\nQUIET\n"), t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("500 5.5.2 "), t.stdout)
        server.assertNothingStored()
    }

    /// Bare CR inside a line (`MAIL FROM:<a>\rRCPT TO:<b>`): refused, nothing runs.
    func testBareCRIsRefused() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [["send", "MAIL FROM:<a@example.net>\rRCPT TO:<b@example.com>\r\n"], ["reply"]]
                + Hostile.say("RCPT TO:<b@example.com>") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "500", "503", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// `\r\r\n` is a bare CR before the CRLF: refused.
    func testCRCRLFIsRefused() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server, Hostile.greeted + [["send", "MAIL FROM:<a@example.net>\r\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "500", "221"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("500 5.5.2 "), t.stdout)
        server.assertNothingStored()
    }

    /// NUL inside a command (D5): 501 after the verb, never truncated at the NUL; 500 in
    /// the verb, which is then no verb at all (RFC 5321 §4.2.4).
    func testNULInCommandIsRefused() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>\u{0}RCPT TO:<b@example.com>")
                + Hostile.say("NOOP\u{0}") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "500", "221"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("501 5.5.2 "), t.stdout)
        XCTAssertTrue(t.final(3).hasPrefix("500 5.5.1 "), t.stdout)
        server.assertNothingStored()
    }

    /// CR at the end of one read and LF at the start of the next is one CRLF, not a bare CR.
    func testCRLFSplitAcrossReadsIsOneLineEnd() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [
                ["send", "MAIL FROM:<a@example.net>\r"], ["pause", 0.2], ["send", "\n"], ["reply"],
                ["send", "RSET\r"], ["pause", 0.2], ["send", "\nQUIT\r\n"], ["reply"], ["reply"],
            ])
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// 1 MiB without a line end: `500` at the line limit (nothing of it buffered past
    /// that), then the per-command deadline closes with `421`.
    func testOneMebibyteWithoutLineEnd() async throws {
        let server = try await openServer { $0.commandTimeout = .milliseconds(800) }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [
                ["send", "MAIL FROM:<"], ["repeat", "a", 1 << 20], ["reply"], ["reply"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["220", "250", "500", "421"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("500 5.5.6 "), t.stdout)
        XCTAssertTrue(t.final(3).hasPrefix("421 4.4.2 "), t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// Every command one byte per read: reassembled exactly; the message stored is what was sent.
    func testOneBytePerRead() async throws {
        let server = try await openServer()
        let body = "Subject: trickle\r\n\r\nslowly\r\n"
        let t = try await Hostile.run(
            server,
            [["connect", "plain"], ["reply"]]
                + ["EHLO client.example.net\r\n", "MAIL FROM:<a@example.net>\r\n", "RCPT TO:<b@example.com>\r\n", "DATA\r\n"]
                .flatMap { [["trickle", $0, 0.002], ["reply"]] as [[Any]] }
                + [["trickle", body + ".\r\n", 0.002], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "250", "221"], t.stdout)
        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        let stored = try String(contentsOf: try XCTUnwrap(files.first), encoding: .utf8)
        XCTAssertTrue(stored.hasSuffix("\r\n" + body), stored)
    }
}

final class HardeningSynchronizationTests: XCTestCase {
    /// Talking before the greeting (Postfix postscreen's pregreet test): `554 5.5.0`, no `220`.
    func testTalkingBeforeTheGreeting() async throws {
        let server = try await TestServer.start(self) {
            $0.greetingDelay = .milliseconds(400)
            $0.session.requireAuthentication = false
        }
        let t = try await Hostile.run(
            server,
            [
                ["connect", "plain"],
                ["send", "EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n"],
                ["reply"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["554"], t.stdout)
        XCTAssertTrue(t.final(0).hasPrefix("554 5.5.0 "), t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// A whole transaction in one segment after HELO (PIPELINING never offered): `554`, close.
    func testPipeliningWithoutPIPELINING() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            [["connect", "plain"], ["reply"]] + Hostile.say("HELO client.example.net") + [
                ["send", "MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n"],
                ["reply"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["220", "250", "554"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("554 5.5.0 "), t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// Content (and commands) behind DATA before its `354` (RFC 2920 §3.1): `554`, close.
    func testInputBehindDATA() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>") + [
                ["send", "DATA\r\nSubject: x\r\n\r\nx\r\n.\r\nMAIL FROM:<evil@example.net>\r\n"], ["reply"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "554"], t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// HTTP requests: `GET /`, `CONNECT` and a lone `Host:` line each get a short `554` and a close.
    func testHTTPRequestsAreRefused() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            [
                ["connect", "plain"], ["reply"],
                ["send", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: scanner\r\n\r\n"], ["reply"], ["closed"],
                ["connect", "plain"], ["reply"],
                ["send", "CONNECT mail.example.com:25 HTTP/1.1\r\n"], ["reply"], ["closed"],
                ["connect", "plain"], ["reply"], ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", "Host: mail.example.com\r\n"], ["reply"], ["closed"],
                ["connect", "plain"], ["reply"],
                ["send", "POST /" + String(repeating: "x", count: 600) + " HTTP/1.1\r\n"], ["reply"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["220", "554", "220", "554", "220", "250", "554", "220", "554"], t.stdout)
        XCTAssertEqual(t.stdout.components(separatedBy: "\nCLOSED").count - 1, 4, t.stdout)
        XCTAssertTrue(t.final(1).hasPrefix("554 5.5.1 "), t.stdout)
        server.assertNothingStored()
    }
}

final class HardeningSTARTTLSTests: XCTestCase {
    /// `STARTTLS` with an argument is a syntax error (RFC 3207 §4); the session stays plaintext.
    func testSTARTTLSWithArgument() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server, Hostile.greeted + Hostile.say("STARTTLS now") + Hostile.say(Hostile.authPlain) + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "538", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// STARTTLS inside TLS (implicit, and after STARTTLS): `503`.
    func testSTARTTLSInsideTLS() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            [["connect", "tls"], ["reply"]] + Hostile.say("EHLO client.example.net") + Hostile.say("STARTTLS")
                + Hostile.greeted + Hostile.say("STARTTLS") + [["tls"]] + Hostile.say("EHLO client.example.net")
                + Hostile.say("STARTTLS") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "503", "220", "250", "220", "250", "503", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// Plaintext where the ClientHello should be (after `220` to STARTTLS, and on the
    /// implicit TLS port): the handshake fails, the connection closes, nothing is answered.
    func testPlaintextInsteadOfClientHello() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("STARTTLS") + [
                ["send", "EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"],
                ["closed"],
                ["connect", "tls-port-plaintext"],
                ["send", "EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n"], ["closed"],
            ])
        XCTAssertEqual(t.codes, ["220", "250", "220"], t.stdout)
        XCTAssertEqual(t.stdout.components(separatedBy: "\nCLOSED").count - 1, 2, t.stdout)
        // At most a TLS alert record (content type 21), never an SMTP reply.
        for extra in t.extra { XCTAssertTrue(extra.hasPrefix("EXTRA: b'\\x15\\x03"), t.stdout) }
        server.assertNothingStored()
    }
}

final class HardeningEnvelopeTests: XCTestCase {
    private func openServer() async throws -> TestServer {
        try await TestServer.start(self) { $0.session.requireAuthentication = false }
    }

    /// Shell metacharacters in paths: refused by the grammar, never interpreted.
    func testShellLookingPaths() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<;sleep 10;>") + Hostile.say("MAIL FROM:<$(reboot)@example.net>")
                + Hostile.say("MAIL FROM:<a@example.net;id>") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "501", "501", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// Exim's CVE-2019-10149 `${run{...}}`: with backslash escapes it is not a path; the
    /// form that is valid atext is accepted as inert text and nothing runs.
    func testRunExpansionLiterals() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<>")
                + Hostile.say("RCPT TO:<${run{\\x2Fbin\\x2Fsh\\t-c\\t\\x22id\\x22}}@localhost>")
                + Hostile.say("RCPT TO:<${run{/bin/true}}@example.com>") + Hostile.say("RSET") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "501", "250", "250", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// SIZE= past UInt64, negative, not a number, or over the limit.
    func testSIZEOverflowAndGarbage() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net> SIZE=99999999999999999999999")
                + Hostile.say("MAIL FROM:<a@example.net> SIZE=99999999999999999999")
                + Hostile.say("MAIL FROM:<a@example.net> SIZE=-1") + Hostile.say("MAIL FROM:<a@example.net> SIZE=12abc")
                + Hostile.say("MAIL FROM:<a@example.net> SIZE=999999999") + Hostile.say("QUIT"))
        // 23 digits break RFC 1870's `1*20DIGIT` (501); 20 digits past UInt64 are just too big (552).
        XCTAssertEqual(t.codes, ["220", "250", "501", "552", "501", "501", "552", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// xtext with encoded CR LF in AUTH=, ORCPT= and ENVID=: never decoded into a line end.
    func testXtextWithEncodedCRLF() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net> AUTH=x+0D+0ARCPT+20TO:<c@example.com>")
                + Hostile.say("MAIL FROM:<a@example.net> AUTH=a+2Bb@example.net")
                + Hostile.say("RCPT TO:<b@example.com> ORCPT=rfc822;b+0D+0ADATA")
                + Hostile.say("RSET") + Hostile.say("MAIL FROM:<a@example.net> ENVID=x+0D+0A.+0D+0A")
                + Hostile.say("MAIL FROM:<a@example.net> AUTH=x+0") + Hostile.say("QUIT"))
        // RFC 4954 §5: AUTH= decodes to a Mailbox or "<>", so one that decodes to CR LF is a 501;
        // a valid one is accepted and ignored. ORCPT and ENVID belong to DSN, not offered.
        XCTAssertEqual(t.codes, ["220", "250", "501", "250", "555", "250", "555", "501", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// A dangling `=` or `"` in parameters.
    func testDanglingEqualsAndQuote() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net> SIZE=") + Hostile.say("MAIL FROM:<a@example.net> =")
                + Hostile.say("MAIL FROM:<a@example.net> BODY=\"8BITMIME") + Hostile.say("MAIL FROM:<\"a@example.net>")
                + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "501", "501", "501", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// RFC 5321 §4.5.3.1: local part 64, domain 255, path 256 octets.
    func testOversizedPathsAndDomains() async throws {
        let server = try await openServer()
        let label = String(repeating: "d", count: 60)
        let longDomain = Array(repeating: label, count: 5).joined(separator: ".") + ".example"  // 312 octets
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<\(String(repeating: "l", count: 65))@example.net>")
                + Hostile.say("MAIL FROM:<a@\(longDomain)>")
                + Hostile.say(
                    "MAIL FROM:<\(String(repeating: "l", count: 64))@\(Array(repeating: label, count: 3).joined(separator: ".")).\(String(repeating: "e", count: 10)).example>"
                )
                + Hostile.say("MAIL FROM:<\(String(repeating: "l", count: 64))@example.net>") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "501", "501", "250", "221"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("501 5.1.3 "), t.stdout)
        server.assertNothingStored()
    }

    /// Malformed IPv4 and IPv6 address literals.
    func testMalformedAddressLiterals() async throws {
        let server = try await openServer()
        let bad = ["[300.1.1.1]", "[1.2.3]", "[IPv6:1:2:3]", "[IPv6:::1::2]", "[IPv6:1:2:3:4:5:6:7:8:9]", "[1.2.3.4"]
        let t = try await Hostile.run(
            server,
            Hostile.greeted + bad.flatMap { Hostile.say("MAIL FROM:<a@\($0)>") } + Hostile.say("MAIL FROM:<a@[IPv6:::1]>")
                + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250"] + Array(repeating: "501", count: bad.count) + ["250", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// RFC 5321 §4.5.3.1.8: at least 100 recipients accepted; the next gets `452`.
    func testTooManyRecipients() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>")
                + [["send", (0..<101).map { "RCPT TO:<r\($0)@example.com>\r\n" }.joined()]]
                + Array(repeating: ["reply"], count: 101) + Hostile.say("RSET") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250"] + Array(repeating: "250", count: 100) + ["452", "250", "221"], t.stdout)
        XCTAssertTrue(t.final(103).hasPrefix("452 4.5.3 "), t.stdout)
        server.assertNothingStored()
    }
}

final class HardeningDataTests: XCTestCase {
    private func openServer(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start(self) {
            $0.session.requireAuthentication = false
            configure(&$0)
        }
    }

    private static var envelope: [[Any]] { Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>") }

    /// Each SMTP-smuggling sequence inside a message: never an end of data; exactly one
    /// message per DATA, and the smuggled MAIL is content, not a command.
    func testSmugglingSequencesNeverEndAMessage() async throws {
        let server = try await openServer()
        let sequences = ["\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", "\r\n\u{0}.\r\n"]
        var steps = Hostile.greeted
        for (i, sequence) in sequences.enumerated() {
            steps += Self.envelope + Hostile.say("DATA")
            steps += [
                ["send", "Subject: \(i)\r\n\r\nbefore\(sequence)MAIL FROM:<evil@example.net>\r\nafter \(i)\r\n.\r\n"], ["reply"],
            ]
        }
        let t = try await Hostile.run(server, steps + Hostile.say("QUIT"))
        XCTAssertEqual(
            t.codes,
            ["220", "250"] + Array(repeating: ["250", "250", "354", "250"], count: sequences.count).flatMap { $0 } + ["221"],
            t.stdout)
        let files = server.messages()
        XCTAssertEqual(files.count, sequences.count)
        for file in files {
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            XCTAssertTrue(text.contains("before") && text.contains("MAIL FROM:<evil@example.net>\r\nafter "), text)
        }
        XCTAssertTrue(server.messages("tmp").isEmpty)
    }

    /// RFC 5321 §4.5.2: a leading dot is removed from every line that has one.
    func testDotUnstuffing() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Self.envelope + Hostile.say("DATA")
                + [["send", "Subject: dots\r\n\r\n..\r\n...\r\n.x\r\n..\r\n. \r\n.\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "250", "221"], t.stdout)
        let stored = try String(contentsOf: try XCTUnwrap(server.messages().first), encoding: .utf8)
        XCTAssertTrue(stored.hasSuffix("Subject: dots\r\n\r\n.\r\n..\r\nx\r\n.\r\n \r\n"), stored)
    }

    /// Over the size limit: buffering stops at the limit (the peak held in memory stays
    /// under it), the reply is `552 5.3.4`, nothing is stored.
    func testMessageOverTheSizeLimit() async throws {
        let server = try await openServer { $0.session.maxMessageSize = 10_000 }
        let line = String(repeating: "x", count: 998) + "\r\n"
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Self.envelope + Hostile.say("DATA")
                + [["repeat", line, 200], ["send", ".\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "552", "221"], t.stdout)
        XCTAssertTrue(t.final(5).hasPrefix("552 5.3.4 "), t.stdout)
        XCTAssertLessThanOrEqual(server.server.statistics.peakMessageBytes, 10_000)
        server.assertNothingStored()
    }

    /// RFC 5321 §4.5.3.1.6: a content line of 1,000 octets with its CRLF is stored; one of
    /// 1,001 gets `500 5.5.6` and nothing of its message is stored.
    func testTextLineLimitInData() async throws {
        let server = try await openServer()
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Self.envelope + Hostile.say("DATA")
                + [["send", "Subject: ok\r\n\r\n" + String(repeating: "a", count: 998) + "\r\n.\r\n"], ["reply"]]
                + Self.envelope + Hostile.say("DATA")
                + [["send", "Subject: long\r\n\r\n" + String(repeating: "b", count: 999) + "\r\n.\r\n"], ["reply"]]
                + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "250", "250", "250", "354", "500", "221"], t.stdout)
        XCTAssertTrue(t.final(9).hasPrefix("500 5.5.6 "), t.stdout)
        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(try String(contentsOf: files[0], encoding: .utf8).contains("Subject: ok"))
        XCTAssertTrue(server.messages("tmp").isEmpty)
    }

    /// BDAT with sizes that are not numbers or do not fit: the chunk that follows cannot
    /// be skipped, so its octets (here a smuggled MAIL) must not run: the syntax reply and a
    /// close. BDAT then DATA in one transaction: `503` (RFC 3030 §2).
    func testBDATBadSizesAndBDATThenDATA() async throws {
        let server = try await openServer()
        var steps: [[Any]] = []
        for size in ["-1", "99999999999999999999999", "12x", ""] {
            steps += Hostile.greeted + Self.envelope
            steps += [["send", "BDAT \(size)\r\nMAIL FROM:<evil@example.net>\r\n"], ["reply"], ["closed"]]
        }
        steps += Hostile.greeted + Self.envelope + [["send", "BDAT 5\r\nhello"], ["reply"]] + Hostile.say("DATA")
        steps += Hostile.say("RSET") + Hostile.say("QUIT")
        let t = try await Hostile.run(server, steps)
        // RFC 3030's chunk-size is `1*DIGIT`: a size past any limit is 552.
        XCTAssertEqual(
            t.codes,
            ["220", "250", "250", "250", "501", "220", "250", "250", "250", "552", "220", "250", "250", "250", "501"]
                + ["220", "250", "250", "250", "501", "220", "250", "250", "250", "250", "503", "250", "221"], t.stdout)
        XCTAssertEqual(t.stdout.components(separatedBy: "\nCLOSED").count - 1, 4, t.stdout)
        XCTAssertTrue(t.extra.isEmpty, t.stdout)
        server.assertNothingStored()
    }
}
