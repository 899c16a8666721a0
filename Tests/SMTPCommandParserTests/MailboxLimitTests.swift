// Where the path and local-part limits are measured (RFC 5321 §4.5.3.1.1,
// §4.5.3.1.3): a path counts its angle brackets, also when lenient mode (L2)
// lets them be missing; the local part ends at the "@" after it, and a quoted
// local part may hold "@" and escaped quotes itself.

import SMTPCommandParser
import XCTest

final class MailboxLimitTests: XCTestCase {
    /// A mailbox of `octets` octets: a 64-octet local part and a domain of labels.
    func mailbox(_ octets: Int) -> String {
        let labels =
            String(repeating: "d", count: 63) + "." + String(repeating: "e", count: 63) + "." + String(repeating: "f", count: 63)
        return String(repeating: "a", count: 64) + "@" + labels.prefix(octets - 65)
    }

    func testPathLimitWithAndWithoutBrackets() {
        let fits = mailbox(254)
        let over = mailbox(255)
        check([
            // 254 octets + "<" ">" = 256: the limit.
            ok("MAIL FROM:<\(fits)>", .mail(fits)),
            bad("MAIL FROM:<\(over)>", .pathTooLong, 501, at: 10 + 256),
            ok("RCPT TO:<\(fits)>", .rcpt(fits)),
            bad("RCPT TO:<\(over)>", .pathTooLong, 501, at: 8 + 256),
            // Without brackets (L2) the same mailbox is 254 octets: its canonical form fits.
            ok("MAIL FROM:\(fits)", .mail(fits), .lenientMode),
            bad("MAIL FROM:\(over)", .pathTooLong, 501, at: 10 + 254, .lenientMode),
            ok("RCPT TO:\(fits)", .rcpt(fits), .lenientMode),
            bad("RCPT TO:\(over)", .pathTooLong, 501, at: 8 + 254, .lenientMode),
        ])
    }

    func testQuotedLocalPartsWithEscapesAndAtSigns() {
        let c70 = String(repeating: "c", count: 70)
        check([
            ok("MAIL FROM:<\"a\\\"b@c\"@example.net>", .mail("\"a\\\"b@c\"@example.net")),
            // The "@" inside the quotes is not the separator: the local part is the whole quoted string.
            bad("MAIL FROM:<\"a\\\"b@\(c70)\"@example.net>", .localPartTooLong, 501, at: 11 + 64),
            // An escaped quote does not end the quoted string, even right before the closing one.
            bad("MAIL FROM:<\"\(c70)\\\"\"@example.net>", .localPartTooLong, 501, at: 11 + 64),
            ok("MAIL FROM:<\"\(c70.prefix(60))\\\"\"@example.net>", .mail("\"\(c70.prefix(60))\\\"\"@example.net")),
        ])
    }
}
