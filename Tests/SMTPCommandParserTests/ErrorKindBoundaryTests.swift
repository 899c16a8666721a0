// Which kind an error gets when the offending byte explains it better than
// the grammar (LineParse.fail): a CR that is not followed by LF is a bare CR
// at the CR (D12), whatever byte follows it; 0x80 is the first non-ASCII byte
// (RFC 6531 §3.2, D5) and 0x7F (DEL) is still ASCII.

import SMTPCommandParser
import XCTest

final class ErrorKindBoundaryTests: XCTestCase {
    func testACRFollowedByAnythingButLFIsABareCR() {
        var rows: [Fixture] = []
        for after: UInt8 in [0x09, 0x0B, 0x0C, 0x0E, 0x20, 0x0D, 0x41] {
            for options in [Options.strictMode, .lenientMode] {
                rows.append(
                    bad(whole: Array("NOOP a\r".utf8) + [after] + Array("\r\n".utf8), .bareCarriageReturn, 500, at: 6, options))
                rows.append(
                    bad(
                        whole: Array("MAIL FROM:<a@b>\r".utf8) + [after] + Array("\r\n".utf8), .bareCarriageReturn, 500, at: 15,
                        options))
            }
        }
        check(rows)
    }

    func testTheFirstNonASCIIByteIs0x80() {
        check([
            bad(whole: Array("NOOP ".utf8) + [0x80] + Array("\r\n".utf8), .nonASCII, 501, at: 5),
            bad(whole: Array("NOOP ".utf8) + [0x81] + Array("\r\n".utf8), .nonASCII, 501, at: 5),
            bad(whole: Array("NOOP ".utf8) + [0xFF] + Array("\r\n".utf8), .nonASCII, 501, at: 5),
            bad(whole: Array("NOOP ".utf8) + [0x7F] + Array("\r\n".utf8), .invalidArguments, 501, at: 5),
            bad(whole: Array("EHLO a".utf8) + [0x80] + Array("\r\n".utf8), .nonASCII, 501, at: 6),
            bad(whole: Array("EHLO a".utf8) + [0x7F] + Array("\r\n".utf8), .invalidArguments, 501, at: 6),
            // With SMTPUTF8 a lone continuation byte is not UTF-8: the grammar's refusal.
            bad(whole: Array("NOOP ".utf8) + [0x80] + Array("\r\n".utf8), .invalidArguments, 501, at: 5, .utf8Mode),
        ])
    }
}
