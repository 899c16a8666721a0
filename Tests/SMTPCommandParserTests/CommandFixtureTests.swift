import SMTPCommandParser
import XCTest

/// Every verb: what it accepts, its fields, and its typical refusals.
final class CommandFixtureTests: XCTestCase {
    func testEHLOAndHELO() { check(Fixtures.ehloHelo) }
    func testMAILAndRCPTCommandLines() { check(Fixtures.mailRcpt) }
    func testDATAAndBDAT() { check(Fixtures.dataBdat) }
    func testRSETVRFYEXPNHELPNOOPQUIT() { check(Fixtures.simpleCommands) }
    func testSTARTTLSAndAUTH() { check(Fixtures.startTLSAuth) }
    func testUnknownVerbsAndIncompleteLines() { check(Fixtures.unknownAndIncomplete) }
    func testDraftSection8ExampleLines() { check(Fixtures.draftExamples) }
}

enum Fixtures {
    /// Every table; the replay tests run all of their valid rows.
    static var all: [Fixture] {
        ehloHelo + mailRcpt + dataBdat + simpleCommands + startTLSAuth + unknownAndIncomplete + draftExamples
            + clientID + parameters + paths + addressLiterals + lengthLimits + bytesOutsideASCII + lenient + verbReading
    }

    // RFC 5321 §4.1.1.1
    static let ehloHelo: [Fixture] = [
        ok("EHLO client.example.net", .ehlo("client.example.net")),
        ok("ehlo Client.Example.NET", .ehlo("Client.Example.NET")),
        ok("EHLO [192.0.2.1]", .ehlo("[192.0.2.1]")),
        ok("EHLO a-b.c-1", .ehlo("a-b.c-1")),
        ok("HELO client.example.net", .helo("client.example.net")),
        ok("helo x", .helo("x")),
        bad("EHLO", .invalidArguments, 501, at: 4),
        bad("EHLO a b", .invalidArguments, 501, at: 6),
        bad("EHLO  a", .invalidArguments, 501, at: 5),
        bad("EHLO -a", .invalidArguments, 501, at: 5),
        bad("EHLO a-", .invalidArguments, 501, at: 7),
        bad("EHLO a..b", .invalidArguments, 501, at: 7),
        // HELO takes a Domain only, never an address literal.
        bad("HELO [192.0.2.1]", .invalidArguments, 501, at: 5),
    ]

    // RFC 5321 §4.1.1.2, §4.1.1.3 (parameters, paths and limits have their own tables)
    static let mailRcpt: [Fixture] = [
        ok("MAIL FROM:<sender@example.net>", .mail("sender@example.net")),
        ok("mail from:<a@b>", .mail("a@b")),
        ok("Mail From:<a@b> SIZE=1", .mail("a@b", "SIZE=1"), mail: MailFields(size: 1)),
        ok("RCPT TO:<receiver@example.com>", .rcpt("receiver@example.com")),
        ok("rcpt to:<a@b>", .rcpt("a@b")),
        bad("MAIL", .invalidArguments, 501, at: 4),
        bad("MAIL FROM:", .invalidArguments, 501, at: 10),
        bad("MAIL TO:<a@b>", .invalidArguments, 501, at: 5),
        bad("MAIL FROM: <a@b>", .invalidArguments, 501, at: 10),
        bad("MAIL FROM:a@b", .invalidArguments, 501, at: 10),
        bad("MAIL FROM:<a@b>SIZE=1", .invalidArguments, 501, at: 15),
        bad("MAIL FROM:<a@b> ", .invalidArguments, 501, at: 16),
        bad("MAIL FROM:<a@b>  SIZE=1", .invalidArguments, 501, at: 16),
        bad("RCPT FROM:<a@b>", .invalidArguments, 501, at: 5),
        bad("RCPT TO:<>", .invalidArguments, 501, at: 9),
    ]

    // RFC 5321 §4.1.1.4; RFC 3030 §2 (BDAT, chunk-size overflow: 552 like SIZE)
    static let dataBdat: [Fixture] = [
        ok("DATA", .data),
        ok("data", .data),
        bad("DATA x", .invalidArguments, 501, at: 4),
        bad("DATA ", .invalidArguments, 501, at: 4),
        ok("BDAT 1000", .bdat(1000)),
        ok("BDAT 0 LAST", .bdat(0, last: true)),
        ok("bdat 5 last", .bdat(5, last: true)),
        ok("BDAT 007", .bdat(7)),
        ok("BDAT 98765432", .bdat(98_765_432)),
        ok("BDAT 18446744073709551615", .bdat(UInt64.max)),
        bad("BDAT 18446744073709551616", .sizeTooLarge, 552, at: 5),
        bad("BDAT", .invalidArguments, 501, at: 4),
        bad("BDAT -1", .invalidArguments, 501, at: 5),
        bad("BDAT 1 FIRST", .invalidArguments, 501, at: 7),
        bad("BDAT 1 LAST x", .invalidArguments, 501, at: 11),
    ]

    // RFC 5321 §4.1.1.5–§4.1.1.10; RFC 6531 §3.7.4.2 (VRFY/EXPN ... SMTPUTF8)
    static let simpleCommands: [Fixture] = [
        ok("RSET", .rset),
        bad("RSET x", .invalidArguments, 501, at: 4),
        ok("VRFY postmaster", .vrfy("postmaster")),
        ok("VRFY \"John Smith\"", .vrfy("\"John Smith\"")),
        bad("VRFY", .invalidArguments, 501, at: 4),
        bad("VRFY a b", .invalidArguments, 501, at: 6),
        bad("VRFY user SMTPUTF8", .invalidArguments, 501, at: 9),
        ok("VRFY user", .vrfy("user"), .utf8Mode),
        ok("VRFY user SMTPUTF8", .vrfy("user", smtputf8: true), .utf8Mode),
        ok("VRFY user smtputf8", .vrfy("user", smtputf8: true), .utf8Mode),
        ok("VRFY jörg SMTPUTF8", .vrfy("jörg", smtputf8: true), .utf8Mode),
        bad("VRFY user SMTPUTF9", .invalidArguments, 501, at: 17, .utf8Mode),
        ok("EXPN staff", .expn("staff")),
        ok("EXPN staff SMTPUTF8", .expn("staff", smtputf8: true), .utf8Mode),
        bad("EXPN", .invalidArguments, 501, at: 4),
        ok("HELP", .help()),
        ok("HELP MAIL", .help("MAIL")),
        bad("HELP ", .invalidArguments, 501, at: 5),
        bad("HELP a b", .invalidArguments, 501, at: 6),
        ok("NOOP", .noop()),
        ok("NOOP hello", .noop("hello")),
        ok("NOOP \"a b\"", .noop("\"a b\"")),
        ok("QUIT", .quit),
        ok("quit", .quit),
        bad("QUIT now", .invalidArguments, 501, at: 4),
    ]

    // RFC 3207 §4; RFC 4954 §4 and §8 (base64, "=" for an empty response); RFC 4422 §3.1 (1*20 mech-char)
    static let startTLSAuth: [Fixture] = [
        ok("STARTTLS", .startTLS),
        ok("StartTLS", .startTLS),
        bad("STARTTLS x", .invalidArguments, 501, at: 8),
        ok("AUTH PLAIN", .auth("PLAIN")),
        ok("AUTH PLAIN =", .auth("PLAIN", "=")),
        ok("auth plain AGZvbwBiYXI=", .auth("plain", "AGZvbwBiYXI=")),
        ok("AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9", .auth("SCRAM-SHA-256", "biwsbj11c2VyLHI9")),
        ok("AUTH ABCDEFGHIJKLMNOPQRST", .auth("ABCDEFGHIJKLMNOPQRST")),
        bad("AUTH ABCDEFGHIJKLMNOPQRSTU", .invalidArguments, 501, at: 25),
        bad("AUTH", .invalidArguments, 501, at: 4),
        bad("AUTH PLAIN abc", .invalidArguments, 501, at: 14),
        bad("AUTH PLAIN ab=c", .invalidArguments, 501, at: 14),
    ]

    // RFC 5321 §4.2.4 (500 for an unrecognised command); incomplete input is not an error yet
    static let unknownAndIncomplete: [Fixture] = [
        ok("GET / HTTP/1.1", .unknown("GET")),
        ok("XYZZY", .unknown("XYZZY")),
        ok("TURN", .unknown("TURN")),
        ok("VERYLONGVERB arg", .unknown("VERYLONGVERB")),
        bad("X-FOO", .unknownCommand, 500, at: 1),
        bad("MAILFROM:<a@b>", .unknownCommand, 500, at: 8),
        bad("QUIT!", .unknownCommand, 500, at: 4),
        bad("1234", .unknownCommand, 500, at: 0),
        bad(" QUIT", .unknownCommand, 500, at: 0),
        bad("", .unknownCommand, 500, at: 0),
        bad(whole: [], .incomplete, 500, at: 0),
        bad(whole: bytes("QUIT"), .incomplete, 500, at: 4),
        bad(whole: bytes("QUIT\r"), .incomplete, 500, at: 5),
        bad(whole: bytes("GET /"), .incomplete, 500, at: 5),
        bad(whole: bytes("MAIL FROM:<a@b"), .incomplete, 500, at: 14),
        // A final CR where CRLF cannot go yet: LF next makes it 501, anything else a bare CR (500),
        // so the kind is not known until the next byte.
        bad(whole: bytes("MAIL FROM:<a@b\r"), .incomplete, 500, at: 14),
        bad("MAIL FROM:<a@b", .invalidArguments, 501, at: 14),
        bad(whole: bytes("MAIL FROM:<a@b\rx"), .bareCarriageReturn, 500, at: 14),
    ]

    // draft-storey-smtp-client-id-08 §8.1–§8.4, the client's lines
    static let draftExamples: [Fixture] = [
        // §8.1
        ok("EHLO client.example.net", .ehlo("client.example.net")),
        ok("STARTTLS", .startTLS),
        ok("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f", .clientID("UUID", "23bf83be-aad7-46aa-9e0f-39191ccf402f")),
        ok("AUTH LOGIN dGVzdAB0ZXN0ADEyMzQ=", .auth("LOGIN", "dGVzdAB0ZXN0ADEyMzQ=")),
        ok("MAIL FROM:<sender@example.net>", .mail("sender@example.net")),
        ok("RCPT TO:<receiver@example.com>", .rcpt("receiver@example.com")),
        ok("DATA", .data),
        ok("QUIT", .quit),
        // §8.2 and §8.3: well-formed (§8.2's 500 comes from the missing TLS, D7, not from syntax)
        ok("CLIENTID MAC 08:9e:01:70:f6:46", .clientID("MAC", "08:9e:01:70:f6:46")),
        // §8.4: one argument only
        bad("CLIENTID MAC", .invalidArguments, 501, at: 12),
    ]
}
