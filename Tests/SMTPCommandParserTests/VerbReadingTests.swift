// How the parser reads a verb: four letters at once when a delimiter (SP,
// CR, LF, HTAB) follows them, else letter by letter up to eight. Either way
// only the 52 letters make a verb, only those four bytes end one, and a
// known verb's line is judged by that command's grammar. The rows put the
// bytes just outside each range (the letters' neighbours "@", "[", "`", "{",
// the delimiters' neighbours) in every position of the verb and after it.

import XCTest

@testable import SMTPCommandParser

final class VerbReadingTests: XCTestCase {
    static let verbs = [
        "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "AUTH", "STARTTLS",
        "CLIENTID",
    ]
    static let modes: [Options] = [.strictMode, .lenientMode, .utf8Mode, .lenientUTF8Mode]

    /// A byte next to the letters in any position of a verb is not a verb.
    func testNonLettersBesideTheLetterRanges() {
        var rows: [Fixture] = []
        for verb in ["QUIT", "MAIL", "XYZW", "STARTTLS"] {
            for position in 0..<verb.count {
                for other in ["@", "[", "`", "{"] {
                    var v = Array(verb.utf8)
                    v[position] = Array(other.utf8)[0]
                    for options in Self.modes {
                        rows.append(bad(whole: v + Array(" x\r\n".utf8), .unknownCommand, 500, at: position, options))
                        rows.append(bad(whole: v + Array("\r\n".utf8), .unknownCommand, 500, at: position, options))
                    }
                }
            }
        }
        check(rows)
    }

    /// After a verb, only SP, CR, LF and HTAB end it; the bytes beside them do not.
    func testBytesBesideTheDelimiters() {
        var rows: [Fixture] = []
        for verb in Self.verbs + ["XYZW"] {
            for after: UInt8 in [0x08, 0x0B, 0x0C, 0x0E, 0x1F, 0x21] {
                for cased in [verb, verb.lowercased()] {
                    rows.append(
                        bad(whole: Array(cased.utf8) + [after] + Array("\r\n".utf8), .unknownCommand, 500, at: verb.count))
                }
            }
        }
        check(rows)
    }

    /// A known verb and nothing more yet is incomplete in that command's grammar, not in
    /// the generic command rule an unknown verb gets; an unknown verb is "command".
    func testAVerbAloneIsIncompleteInItsOwnCommand() {
        for verb in Self.verbs {
            for cased in [verb, verb.lowercased()] {
                for options in Self.modes {
                    guard case .failure(let error) = parseResult(Array(cased.utf8), options) else {
                        XCTFail("\(cased) [\(options.name)] parsed")
                        continue
                    }
                    XCTAssertEqual(error.kind, .incomplete, "\(cased) [\(options.name)]")
                    XCTAssertEqual(error.offset, verb.count, "\(cased) [\(options.name)]")
                    XCTAssertNotEqual(error.rule, "command", "\(cased) [\(options.name)] read as an unknown verb")
                }
            }
        }
        for unknown in ["XYZW", "ABCDEFGH"] {
            guard case .failure(let error) = parseResult(Array(unknown.utf8), .strictMode) else { return XCTFail(unknown) }
            XCTAssertEqual([error.kind], [.incomplete])
            XCTAssertEqual(error.rule, "command")
        }
    }

    /// A word of nine letters or more is no verb, even when its last eight spell one
    /// (a verb is read into eight bytes: the ninth letter would push the first out).
    func testLongWordsEndingInAVerb() {
        check([
            ok("XSTARTTLS", .unknown("XSTARTTLS")), ok("ACLIENTID UUID x", .unknown("ACLIENTID")),
            ok("xstarttls", .unknown("xstarttls")), ok("XXXXXQUIT", .unknown("XXXXXQUIT")),
            ok("ABCDEFGHIJKLMNOP", .unknown("ABCDEFGHIJKLMNOP")),
        ])
        // Past eight letters the packed verb keeps the last eight, and the
        // dispatch's shift wraps at 64 bits: a 16-letter word ending in
        // STARTTLS would hash to STARTTLS's slot. Every length up to 24.
        var rows: [Fixture] = []
        for verb in Self.verbs {
            for extra in 1...(24 - verb.count) {
                let word = String(repeating: "X", count: extra) + verb
                rows.append(ok(word + " x", .unknown(word)))
            }
        }
        check(rows)
    }

    /// A verb ended by a bare LF: the framing error, not an unknown command, and the
    /// same whether the verb is read four letters at once or letter by letter.
    func testAVerbEndedByABareLF() {
        var rows: [Fixture] = []
        for verb in Self.verbs {
            rows.append(bad(whole: Array(verb.utf8) + [0x0A], .bareLineFeed, 500, at: verb.count))
            rows.append(bad(whole: Array(verb.utf8) + Array("\nx\r\n".utf8), .bareLineFeed, 500, at: verb.count))
        }
        check(rows)
    }

    /// The one case mapping the parser compares keywords with (SMTPUTF8 after
    /// VRFY and EXPN, parameter keywords, "IPv6:"): a to z become A to Z, and
    /// every other byte, the letters' neighbours "`" and "{" included, stays.
    func testASCIIUpperMapsExactlyTheLowerCaseLetters() {
        for b in 0...255 {
            let byte = UInt8(b)
            // Qualified: this test target has its own copy for the interpreter's oracle.
            XCTAssertEqual(
                SMTPParserRuntime.asciiUpper(byte), (0x61...0x7A).contains(byte) ? byte - 0x20 : byte, "byte \(b)")
        }
        // Through the parser: keywords in lower case (with an a and a z) are the same command.
        for line in ["MAIL FROM:<a@example.com> SIZE=1000 AUTH=<>", "VRFY postmaster SMTPUTF8"] {
            let upper = Array((line + "\r\n").utf8)
            let lower = Array((line.prefix(10) + line.dropFirst(10).lowercased() + "\r\n").utf8)
            XCTAssertEqual(parseResult(lower, .utf8Mode), parseResult(upper, .utf8Mode), line)
        }
    }
}
