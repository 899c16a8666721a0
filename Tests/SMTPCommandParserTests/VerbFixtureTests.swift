import SMTPCommandParser
import XCTest

/// One reading of the verb (D5, RFC 5321 §4.2.4): the first token ends at SP or CR,
/// in lenient mode also at HTAB (L3). A token that is no known verb is a 500 whatever
/// bytes it holds, NUL and 8-bit bytes included; after a known verb those bytes are
/// 501. `firstToken(of:)` names the verb `parse` judged the line by.
final class VerbFixtureTests: XCTestCase {
    func testHTABNULAnd8BitBytesInAndAroundTheVerb() { check(Fixtures.verbReading) }

    /// The token and the verb `firstToken(of:)` reports, in both modes.
    func testFirstTokenEndsAtSPOrCRAndInLenientModeAtHTAB() {
        let rows: [(line: [UInt8], strict: (Range<Int>, SMTPVerb?), lenient: (Range<Int>, SMTPVerb?), UInt)] = [
            (bytes("CLIENTID UUID x\r\n"), (0..<8, .clientID), (0..<8, .clientID), #line),
            (bytes("clientid uuid x\r\n"), (0..<8, .clientID), (0..<8, .clientID), #line),
            (bytes("CLIENTID\tUUID x\r\n"), (0..<13, nil), (0..<8, .clientID), #line),
            (bytes("AUTH\tPLAIN =\r\n"), (0..<10, nil), (0..<4, .auth), #line),
            (bytes("DATA\t\r\n"), (0..<5, nil), (0..<4, .data), #line),
            (bytes("\tQUIT\r\n"), (0..<5, nil), (0..<0, nil), #line),
            (bytes("QUIT\r\n"), (0..<4, .quit), (0..<4, .quit), #line),
            (bytes("QUIT"), (0..<4, .quit), (0..<4, .quit), #line),
            (bytes("QUIT\n"), (0..<5, nil), (0..<5, nil), #line),
            (bytes("CLIENTID\u{0} UUID x\r\n"), (0..<9, nil), (0..<9, nil), #line),
            (bytes("AUTH PLAIN\u{0}\r\n"), (0..<4, .auth), (0..<4, .auth), #line),
            (bytes("CLIENTID") + [0xC3, 0xA9] + bytes(" UUID x\r\n"), (0..<10, nil), (0..<10, nil), #line),
            (bytes("XCLIENT ADDR=1\r\n"), (0..<7, nil), (0..<7, nil), #line),
            (bytes("STARTTLSX\r\n"), (0..<9, nil), (0..<9, nil), #line),
            (bytes("GET / HTTP/1.1\r\n"), (0..<3, nil), (0..<3, nil), #line),
            (bytes("Host: x\r\n"), (0..<5, nil), (0..<5, nil), #line),
            (bytes(" QUIT\r\n"), (0..<0, nil), (0..<0, nil), #line),
            ([], (0..<0, nil), (0..<0, nil), #line),
        ]
        for (line, strict, lenient, row) in rows {
            for (options, expected) in [(Options.strictMode, strict), (.lenientMode, lenient)] {
                let token = SMTPCommandParser(options: options).firstToken(of: line)
                XCTAssertEqual(token.range, expected.0, "\(show(line)) [\(options.name)]", line: row)
                XCTAssertEqual(token.verb, expected.1, "\(show(line)) [\(options.name)]", line: row)
            }
        }
    }

    /// Every fixture line, in its own mode: an accepted line's verb is the token's
    /// verb; a line refused without a known verb is a 500; `unknownCommand` means no verb.
    func testFirstTokenNamesTheVerbParseJudgedEveryFixtureBy() {
        for f in Fixtures.all {
            let token = SMTPCommandParser(options: f.options).firstToken(of: f.input)
            let what = "\(show(f.input)) [\(f.options.name)]: first token \(token.range), \(String(describing: token.verb))"
            switch parseResult(f.input, f.options) {
            case .success(let command):
                XCTAssertEqual(token.verb, command.knownVerb, what, file: f.file, line: f.line)
                if case .unknown(let verb) = command { XCTAssertEqual(verb, token.range, what, file: f.file, line: f.line) }
            case .failure(let error):
                if error.kind == .unknownCommand { XCTAssertNil(token.verb, "\(what): \(error)", file: f.file, line: f.line) }
                if token.verb == nil { XCTAssertEqual(error.replyCode, 500, "\(what): \(error)", file: f.file, line: f.line) }
            }
        }
    }

    /// Every known verb, in either case, is read as itself and judged by its own grammar.
    func testEveryKnownVerbIsReadAsItself() {
        for verb in SMTPVerb.allCases {
            for spelled in [verb.description, verb.description.lowercased()] {
                for options in [Options.strictMode, .lenientMode] {
                    let line = bytes(spelled + " x\r\n")
                    let token = SMTPCommandParser(options: options).firstToken(of: line)
                    XCTAssertEqual(token.verb, verb, spelled)
                    XCTAssertEqual(token.range, 0..<spelled.utf8.count, spelled)
                    switch parseResult(line, options) {
                    case .success(let command): XCTAssertEqual(command.knownVerb, verb, spelled)
                    case .failure(let error): XCTAssertNotEqual(error.kind, .unknownCommand, spelled)
                    }
                }
            }
        }
        XCTAssertEqual(
            Set(SMTPVerb.allCases.map { $0.description.lowercased() }), Set(InterpreterAgreementTests.commandRules),
            "one SMTPVerb per command rule of the grammar")
    }
}

extension Fixtures {
    // D5 and RFC 5321 §4.2.4: HTAB, NUL and 8-bit bytes in and around the verb. Inside
    // the first token they make the line no command (500); after a known verb, 501.
    static let verbReading: [Fixture] = [
        // HTAB after the verb: one token strictly, L3's delimiter in lenient mode only.
        bad("CLIENTID\tUUID x", .unknownCommand, 500, at: 8),
        bad("CLIENTID\tUUID x", .invalidArguments, 501, at: 8, .lenientMode),
        bad("AUTH\tPLAIN =", .unknownCommand, 500, at: 4),
        bad("AUTH\tPLAIN =", .invalidArguments, 501, at: 4, .lenientMode),
        bad("MAIL\tFROM:<a@b>", .unknownCommand, 500, at: 4),
        bad("MAIL\tFROM:<a@b>", .invalidArguments, 501, at: 4, .lenientMode),
        bad("BDAT\t5", .unknownCommand, 500, at: 4),
        bad("BDAT\t5", .invalidArguments, 501, at: 4, .lenientMode),
        bad("QUIT\t", .unknownCommand, 500, at: 4),
        ok("QUIT\t", .quit, .lenientMode),
        bad("STARTTLS\t", .unknownCommand, 500, at: 8),
        ok("STARTTLS\t", .startTLS, .lenientMode),
        bad("\tQUIT", .unknownCommand, 500, at: 0),
        bad("\tQUIT", .unknownCommand, 500, at: 0, .lenientMode),
        bad("QU\tIT", .unknownCommand, 500, at: 2),
        ok("QU\tIT", .unknown("QU"), .lenientMode),
        // HTAB after the arguments: L3, lenient only; the verb is read either way.
        ok("CLIENTID UUID x\t", .clientID("UUID", "x"), .lenientMode),
        bad("CLIENTID UUID x\t", .invalidArguments, 501, at: 15),
        // NUL inside the first token: no verb, 500 (RFC 5321 §4.2.4), whatever the mode.
        bad("CLIENTID\u{0} UUID x", .unknownCommand, 500, at: 8),
        bad("CLIENTID\u{0} UUID x", .unknownCommand, 500, at: 8, .lenientUTF8Mode),
        bad("CLIENT\u{0}ID UUID x", .unknownCommand, 500, at: 6),
        bad("\u{0}CLIENTID UUID x", .unknownCommand, 500, at: 0),
        bad("AUTH\u{0} PLAIN =", .unknownCommand, 500, at: 4),
        bad("NOOP\u{0}", .unknownCommand, 500, at: 4),
        bad("CLIENTIDX\u{0}", .unknownCommand, 500, at: 9),
        // NUL after a known verb: its arguments are refused, 501 (D5).
        bad("CLIENTID \u{0}UUID x", .nulByte, 501, at: 9),
        bad("CLIENTID UUID \u{0}x", .nulByte, 501, at: 14),
        bad("CLIENTID UUID x\u{0}", .nulByte, 501, at: 15, .lenientMode),
        bad("AUTH PLAIN\u{0}", .nulByte, 501, at: 10),
        bad("NOOP \u{0}", .nulByte, 501, at: 5),
        // A token of letters that is no known verb: the rest is not read, the session answers 500.
        ok("XCLIENT \u{0}", .unknown("XCLIENT")),
        // 8-bit bytes inside the first token: 500 in every mode, SMTPUTF8 included.
        bad(whole: bytes("CLIENTID") + [0xC3, 0xA9] + bytes(" UUID x\r\n"), .unknownCommand, 500, at: 8),
        bad(whole: bytes("CLIENTID") + [0xC3, 0xA9] + bytes(" UUID x\r\n"), .unknownCommand, 500, at: 8, .utf8Mode),
        bad(whole: bytes("CLIENT") + [0xFF] + bytes("ID UUID x\r\n"), .unknownCommand, 500, at: 6),
        bad(whole: [0x80] + bytes("QUIT\r\n"), .unknownCommand, 500, at: 0, .lenientUTF8Mode),
        bad(whole: bytes("AUTH") + [0xA0] + bytes(" PLAIN =\r\n"), .unknownCommand, 500, at: 4),
        bad("QUİT", .unknownCommand, 500, at: 2, .utf8Mode),
        // 8-bit bytes after a known verb: 501 (D5; RFC 6531 §3.2 without SMTPUTF8).
        bad(whole: bytes("CLIENTID ") + [0xC3, 0xA9] + bytes(" x\r\n"), .nonASCII, 501, at: 9),
        bad(whole: bytes("CLIENTID ") + [0xC3, 0xA9] + bytes(" x\r\n"), .invalidArguments, 501, at: 9, .utf8Mode),
        bad(whole: bytes("CLIENTID UUID ") + [0xC3, 0xA9] + bytes("\r\n"), .nonASCII, 501, at: 14),
        // A bare LF in the token keeps its name (D12); the framer refuses such lines first.
        bad("CLIENT\nID UUID x", .bareLineFeed, 500, at: 6),
        bad(whole: bytes("CLIENTID\n UUID x\r\n"), .bareLineFeed, 500, at: 8, .lenientMode),
    ]
}
