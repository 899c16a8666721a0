// D6–D10 with HTAB, NUL and 8-bit bytes in and around the verb, for every state of
// ClientIDTableTests. The verb is the parser's first token (D5): up to SP or CR,
// HTAB too in lenient mode only (L3). A first token that is no verb makes the line
// an unrecognized command, 500 in every state (RFC 5321 §4.2.4), and changes
// nothing; a line whose verb is CLIENTID gets D6–D11 whatever its arguments hold.

import ClientIDPolicy
import SMTPSession
import XCTest

final class VerbReadingTableTests: XCTestCase {
    /// How a line reads, by mode.
    enum Reading {
        /// No verb in either mode: 500 in every state, nothing changes.
        case notAVerb
        /// A CLIENTID with bad arguments in both modes: the row's malformed code (D6–D11).
        case malformedClientID
        /// HTAB after the verb: no verb strictly (500), a malformed CLIENTID in lenient mode.
        case clientIDOnlyWhenLenient
        /// HTAB after the token: a malformed CLIENTID strictly, a valid one in lenient mode (L3).
        case validOnlyWhenLenient
    }

    struct Line {
        let bytes: [UInt8]
        let reading: Reading
        let why: String
        let line: UInt
        init(_ bytes: [UInt8], _ reading: Reading, _ why: String, line: UInt = #line) {
            self.bytes = bytes + [13, 10]
            self.reading = reading
            self.why = why
            self.line = line
        }
    }

    static let token = Array("23bf83be-aad7-46aa-9e0f-39191ccf402f".utf8)
    static let lines: [Line] = [
        Line(Array("CLIENTID\tUUID ".utf8) + token, .clientIDOnlyWhenLenient, "HTAB after the verb"),
        Line(Array("clientid\tuuid ".utf8) + token, .clientIDOnlyWhenLenient, "HTAB after the verb, lower case (D3)"),
        Line(Array("CLIENTID\t".utf8), .clientIDOnlyWhenLenient, "HTAB and nothing else"),
        Line(Array("\tCLIENTID UUID ".utf8) + token, .notAVerb, "HTAB before the verb: an empty first token"),
        Line(Array("CLIENTID\u{0} UUID ".utf8) + token, .notAVerb, "NUL right after the verb"),
        Line(Array("CLIENT\u{0}ID UUID ".utf8) + token, .notAVerb, "NUL inside the verb"),
        Line(Array("\u{0}CLIENTID UUID ".utf8) + token, .notAVerb, "NUL before the verb"),
        Line(Array("CLIENTID".utf8) + [0xC3, 0xA9] + Array(" UUID ".utf8) + token, .notAVerb, "UTF-8 right after the verb"),
        Line(Array("CLIENT".utf8) + [0xFF] + Array("ID UUID ".utf8) + token, .notAVerb, "0xFF inside the verb"),
        Line([0x80] + Array("CLIENTID UUID ".utf8) + token, .notAVerb, "0x80 before the verb"),
        Line(Array("CLIENTIDX UUID ".utf8) + token, .notAVerb, "a longer word"),
        Line(Array("CLIENTID \u{0}UUID ".utf8) + token, .malformedClientID, "NUL after the verb (D5)"),
        Line(Array("CLIENTID UUID \u{0}".utf8) + token, .malformedClientID, "NUL in the token (D5)"),
        Line(Array("CLIENTID UUID ".utf8) + token + [0x00], .malformedClientID, "NUL after the token (D5)"),
        Line(Array("CLIENTID ".utf8) + [0xC3, 0xA9] + Array(" ".utf8) + token, .malformedClientID, "UTF-8 type (D5)"),
        Line(Array("CLIENTID UUID ".utf8) + token + [0xFF], .malformedClientID, "0xFF in the token (D5)"),
        Line(Array("CLIENTID UUID\t".utf8) + token, .malformedClientID, "HTAB between the arguments (D1)"),
        Line(Array("CLIENTID UUID ".utf8) + token + [0x09], .validOnlyWhenLenient, "HTAB after the token (L3)"),
    ]

    func testEveryStateWithHTABNULAnd8BitBytesInAndAroundTheVerb() {
        for row in ClientIDTableTests.rows {
            guard let state = ClientIDTableTests.states[row.state] else {
                XCTFail("no state \(row.state)", line: row.line)
                continue
            }
            for lenient in [false, true] {
                for line in Self.lines {
                    let expected: Int
                    switch (line.reading, lenient) {
                    case (.notAVerb, _), (.clientIDOnlyWhenLenient, false): expected = 500
                    case (.malformedClientID, _), (.clientIDOnlyWhenLenient, true), (.validOnlyWhenLenient, false):
                        expected = row.malformed
                    case (.validOnlyWhenLenient, true): expected = row.valid
                    }
                    let what = "\(row.state) × \(line.why) [\(lenient ? "lenient" : "strict")] (\(row.rule))"
                    var configuration = Harness.defaultConfiguration
                    configuration.lenientParser = lenient
                    state.configure(&configuration)
                    var harness = Harness(configuration)
                    state.setUp(&harness)
                    let identityBefore = harness.session.clientIdentity
                    _ = harness.takeActions()
                    harness.sendRaw(line.bytes)
                    let actions = harness.takeActions()
                    let codes = actions.compactMap { if case .send(let r) = $0 { r.code } else { nil } }
                    XCTAssertEqual(codes, [expected], what, line: line.line)
                    let identified = actions.contains { if case .clientIdentified = $0 { true } else { false } }
                    XCTAssertEqual(identified, expected == 250, "\(what): clientIdentified", line: line.line)
                    guard expected != 250 else { continue }
                    // Refused: nothing changed, so a valid CLIENTID gets what it got before.
                    XCTAssertEqual(harness.session.clientIdentity, identityBefore, what, line: line.line)
                    XCTAssertEqual(
                        harness.code("CLIENTID UUID " + String(decoding: Self.token, as: UTF8.self)), row.valid,
                        "\(what), then a valid CLIENTID", line: line.line)
                }
            }
        }
    }

    /// D10: a line counts as AUTH exactly when the parser reads AUTH as its verb,
    /// whatever its arguments; a first token that is no verb is no AUTH command.
    func testAUTHWithHTABNULAnd8BitBytesSetsD10OnlyWhenItsVerbIsAUTH() {
        let rows: [(line: [UInt8], strict: (code: Int, isAuth: Bool), lenient: (code: Int, isAuth: Bool), UInt)] = [
            (Array("AUTH\tPLAIN =".utf8), (500, false), (501, true), #line),
            (Array("AUTH\t".utf8), (500, false), (501, true), #line),
            (Array("\tAUTH PLAIN =".utf8), (500, false), (500, false), #line),
            (Array("AUTH\u{0} PLAIN =".utf8), (500, false), (500, false), #line),
            (Array("AU\u{0}TH PLAIN =".utf8), (500, false), (500, false), #line),
            (Array("AUTH".utf8) + [0xC3, 0xA9] + Array(" PLAIN =".utf8), (500, false), (500, false), #line),
            ([0xFF] + Array("AUTH PLAIN =".utf8), (500, false), (500, false), #line),
            (Array("AUTHX PLAIN =".utf8), (500, false), (500, false), #line),
            (Array("AUTH PLAIN =\u{0}".utf8), (501, true), (501, true), #line),
            (Array("AUTH \u{0}PLAIN".utf8), (501, true), (501, true), #line),
            (Array("AUTH PLAIN ".utf8) + [0xFF], (501, true), (501, true), #line),
            (Array("AUTH PL".utf8) + [0xC3, 0xA9] + Array("IN".utf8), (501, true), (501, true), #line),
        ]
        for (line, strict, lenient, row) in rows {
            for (isLenient, expected) in [(false, strict), (true, lenient)] {
                var configuration = Harness.defaultConfiguration
                configuration.lenientParser = isLenient
                var h = Harness(configuration)
                h.startTLSAndEHLO()
                h.sendRaw(line + [13, 10])
                let what = "\(escaped(line)) [\(isLenient ? "lenient" : "strict")]"
                XCTAssertEqual(h.codes(), [expected.code], what, line: row)
                XCTAssertEqual(h.code("CLIENTID UUID x"), expected.isAuth ? 503 : 250, "\(what), then CLIENTID (D10)", line: row)
            }
        }
    }

    /// RFC 3030 §2 with synchronization enforced: a BDAT line refused for syntax closes,
    /// since its chunk cannot be found; a line whose first token is no verb is only a 500.
    func testBDATWithHTABClosesOnlyWhenItsVerbIsBDAT() {
        for (lenient, closes) in [(false, false), (true, true)] {
            var configuration = Harness.defaultConfiguration
            configuration.enforceSynchronization = true
            configuration.lenientParser = lenient
            var h = Harness(configuration)
            h.send("EHLO client.example.net")
            _ = h.takeActions()
            h.sendRaw(Array("BDAT\t5\r\n".utf8))
            XCTAssertEqual(h.codes(), [closes ? 501 : 500], "lenient \(lenient)")
            XCTAssertEqual(h.session.isClosed, closes, "lenient \(lenient)")
        }
    }

    /// The HTTP check reads the parser's first token: a method needs SP after it.
    func testHTTPCheckReadsTheParsersFirstToken() {
        for lenient in [false, true] {
            var configuration = Harness.defaultConfiguration
            configuration.lenientParser = lenient
            for (line, http) in [
                ("GET / HTTP/1.1", true), ("get / HTTP/1.1", true), ("Host:example.com", true), ("HOST: x", true),
                ("GET\t/ HTTP/1.1", false), ("GET\u{0} / HTTP/1.1", false), ("Hostname: x", false), ("Host", false),
            ] {
                var h = Harness(configuration)
                XCTAssertEqual(h.code(line), http ? 554 : 500, "\(line) lenient \(lenient)")
                XCTAssertEqual(h.session.isClosed, http, "\(line) lenient \(lenient)")
            }
        }
    }
}

/// Bytes for messages: printable ASCII as is, others as \xHH.
private func escaped(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true)
    }.joined()
}
