import SMTPCommandParser
import XCTest

/// Grammar/lenient.abnf: each deviation is accepted in lenient mode and refused in strict mode.
final class LenientFixtureTests: XCTestCase {
    func testLenientDeviationsL1ToL4AcceptedOnlyInLenientMode() { check(Fixtures.lenient) }
}

extension Fixtures {
    static let lenient: [Fixture] =
        Array(
            [
                // L1: spaces between "FROM:"/"TO:" and the path
                lenientOnly("MAIL FROM: <a@b>", .mail("a@b"), at: 10),
                lenientOnly("MAIL FROM:   <>", .mail(""), at: 10),
                lenientOnly("RCPT TO: <c@d>", .rcpt("c@d"), at: 8),
                lenientOnly("RCPT TO: <Postmaster>", .rcpt("Postmaster"), at: 8),
                // L2: a path without angle brackets (with L1 too)
                lenientOnly("MAIL FROM:a@b", .mail("a@b"), at: 10),
                lenientOnly("RCPT TO:c@d", .rcpt("c@d"), at: 8),
                lenientOnly("MAIL FROM: a@b SIZE=10", .mail("a@b", "SIZE=10"), at: 10, mail: MailFields(size: 10)),
                lenientOnly("MAIL FROM:jörg@example.com", .mail("jörg@example.com"), at: 10, .lenientUTF8Mode),
                // L3: white space (SP or HTAB) before CRLF, on every command
                lenientOnly("QUIT ", .quit, at: 4),
                // Strictly, "DATA" HTAB is one token and no verb (D5): 500, not 501.
                lenientOnly("DATA\t", .data, strict: .unknownCommand, 500, at: 4),
                lenientOnly("RSET \t ", .rset, at: 4),
                lenientOnly("STARTTLS ", .startTLS, at: 8),
                lenientOnly("NOOP ", .noop(), at: 5),
                lenientOnly("HELP MAIL ", .help("MAIL"), at: 9),
                lenientOnly("VRFY user ", .vrfy("user"), at: 9),
                lenientOnly("EXPN staff\t", .expn("staff"), at: 10),
                lenientOnly("VRFY user SMTPUTF8 ", .vrfy("user", smtputf8: true), at: 18, .lenientUTF8Mode),
                lenientOnly("EXPN staff SMTPUTF8\t", .expn("staff", smtputf8: true), at: 19, .lenientUTF8Mode),
                lenientOnly("EHLO client.example.net ", .ehlo("client.example.net"), at: 23),
                lenientOnly("HELO x ", .helo("x"), at: 6),
                lenientOnly("MAIL FROM:<a@b> ", .mail("a@b"), at: 16),
                lenientOnly("MAIL FROM:<a@b> SIZE=10 \t", .mail("a@b", "SIZE=10"), at: 24, mail: MailFields(size: 10)),
                lenientOnly("RCPT TO:<a@b> ", .rcpt("a@b"), at: 14),
                lenientOnly("AUTH PLAIN = ", .auth("PLAIN", "="), at: 12),
                lenientOnly("BDAT 10 LAST ", .bdat(10, last: true), at: 12),
                lenientOnly("CLIENTID UUID x ", .clientID("UUID", "x"), at: 15),
                // L4: any visible characters as the EHLO/HELO argument
                lenientOnly("EHLO my_host", .ehlo("my_host"), at: 7),
                lenientOnly("EHLO WIN-PC_01", .ehlo("WIN-PC_01"), at: 11),
                lenientOnly("HELO [2001:db8::1]", .helo("[2001:db8::1]"), at: 5),
                lenientOnly("EHLO my_host ", .ehlo("my_host"), at: 7),
            ].joined()) + [
            // Lenient mode still checks what strict mode checks in code.
            bad("EHLO [IPv6:zz]", .invalidAddressLiteral, 501, at: 11, .lenientMode),
            bad("MAIL FROM: <a@b> SIZE=1 SIZE=2", .duplicateParameter, 501, at: 24, .lenientMode),
            bad("MAIL FROM:\(local64)l@b", .localPartTooLong, 501, at: 74, .lenientMode),
            bad("MAIL FROM:<a@b>  SIZE=1", .invalidArguments, 501, at: 17, .lenientMode),
        ]
}
