// CommandMatcher: a line that starts with its command's literal prefix (in
// any letter case) is matched from the state after the prefix, so the
// prefix test must be exact. A false "yes" would let bytes that only look
// like the prefix through unchecked (letters match in either case because
// only letters are folded: ":" and 0x1A differ only in bit 5); a false "no"
// costs the matching from the start. Both the word-at-a-time test (lines of
// 16 bytes or more) and the byte-by-byte one (shorter lines) are held to the
// prefixes as CommandAutomata declares them.

import XCTest

@testable import SMTPCommandParser

final class CommandMatcherTests: XCTestCase {
    /// Each command's matcher and its prefix, as CommandAutomata.init declares them.
    static func prefixes(_ a: CommandAutomata) -> [(CommandMatcher, String)] {
        [
            (a.ehlo, "EHLO "), (a.helo, "HELO "), (a.mail, "MAIL FROM:"), (a.rcpt, "RCPT TO:"), (a.data, "DATA"),
            (a.bdat, "BDAT "), (a.rset, "RSET"), (a.vrfy, "VRFY "), (a.expn, "EXPN "), (a.help, "HELP"), (a.noop, "NOOP"),
            (a.quit, "QUIT"), (a.startTLS, "STARTTLS"), (a.auth, "AUTH "), (a.clientID, "CLIENTID "),
        ]
    }
    static let modes: [CommandAutomata] = [.strict, .smtputf8, .lenient, .lenientSMTPUTF8]

    func matches(_ m: CommandMatcher, _ line: [UInt8], verified: Int = 0) -> Bool {
        line.withUnsafeBytes { m.matchesPrefix($0, verified: verified) }
    }

    func cased(_ prefix: String) -> [[UInt8]] {
        let upper = Array(prefix.utf8)
        let lower = upper.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        let mixed = upper.enumerated().map { $0.offset % 2 == 0 ? lower[$0.offset] : $0.element }
        return [upper, lower, mixed]
    }

    func testEveryPrefixInEveryCaseAndLength() {
        for automata in Self.modes {
            for (m, prefix) in Self.prefixes(automata) {
                XCTAssertEqual(m.prefixLength, prefix.utf8.count, prefix)
                XCTAssertGreaterThanOrEqual(m.row, 0, "\(prefix): every case of the prefix reaches one state")
                for p in cased(prefix) {
                    // Shorter than 16 bytes (byte by byte) and longer (two words at once); the
                    // bytes after the prefix have their low bit set and cleared, so a mask that
                    // reaches past the prefix shows.
                    for tail in [
                        "", "y\r\n", "x\r\n", String(repeating: "yx", count: 10) + "\r\n", String(repeating: "\u{7F}", count: 17),
                    ] {
                        let line = p + Array(tail.utf8)
                        XCTAssertTrue(matches(m, line), "\(String(decoding: line, as: UTF8.self))")
                        XCTAssertTrue(matches(m, line, verified: 4), "with the verb verified")
                    }
                    XCTAssertFalse(matches(m, Array(p.dropLast())), "\(prefix): one byte short")
                }
            }
        }
    }

    /// Every byte of every prefix changed, one at a time: a letter into another
    /// letter, anything else into the byte that differs from it only in bit 5; and
    /// every byte with its top bit flipped.
    func testEveryNearMissOfEveryPrefixIsNotThePrefix() {
        for (m, prefix) in Self.prefixes(.strict) {
            for p in cased(prefix) {
                for k in 0..<p.count {
                    let isLetter = (0x41...0x5A).contains(p[k] & ~0x20)
                    // Another letter, or the byte with bit 5 flipped; and the byte with bit 7 flipped.
                    let other =
                        isLetter ? (p[k] == UInt8(ascii: "Q") || p[k] == UInt8(ascii: "q") ? p[k] + 1 : p[k] ^ 0x01) : p[k] ^ 0x20
                    for byte in [other, p[k] ^ 0x80] {
                        var bad = p
                        bad[k] = byte
                        for tail in ["x\r\n", String(repeating: "x", count: 20) + "\r\n"] {
                            let line = bad + Array(tail.utf8)
                            XCTAssertFalse(matches(m, line), "\(show(line)) is not \(prefix)")
                        }
                    }
                }
            }
        }
    }

    /// The same near misses through the parser: refused, never parsed as the command.
    func testLinesThatDifferFromAPrefixInBitFiveAreRefused() {
        let lines = [
            "MAIL FROM\u{1A}<a@example.com>", "RCPT TO\u{1A}<a@example.com>", "MAIL\u{0}FROM:<a@example.com>",
            "CLIENTID\u{0}UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f", "EHLO\u{0}client.example.net",
            "MAIL FROM\u{1A}<a@example.com> SIZE=1000 BODY=8BITMIME", "AUTH\u{0}PLAIN dGVzdAB0ZXN0ADEyMzQ=",
        ]
        for text in lines {
            for options in [Options.strictMode, .lenientMode, .utf8Mode, .lenientUTF8Mode] {
                let line = Array(text.utf8) + [0x0D, 0x0A]
                if case .success(let command) = parseResult(line, options) {
                    XCTFail("\(show(line)) [\(options.name)] accepted as \(owned(command, line).rendered)")
                }
            }
        }
    }
}
