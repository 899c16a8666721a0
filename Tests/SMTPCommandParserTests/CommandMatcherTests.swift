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
        let lower = upper.map(asciiLower)
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
    /// Only letters fold: a prefix made of the bytes next to the alphabet's
    /// ends and of the non-letters that differ from a letter in bit 5 matches
    /// its letters in either case and every other byte exactly, in both the
    /// byte-by-byte test and the word test.
    func testOnlyLettersOfAPrefixFold() {
        let m = CommandMatcher((SMTPGrammar.automaton(forRule: "quit")!, nil), prefix: "Az@`[{Zz")
        let prefix = Array("Az@`[{Zz".utf8)
        let padding = Array(String(repeating: "x", count: 16).utf8)
        for tail in [[], padding] {
            XCTAssertTrue(matches(m, prefix + tail), "the prefix itself")
            XCTAssertTrue(matches(m, Array("aZ@`[{zZ".utf8) + tail), "its letters in the other case")
            for k in 2..<6 {
                var other = prefix
                other[k] ^= 0x20
                XCTAssertFalse(matches(m, other + tail), "\(show(other)): a non-letter matches only itself")
            }
        }
    }

    /// A prefix of 16 bytes, the most a matcher takes, is compared whole.
    func testASixteenBytePrefix() {
        let m = CommandMatcher((SMTPGrammar.automaton(forRule: "quit")!, nil), prefix: "ABCDEFGH:JKLMNOP")
        XCTAssertEqual(m.prefixLength, 16)
        let prefix = Array("ABCDEFGH:JKLMNOP".utf8)
        for tail in ["", "x\r\n"] {
            XCTAssertTrue(matches(m, prefix + Array(tail.utf8)))
            XCTAssertTrue(matches(m, Array("abcdefgh:jklmnop".utf8) + Array(tail.utf8)))
            for k in 0..<16 {
                var other = prefix
                other[k] ^= 0x01
                XCTAssertFalse(matches(m, other + Array(tail.utf8)), "\(show(other))")
            }
        }
    }

    /// A prefix its automaton does not read gives no row to start from
    /// (the parser then matches the line from its start).
    func testAPrefixTheAutomatonDoesNotReadHasNoRow() {
        let m = CommandMatcher((SMTPGrammar.automaton(forRule: "quit")!, nil), prefix: "MAIL FROM:")
        XCTAssertEqual(m.row, -1)
    }

    /// The lines that go to the shuffle form: every line for the rules the
    /// kernel is for and for forms that are their prefix alone (compared as
    /// words), none for the others. The parser's answers are the same either
    /// way (the table automata decide what a form does not accept), so only
    /// this shows the fast path is used. The strict grammar has a form for
    /// each of these rules; a profile's changed rule may have none.
    func testTheKernelsRulesAndTheLiteralFormsTakeTheShuffleForm() throws {
        let a = CommandAutomata.strict
        for m in [a.ehlo, a.helo, a.mail, a.rcpt] {
            XCTAssertNotNil(m.shuffle, m.rule)
            XCTAssertEqual(m.kernelMinimum, 0, "\(m.rule): the kernel is for it")
        }
        for m in [a.data, a.rset, a.quit, a.startTLS] {
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(m.shuffle, m.rule).literalLength, 0, "\(m.rule) is its prefix alone")
            XCTAssertEqual(m.kernelMinimum, 0, "\(m.rule): compared as words")
        }
        for m in [a.vrfy, a.bdat, a.auth, a.clientID] {
            XCTAssertLessThan(try XCTUnwrap(m.shuffle, m.rule).literalLength, 0, m.rule)
            XCTAssertEqual(m.kernelMinimum, .max, "\(m.rule): faster through the tables")
        }
        for automata in Self.modes {
            for (m, _) in Self.prefixes(automata) where m.shuffle == nil {
                XCTAssertEqual(m.kernelMinimum, .max, "\(m.rule): no shuffle form")
            }
        }
    }
}
