import SMTPCommandParser
import XCTest

/// MAIL and RCPT parameters (RFC 5321 §4.1.2 esmtp-param and each extension's value syntax).
final class ParameterFixtureTests: XCTestCase {
    func testKnownAndUnknownESMTPParameters() { check(Fixtures.parameters) }

    // Each known keyword may appear once (RFC 5321 §4.1.2, each extension's own
    // "at most once"): duplicate detection gives each its own bit, so any two
    // different ones together are accepted and the same one twice is refused.
    func testEveryPairOfDifferentKnownParametersIsNoDuplicate() {
        let parser = SMTPCommandParser(options: .init(smtputf8: true))
        let mail = ["SIZE=1", "BODY=8BITMIME", "SMTPUTF8", "AUTH=<>", "RET=FULL", "ENVID=x", "REQUIRETLS", "MT-PRIORITY=3"]
        let rcpt = ["NOTIFY=NEVER", "ORCPT=rfc822;a@b"]
        for (command, parameters) in [("MAIL FROM:<a@b>", mail), ("RCPT TO:<a@b>", rcpt)] {
            for a in parameters {
                for b in parameters {
                    let text = "\(command) \(a) \(b)\r\n"
                    do {
                        _ = try parser.parse(bytes(text))
                        XCTAssertNotEqual(a, b, "accepted twice: \(text)")
                    } catch {
                        XCTAssertEqual(a, b, "\(text): \(error)")
                        XCTAssertEqual(error.kind, .duplicateParameter, text)
                    }
                }
            }
        }
    }

    // RFC 3461 §4: "+" and two upper-case hex digits encode one byte.
    func testXTextDecode() {
        let rows: [(String, String, UInt)] = [
            ("abc", "abc", #line),
            ("", "", #line),
            ("+2B", "+", #line),
            ("e+3Dmc2@example.com", "e=mc2@example.com", #line),
            ("+41+42C", "ABC", #line),
            ("<>", "<>", #line),
            ("a+20b", "a b", #line),
            ("+C3+A9", "é", #line),
        ]
        for (xtext, decoded, line) in rows {
            XCTAssertEqual(XText.decode(bytes(xtext)), bytes(decoded), xtext, line: line)
        }
    }

    // A known keyword that starts fewer than eight bytes before the line's end
    // is read byte by byte, not as words: it is still known, and it ends at
    // "=" or SP, so its value is judged by its own rule (here, refused).
    func testAShortKnownParameterAtTheLineEndIsStillKnown() {
        let rows: [(String, SMTPSyntaxError.Kind, Int, UInt)] = [
            ("MAIL FROM:<> BODY\r\n", .invalidParameter, 17, #line),  // BODY needs a value
            ("MAIL FROM:<> RET=F\r\n", .invalidParameter, 18, #line),  // FULL or HDRS
            ("MAIL FROM:<> RET X\r\n", .invalidParameter, 16, #line),  // RET needs "=", X is unknown
        ]
        for kernel in [nil] + ShuffleKernel.allCases.filter(\.isSupported) {
            let parser = SMTPCommandParser(kernel: kernel)
            for (text, kind, offset, line) in rows {
                XCTAssertThrowsError(try parser.parse(bytes(text)), text, line: line) { error in
                    guard let error = error as? SMTPSyntaxError else { return XCTFail("\(error)", line: line) }
                    XCTAssertEqual(error.kind, kind, text, line: line)
                    XCTAssertEqual(error.offset, offset, text, line: line)
                }
            }
        }
    }

    // The typed fields keep the parameter as written: AUTH= and ENVID= stay xtext until decoded.
    func testAUTHParameterDecodesToTheMailbox() throws {
        let line = bytes("MAIL FROM:<a@b> AUTH=e+3Dmc2@example.com\r\n")
        guard case .mail(let mail) = try SMTPCommandParser().parse(line), let auth = mail.auth else {
            return XCTFail("no AUTH= parameter")
        }
        XCTAssertEqual(XText.decode(line[auth]), bytes("e=mc2@example.com"))
    }
}

extension Fixtures {
    static let parameters: [Fixture] = [
        // RFC 1870 §3: SIZE=1*20DIGIT; a value above 2^64-1 is 552 (RFC 1870 §6)
        ok("MAIL FROM:<a@b> SIZE=1000", .mail("a@b", "SIZE=1000"), mail: MailFields(size: 1000)),
        ok("MAIL FROM:<a@b> size=0", .mail("a@b", "size=0"), mail: MailFields(size: 0)),
        // Eight digits, the most one word converts: every digit counts, the first included.
        ok("MAIL FROM:<a@b> SIZE=98765432", .mail("a@b", "SIZE=98765432"), mail: MailFields(size: 98_765_432)),
        ok("MAIL FROM:<a@b> SIZE=1234567", .mail("a@b", "SIZE=1234567"), mail: MailFields(size: 1_234_567)),
        ok("MAIL FROM:<a@b> SIZE=123456789", .mail("a@b", "SIZE=123456789"), mail: MailFields(size: 123_456_789)),
        ok(
            "MAIL FROM:<a@b> SIZE=18446744073709551615", .mail("a@b", "SIZE=18446744073709551615"),
            mail: MailFields(size: UInt64.max)),
        ok("MAIL FROM:<a@b> SIZE=00000000000000000042", .mail("a@b", "SIZE=00000000000000000042"), mail: MailFields(size: 42)),
        bad("MAIL FROM:<a@b> SIZE=18446744073709551616", .sizeTooLarge, 552, at: 21),
        bad("MAIL FROM:<a@b> SIZE=99999999999999999999", .sizeTooLarge, 552, at: 21),
        bad("MAIL FROM:<a@b> SIZE=000000000000000000042", .invalidParameter, 501, at: 41),
        bad("MAIL FROM:<a@b> SIZE=1k", .invalidParameter, 501, at: 22),
        bad("MAIL FROM:<a@b> SIZE", .invalidParameter, 501, at: 20),
        bad("RCPT TO:<a@b> SIZE=1", .parameterNotAllowed, 555, at: 14),
        // RFC 6152 §2, RFC 3030 §3: BODY=7BIT / 8BITMIME / BINARYMIME
        ok("MAIL FROM:<a@b> BODY=7BIT", .mail("a@b", "BODY=7BIT"), mail: MailFields(body: .sevenBit)),
        ok("MAIL FROM:<a@b> BODY=8BITMIME", .mail("a@b", "BODY=8BITMIME"), mail: MailFields(body: .eightBitMIME)),
        ok("MAIL FROM:<a@b> BODY=BINARYMIME", .mail("a@b", "BODY=BINARYMIME"), mail: MailFields(body: .binaryMIME)),
        ok("MAIL FROM:<a@b> body=8bitmime", .mail("a@b", "body=8bitmime"), mail: MailFields(body: .eightBitMIME)),
        bad("MAIL FROM:<a@b> BODY=9BIT", .invalidParameter, 501, at: 21),
        bad("MAIL FROM:<a@b> BODY=8BIT", .invalidParameter, 501, at: 25),
        // RFC 6531 §3.4: SMTPUTF8 takes no value
        ok("MAIL FROM:<a@b> SMTPUTF8", .mail("a@b", "SMTPUTF8"), mail: MailFields(smtputf8: true)),
        ok(
            "MAIL FROM:<jörg@example.com> SMTPUTF8", .mail("jörg@example.com", "SMTPUTF8"), .utf8Mode,
            mail: MailFields(smtputf8: true)),
        bad("MAIL FROM:<a@b> SMTPUTF8=YES", .invalidParameter, 501, at: 24),
        // RFC 4954 §5: AUTH=<> or an xtext mailbox; hexchar is upper-case hex (RFC 3461 §4)
        ok("MAIL FROM:<a@b> AUTH=<>", .mail("a@b", "AUTH=<>"), mail: MailFields(auth: "<>")),
        ok(
            "MAIL FROM:<a@b> AUTH=e+3Dmc2@example.com", .mail("a@b", "AUTH=e+3Dmc2@example.com"),
            mail: MailFields(auth: "e+3Dmc2@example.com")),
        bad("MAIL FROM:<a@b> AUTH=a+3d", .invalidParameter, 501, at: 24),
        // "+40" decodes to "@", and the "@" after it is a second one: no mailbox.
        bad("MAIL FROM:<a@b> AUTH=x+40@y.example", .invalidParameter, 501, at: 25),
        bad("MAIL FROM:<a@b> AUTH=a+", .invalidParameter, 501, at: 23),
        // RFC 4954 §5: the xtext decodes to a Mailbox (RFC 5321 §4.1.2) or "<>" (auth-mailbox);
        // a refusal points at the character, or the hexchar, whose decoded byte is wrong.
        ok(
            "MAIL FROM:<a@b> AUTH=user+2Bdetail@example.com", .mail("a@b", "AUTH=user+2Bdetail@example.com"),
            mail: MailFields(auth: "user+2Bdetail@example.com")),
        ok("MAIL FROM:<a@b> AUTH=+3C+3E", .mail("a@b", "AUTH=+3C+3E"), mail: MailFields(auth: "+3C+3E")),
        ok("MAIL FROM:<a@b> AUTH=\"a+20b\"@c", .mail("a@b", "AUTH=\"a+20b\"@c"), mail: MailFields(auth: "\"a+20b\"@c")),
        ok("MAIL FROM:<a@b> AUTH=a@[192.0.2.1]", .mail("a@b", "AUTH=a@[192.0.2.1]"), mail: MailFields(auth: "a@[192.0.2.1]")),
        ok(
            "MAIL FROM:<> auth=Postmaster@example.com", .mail("", "auth=Postmaster@example.com"),
            mail: MailFields(auth: "Postmaster@example.com")),
        bad("MAIL FROM:<a@b> AUTH=user+2Bdetail", .invalidParameter, 501, at: 34),
        bad("MAIL FROM:<a@b> AUTH=user", .invalidParameter, 501, at: 25),
        bad("MAIL FROM:<a@b> AUTH=Postmaster", .invalidParameter, 501, at: 31),
        bad("MAIL FROM:<a@b> AUTH=<a@b>", .invalidParameter, 501, at: 22),
        bad("MAIL FROM:<a@b> AUTH=+3C+3E+3E", .invalidParameter, 501, at: 27),
        bad("MAIL FROM:<a@b> AUTH=a+20b@c", .invalidParameter, 501, at: 22),
        bad("MAIL FROM:<a@b> AUTH=a+0D+0A@b", .invalidParameter, 501, at: 22),
        bad("MAIL FROM:<a@b> AUTH=a@b+00", .invalidParameter, 501, at: 24),
        bad("MAIL FROM:<a@b> AUTH=a@b.", .invalidParameter, 501, at: 25),
        bad("MAIL FROM:<a@b> AUTH=a..b@c", .invalidParameter, 501, at: 23),
        bad("MAIL FROM:<a@b> AUTH=a@b SIZE=1 SIZE=2", .duplicateParameter, 501, at: 32),
        bad("MAIL FROM:<a@b> AUTH=ab SIZE=1 SIZE=2", .invalidParameter, 501, at: 23),
        // SMTPUTF8 (RFC 6531 §3.3): the decoded Mailbox may hold UTF-8.
        bad("MAIL FROM:<a@b> AUTH=j+C3+B6rg@example.com", .invalidParameter, 501, at: 22),
        ok(
            "MAIL FROM:<a@b> AUTH=j+C3+B6rg@example.com", .mail("a@b", "AUTH=j+C3+B6rg@example.com"), .utf8Mode,
            mail: MailFields(auth: "j+C3+B6rg@example.com")),
        bad("MAIL FROM:<a@b> AUTH=j+C3rg@example.com", .invalidParameter, 501, at: 25, .utf8Mode),
        // RFC 3461 §4.3: RET=FULL / HDRS, MAIL only
        ok("MAIL FROM:<a@b> RET=FULL", .mail("a@b", "RET=FULL"), mail: MailFields(ret: .full)),
        ok("MAIL FROM:<a@b> RET=HDRS", .mail("a@b", "RET=HDRS"), mail: MailFields(ret: .headers)),
        ok("MAIL FROM:<a@b> ret=hdrs", .mail("a@b", "ret=hdrs"), mail: MailFields(ret: .headers)),
        bad("MAIL FROM:<a@b> RET=NONE", .invalidParameter, 501, at: 20),
        bad("RCPT TO:<a@b> RET=FULL", .parameterNotAllowed, 555, at: 14),
        // RFC 3461 §4.4: ENVID=xtext, MAIL only
        ok("MAIL FROM:<a@b> ENVID=QQ314159", .mail("a@b", "ENVID=QQ314159"), mail: MailFields(envelopeID: "QQ314159")),
        ok("MAIL FROM:<a@b> ENVID=a+2Bb", .mail("a@b", "ENVID=a+2Bb"), mail: MailFields(envelopeID: "a+2Bb")),
        bad("MAIL FROM:<a@b> ENVID=a+zz", .invalidParameter, 501, at: 24),
        // RFC 3461 §4.1: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY; RCPT only
        ok("RCPT TO:<a@b> NOTIFY=NEVER", .rcpt("a@b", "NOTIFY=NEVER"), rcpt: RcptFields(notify: .never)),
        ok(
            "RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE,DELAY", .rcpt("a@b", "NOTIFY=SUCCESS,FAILURE,DELAY"),
            rcpt: RcptFields(notify: [.success, .failure, .delay])),
        ok("RCPT TO:<a@b> NOTIFY=delay", .rcpt("a@b", "NOTIFY=delay"), rcpt: RcptFields(notify: .delay)),
        ok(
            "RCPT TO:<a@b> NOTIFY=FAILURE,SUCCESS", .rcpt("a@b", "NOTIFY=FAILURE,SUCCESS"),
            rcpt: RcptFields(notify: [.failure, .success])),
        bad("RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS", .invalidParameter, 501, at: 26),
        bad("RCPT TO:<a@b> NOTIFY=SUCCESS,,DELAY", .invalidParameter, 501, at: 29),
        bad("RCPT TO:<a@b> NOTIFY=SOMETIMES", .invalidParameter, 501, at: 22),
        bad("MAIL FROM:<a@b> NOTIFY=NEVER", .parameterNotAllowed, 555, at: 16),
        // RFC 3461 §4.2: ORCPT=addr-type;xtext, RCPT only
        ok(
            "RCPT TO:<a@b> ORCPT=rfc822;bob@example.com", .rcpt("a@b", "ORCPT=rfc822;bob@example.com"),
            rcpt: RcptFields(orcptType: "rfc822", orcpt: "bob@example.com")),
        ok(
            "RCPT TO:<a@b> ORCPT=rfc822;a+2Bb@x", .rcpt("a@b", "ORCPT=rfc822;a+2Bb@x"),
            rcpt: RcptFields(orcptType: "rfc822", orcpt: "a+2Bb@x")),
        bad("RCPT TO:<a@b> ORCPT=rfc822", .invalidParameter, 501, at: 26),
        bad("MAIL FROM:<a@b> ORCPT=rfc822;a@b", .parameterNotAllowed, 555, at: 16),
        // RFC 8689 §2: REQUIRETLS takes no value
        ok("MAIL FROM:<a@b> REQUIRETLS", .mail("a@b", "REQUIRETLS"), mail: MailFields(requireTLS: true)),
        bad("MAIL FROM:<a@b> REQUIRETLS=YES", .invalidParameter, 501, at: 26),
        // RFC 6710: MT-PRIORITY=-9..9 ("-0" and "+1" do not match)
        ok("MAIL FROM:<a@b> MT-PRIORITY=-9", .mail("a@b", "MT-PRIORITY=-9"), mail: MailFields(priority: -9)),
        ok("MAIL FROM:<a@b> MT-PRIORITY=9", .mail("a@b", "MT-PRIORITY=9"), mail: MailFields(priority: 9)),
        ok("MAIL FROM:<a@b> mt-priority=0", .mail("a@b", "mt-priority=0"), mail: MailFields(priority: 0)),
        bad("MAIL FROM:<a@b> MT-PRIORITY=-0", .invalidParameter, 501, at: 29),
        bad("MAIL FROM:<a@b> MT-PRIORITY=10", .invalidParameter, 501, at: 29),
        bad("MAIL FROM:<a@b> MT-PRIORITY=+1", .invalidParameter, 501, at: 28),
        // RFC 5321 §4.1.2: unknown keywords stay generic pairs (the session answers 555 if it wants)
        ok("MAIL FROM:<a@b> X-FOO=bar XYZ", .mail("a@b", "X-FOO=bar", "XYZ")),
        ok("RCPT TO:<a@b> FOO=1 FOO=2", .rcpt("a@b", "FOO=1", "FOO=2")),
        ok("MAIL FROM:<a@b> SIZES=1", .mail("a@b", "SIZES=1")),
        bad("MAIL FROM:<a@b> X=a=b", .invalidArguments, 501, at: 19),
        bad("MAIL FROM:<a@b> X=", .invalidArguments, 501, at: 18),
        bad("MAIL FROM:<a@b> -X=1", .invalidArguments, 501, at: 16),
        // Each known keyword at most once, in any letter case
        bad("MAIL FROM:<a@b> SIZE=1 SIZE=2", .duplicateParameter, 501, at: 23),
        bad("MAIL FROM:<a@b> SIZE=1 size=2", .duplicateParameter, 501, at: 23),
        bad("RCPT TO:<a@b> NOTIFY=NEVER NOTIFY=DELAY", .duplicateParameter, 501, at: 27),
        // All of them together
        ok(
            "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8 AUTH=<> RET=HDRS ENVID=x REQUIRETLS MT-PRIORITY=3",
            .mail("a@b", "SIZE=10", "BODY=8BITMIME", "SMTPUTF8", "AUTH=<>", "RET=HDRS", "ENVID=x", "REQUIRETLS", "MT-PRIORITY=3"),
            mail: MailFields(
                size: 10, body: .eightBitMIME, smtputf8: true, requireTLS: true, auth: "<>", ret: .headers,
                envelopeID: "x", priority: 3)),
        ok(
            "RCPT TO:<a@b> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a@b X-Y",
            .rcpt("a@b", "NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;a@b", "X-Y"),
            rcpt: RcptFields(notify: [.success, .delay], orcptType: "rfc822", orcpt: "a@b")),
    ]
}
