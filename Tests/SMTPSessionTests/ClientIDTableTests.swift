// The CLIENTID reply for every (session state × command), in the order of
// docs/decisions.md D6–D11: the first rule that applies decides.

import ClientIDPolicy
import SMTPSession
import XCTest

final class ClientIDTableTests: XCTestCase {
    struct SessionState: Sendable {
        let name: String
        let configure: @Sendable (inout Configuration) -> Void
        let setUp: @Sendable (inout Harness) -> Void
        init(
            _ name: String, configure: @escaping @Sendable (inout Configuration) -> Void = { _ in },
            _ setUp: @escaping @Sendable (inout Harness) -> Void
        ) {
            self.name = name
            self.configure = configure
            self.setUp = setUp
        }
    }

    static let states: [String: SessionState] = Dictionary(
        uniqueKeysWithValues: [
            SessionState("plaintext before EHLO") { _ in },
            SessionState("plaintext after EHLO") { $0.send("EHLO client.example.net") },
            SessionState("after STARTTLS before EHLO") {
                $0.send("EHLO client.example.net"); $0.send("STARTTLS"); $0.tlsEstablished()
            },
            SessionState("TLS after HELO") {
                $0.send("EHLO client.example.net"); $0.send("STARTTLS"); $0.tlsEstablished(); $0.send("HELO client.example.net")
            },
            SessionState("TLS after EHLO then HELO") {
                $0.startTLSAndEHLO(); $0.send("HELO client.example.net")
            },
            SessionState("TLS after EHLO") { $0.startTLSAndEHLO() },
            SessionState("after CLIENTID") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID first")
            },
            SessionState("after CLIENTID and RSET") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID first"); $0.send("RSET")
            },
            SessionState("after CLIENTID and re-EHLO") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID first"); $0.send("EHLO client.example.net")
            },
            SessionState("after malformed CLIENTID") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID")
            },
            SessionState("after AUTH success") {
                $0.startTLSAndEHLO(); $0.authPlain(outcome: .accepted)
            },
            SessionState("after AUTH failure") {
                $0.startTLSAndEHLO(); $0.authPlain(outcome: .rejected)
            },
            SessionState("after AUTH temporary failure") {
                $0.startTLSAndEHLO(); $0.authPlain(outcome: .temporaryFailure)
            },
            SessionState("after AUTH cancelled") {
                $0.startTLSAndEHLO(); $0.send("AUTH LOGIN"); $0.send("*")
            },
            SessionState("after AUTH with unknown mechanism") {
                $0.startTLSAndEHLO(); $0.send("AUTH CRAM-MD5")
            },
            SessionState("after a malformed AUTH line") {
                $0.startTLSAndEHLO(); $0.send("AUTH")
            },
            SessionState("after AUTH with undecodable response") {
                $0.startTLSAndEHLO(); $0.send("AUTH PLAIN !!!!")
            },
            SessionState("after CLIENTID then AUTH success") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID first"); $0.authPlain(outcome: .accepted)
            },
            SessionState("after AUTH with a security layer, re-EHLO") {
                $0.startTLSAndEHLO(); $0.send("CLIENTID UUID first"); $0.authPlain(outcome: .acceptedWithSecurityLayer)
                $0.send("EHLO client.example.net")
            },
            SessionState("in a mail transaction", configure: { $0.requireAuthentication = false }) {
                $0.startTLSAndEHLO(); $0.send("MAIL FROM:<a@example.net>"); $0.send("RCPT TO:<b@example.com>")
            },
            SessionState("plaintext AUTH attempt, then STARTTLS and EHLO", configure: { $0.allowAuthWithoutTLS = true }) {
                $0.send("EHLO client.example.net"); $0.authPlain(outcome: .rejected)
                $0.send("STARTTLS"); $0.tlsEstablished(); $0.send("EHLO client.example.net")
            },
            SessionState("implicit TLS before EHLO", configure: { $0.implicitTLS = true }) { _ in },
            SessionState("implicit TLS after EHLO", configure: { $0.implicitTLS = true }) { $0.send("EHLO client.example.net") },
            SessionState("CLIENTID disabled, plaintext after EHLO", configure: { $0.clientIDEnabled = false }) {
                $0.send("EHLO client.example.net")
            },
            SessionState("CLIENTID disabled, TLS after EHLO", configure: { $0.clientIDEnabled = false }) { $0.startTLSAndEHLO() },
            SessionState(
                "CLIENTID disabled, implicit TLS after EHLO",
                configure: {
                    $0.clientIDEnabled = false; $0.implicitTLS = true
                }
            ) {
                $0.send("EHLO client.example.net")
            },
        ].map { ($0.name, $0) })

    /// One row: the state, then the expected code for a valid and for a malformed CLIENTID.
    struct Row {
        let state: String
        let valid: Int
        let malformed: Int
        let rule: String
        let line: UInt
        init(_ state: String, valid: Int, malformed: Int, _ rule: String, line: UInt = #line) {
            self.state = state
            self.valid = valid
            self.malformed = malformed
            self.rule = rule
            self.line = line
        }
    }

    static let rows: [Row] = [
        Row("plaintext before EHLO", valid: 500, malformed: 500, "D7"),
        Row("plaintext after EHLO", valid: 500, malformed: 500, "D7"),
        Row("after STARTTLS before EHLO", valid: 503, malformed: 503, "D8"),
        Row("TLS after HELO", valid: 503, malformed: 503, "D8"),
        Row("TLS after EHLO then HELO", valid: 503, malformed: 503, "D8"),
        Row("TLS after EHLO", valid: 250, malformed: 501, "D17 / D11"),
        Row("after CLIENTID", valid: 503, malformed: 503, "D9"),
        Row("after CLIENTID and RSET", valid: 503, malformed: 503, "D9"),
        Row("after CLIENTID and re-EHLO", valid: 503, malformed: 503, "D9"),
        Row("after malformed CLIENTID", valid: 250, malformed: 501, "D11: retry allowed"),
        Row("after AUTH success", valid: 503, malformed: 503, "D10"),
        Row("after AUTH failure", valid: 503, malformed: 503, "D10"),
        Row("after AUTH temporary failure", valid: 503, malformed: 503, "D10"),
        Row("after AUTH cancelled", valid: 503, malformed: 503, "D10"),
        Row("after AUTH with unknown mechanism", valid: 503, malformed: 503, "D10"),
        Row("after a malformed AUTH line", valid: 503, malformed: 503, "D10, read literally"),
        Row("after AUTH with undecodable response", valid: 503, malformed: 503, "D10"),
        Row("after CLIENTID then AUTH success", valid: 503, malformed: 503, "D9"),
        Row("after AUTH with a security layer, re-EHLO", valid: 503, malformed: 503, "D14 + D10"),
        Row("in a mail transaction", valid: 250, malformed: 501, "D17"),
        Row("plaintext AUTH attempt, then STARTTLS and EHLO", valid: 250, malformed: 501, "D13: STARTTLS forgets the AUTH"),
        Row("implicit TLS before EHLO", valid: 503, malformed: 503, "D16 + D8"),
        Row("implicit TLS after EHLO", valid: 250, malformed: 501, "D16"),
        Row("CLIENTID disabled, plaintext after EHLO", valid: 500, malformed: 500, "D6"),
        Row("CLIENTID disabled, TLS after EHLO", valid: 500, malformed: 500, "D6"),
        Row("CLIENTID disabled, implicit TLS after EHLO", valid: 500, malformed: 500, "D6"),
    ]

    static let validCommands = [
        "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f",
        "clientid uuid 23bf83be-aad7-46aa-9e0f-39191ccf402f",  // D3
        "CLIENTID TBIRD-UUID x",
        "CLIENTID A \(String(repeating: "~", count: 128))",  // D2: 128 VCHAR
        "CLIENTID \(String(repeating: "Z", count: 16)) !",  // D2: 16-char type
    ]

    static let malformedCommands = [
        "CLIENTID MAC",  // draft §8.4
        "CLIENTID",
        "CLIENTID ",
        "CLIENTID UUID a b",  // D2: no SP in the token
        "CLIENTID  UUID a",  // D1: one SP
        "CLIENTID UUID  a",
        "CLIENTID DEVICE_ID 1234",  // D4
        "CLIENTID <product_short_code>UUID 1234",  // D4
        "CLIENTID \(String(repeating: "Z", count: 17)) x",  // D2: 17-char type
        "CLIENTID A \(String(repeating: "~", count: 129))",  // D2: 129 VCHAR
        "CLIENTID UUID caf\u{E9}",  // D5: non-ASCII
        "CLIENTID UUID a\t",  // D2: HT is not VCHAR
        "CLIENTID UUID a ",
    ]

    func testEveryStateAndCommand() {
        XCTAssertEqual(Set(Self.rows.map(\.state)), Set(Self.states.keys), "every state has a row")
        for row in Self.rows {
            guard let state = Self.states[row.state] else {
                XCTFail("no state \(row.state)", line: row.line)
                continue
            }
            for (commands, expected) in [(Self.validCommands, row.valid), (Self.malformedCommands, row.malformed)] {
                for command in commands {
                    var configuration = Harness.defaultConfiguration
                    state.configure(&configuration)
                    var harness = Harness(configuration)
                    state.setUp(&harness)
                    XCTAssertNil(harness.session.awaiting, "\(row.state): set-up left the session waiting", line: row.line)
                    let identityBefore = harness.session.clientIdentity
                    _ = harness.takeActions()
                    harness.send(command)
                    let actions = harness.takeActions()
                    let replies = actions.compactMap { if case .send(let r) = $0 { r } else { nil } }
                    XCTAssertEqual(replies.map(\.code), [expected], "\(row.state) × \(command) (\(row.rule))", line: row.line)
                    let identified = actions.contains { if case .clientIdentified = $0 { true } else { false } }
                    XCTAssertEqual(identified, expected == 250, "\(row.state) × \(command): clientIdentified", line: row.line)
                    if expected == 250 {
                        XCTAssertNotNil(harness.session.clientIdentity, line: row.line)
                    } else {
                        XCTAssertEqual(
                            harness.session.clientIdentity, identityBefore, "a refused CLIENTID changes nothing", line: row.line)
                    }
                }
            }
        }
    }

    /// D3: the type is folded to upper case, the token kept byte for byte.
    func testTypeIsFoldedAndTokenKept() {
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("clientid tBird-Uuid AbC")
        XCTAssertEqual(h.session.clientIdentity, ClientIdentity(type: "TBIRD-UUID", token: "AbC"))
        XCTAssertEqual(h.session.clientIdentity?.token, "AbC")
    }

    /// D12: framing errors come before D6–D11, whatever the state.
    func testFramingErrorsComeFirst() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("CLIENTID UUID " + String(repeating: "a", count: 600)), 500, "overlong line")
        h.sendRaw(Array("CLIENTID UUID a\nb\r\n".utf8))
        XCTAssertEqual(h.codes(), [500], "bare LF")
        h.sendRaw(Array("CLIENTID UUID a\rb\r\n".utf8))
        XCTAssertEqual(h.codes(), [500], "bare CR")
        XCTAssertEqual(h.code("CLIENTID UUID ok"), 250, "none of those was a CLIENTID")
    }
}
