// One test per MUST of draft-storey-smtp-client-id-08 §2–§4, named after it. Each
// one fails when its rule is broken.

import ClientIDPolicy
import SMTPSession
import XCTest

final class DraftMustTests: XCTestCase {
    private func ehloKeywords(_ h: inout Harness) -> [String] {
        _ = h.takeActions()
        h.send("EHLO client.example.net")
        let replies = h.replies()
        XCTAssertEqual(replies.count, 1)
        return Array(replies.first?.lines.dropFirst() ?? [])
    }

    /// §2 item 3: "The CLIENTID keyword has no parameters."
    func test_MUST_2_3_keywordHasNoParameters() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(ehloKeywords(&h).filter { $0.hasPrefix("CLIENTID") }, ["CLIENTID"])
    }

    /// §3 item 1: MUST NOT advertise CLIENTID when support is not enabled (D6).
    func test_MUST_3_1_noKeywordWhenDisabled() {
        for implicitTLS in [false, true] {
            var c = Harness.defaultConfiguration
            c.clientIDEnabled = false
            c.implicitTLS = implicitTLS
            var h = Harness(c)
            XCTAssertFalse(ehloKeywords(&h).contains("CLIENTID"))
            if !implicitTLS {
                h.send("STARTTLS")
                h.tlsEstablished()
                XCTAssertFalse(ehloKeywords(&h).contains("CLIENTID"))
            }
        }
    }

    /// §3 item 2: MUST NOT advertise CLIENTID on a connection that is not encrypted (D7).
    func test_MUST_3_2_noKeywordBeforeTLS() {
        var h = Harness()
        XCTAssertFalse(ehloKeywords(&h).contains("CLIENTID"))
        XCTAssertFalse(ehloKeywords(&h).contains("CLIENTID"), "nor on a second plaintext EHLO")
        h.send("STARTTLS")
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.codes(), [220], "nor during the handshake: plaintext then is never answered (D13)")
    }

    /// §3 item 3: MUST advertise CLIENTID in all EHLO responses once encrypted (D15, D16).
    func test_MUST_3_3_keywordInEveryEHLOOverTLS() {
        var h = Harness()
        h.send("EHLO client.example.net")
        h.send("STARTTLS")
        h.tlsEstablished()
        XCTAssertTrue(ehloKeywords(&h).contains("CLIENTID"), "first EHLO over TLS")
        h.send("CLIENTID UUID x")
        XCTAssertTrue(ehloKeywords(&h).contains("CLIENTID"), "after a CLIENTID was accepted (D15)")
        h.authPlain(outcome: .rejected)
        XCTAssertTrue(ehloKeywords(&h).contains("CLIENTID"), "after a failed AUTH")
        h.authPlain(outcome: .accepted)
        XCTAssertTrue(ehloKeywords(&h).contains("CLIENTID"), "after a successful AUTH")

        var c = Harness.defaultConfiguration
        c.implicitTLS = true
        var implicit = Harness(c)
        XCTAssertTrue(ehloKeywords(&implicit).contains("CLIENTID"), "implicit TLS counts from the first byte (D16)")
    }

    /// §4: client-id-type MUST be 1 to 16 of alphanumeric and "-"; the server rejects others with 501.
    func test_MUST_4_typeSyntaxIsEnforced() {
        for (type, code) in [
            ("A", 250), ("a-1", 250), (String(repeating: "Z", count: 16), 250),
            (String(repeating: "Z", count: 17), 501), ("DEVICE_ID", 501), ("U.UID", 501), ("", 501),
        ] {
            var h = Harness()
            h.startTLSAndEHLO()
            XCTAssertEqual(h.code("CLIENTID \(type) token"), code, "type \(type)")
        }
    }

    /// §4: client-id-token MUST be 1 to 128 printable characters (VCHAR, D2); others get 501.
    func test_MUST_4_tokenSyntaxIsEnforced() {
        for (token, code) in [
            ("!", 250), ("~", 250), (String(repeating: "x", count: 128), 250),
            (String(repeating: "x", count: 129), 501), ("a b", 501), ("", 501), ("caf\u{E9}", 501),
        ] {
            var h = Harness()
            h.startTLSAndEHLO()
            XCTAssertEqual(h.code("CLIENTID UUID \(token)"), code, "token \(token)")
        }
        var h = Harness()
        h.startTLSAndEHLO()
        h.sendRaw(Array("CLIENTID UUID a\0b\r\n".utf8))
        XCTAssertEqual(h.codes(), [501], "NUL (D5)")
    }

    /// §4: the server MUST reject any CLIENTID sent before the connection is encrypted with 500 (D7).
    func test_MUST_4_500BeforeEncryption() {
        var h = Harness()
        XCTAssertEqual(h.code("CLIENTID UUID x"), 500)
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.code("CLIENTID UUID x"), 500)
        XCTAssertEqual(h.code("CLIENTID UUID"), 500, "even when malformed")
        XCTAssertNil(h.session.clientIdentity)
    }

    /// §4: the server MUST reject a CLIENTID before it advertised the keyword via EHLO (D8).
    func test_MUST_4_rejectBeforeAdvertised() {
        var h = Harness()
        h.send("EHLO client.example.net")
        h.send("STARTTLS")
        h.tlsEstablished()
        _ = h.takeActions()
        XCTAssertEqual(h.code("CLIENTID UUID x"), 503, "TLS, no EHLO yet")
        h.send("HELO client.example.net")
        XCTAssertEqual(h.code("CLIENTID UUID x"), 503, "HELO advertises nothing")
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.code("CLIENTID UUID x"), 250)
    }

    /// §4: the server MUST reject a CLIENTID that is not well formatted with 501 (D11).
    func test_MUST_4_501WhenMalformed() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("CLIENTID MAC"), 501)
        XCTAssertEqual(h.code("CLIENTID MAC 08:9e:01:70:f6:46"), 250, "a malformed CLIENTID is not a successful one")
    }

    /// §4: the server MUST reject every CLIENTID after a successful one in the same session with 503 (D9).
    func test_MUST_4_503AfterSuccessfulClientID() {
        var h = Harness()
        h.startTLSAndEHLO()
        XCTAssertEqual(h.code("CLIENTID UUID first"), 250)
        XCTAssertEqual(h.code("CLIENTID UUID second"), 503)
        h.send("RSET")
        XCTAssertEqual(h.code("CLIENTID UUID second"), 503, "RSET does not end the session")
        h.send("EHLO client.example.net")
        XCTAssertEqual(h.code("CLIENTID UUID second"), 503, "a new EHLO does not end the session")
        XCTAssertEqual(h.code("CLIENTID UUID"), 503, "nor is a malformed one answered 501 first")
        XCTAssertEqual(h.session.clientIdentity?.token, "first")
    }

    /// §4: the server MUST reject any CLIENTID after receiving an AUTH command with 503 (D10).
    func test_MUST_4_503AfterAuth() {
        for outcome in [AuthenticationOutcome.accepted, .rejected, .temporaryFailure] {
            var h = Harness()
            h.startTLSAndEHLO()
            h.authPlain(outcome: outcome)
            XCTAssertEqual(h.code("CLIENTID UUID x"), 503, "after \(outcome)")
        }
        var h = Harness()
        h.startTLSAndEHLO()
        h.send("AUTH PLAIN")
        h.send("*")
        XCTAssertEqual(h.code("CLIENTID UUID x"), 503, "after a cancelled AUTH")
    }

    /// §4: the server MUST discard CLIENTID information after a reset to the initial state
    /// (a SASL security layer, D14; STARTTLS, D13).
    func test_MUST_4_discardOnSecurityLayerReset() {
        var c = Harness.defaultConfiguration
        c.implicitTLS = true
        var h = Harness(c)
        h.send("EHLO client.example.net")
        h.send("CLIENTID UUID x")
        XCTAssertNotNil(h.session.clientIdentity)
        _ = h.takeActions()
        h.authPlain(outcome: .acceptedWithSecurityLayer)
        XCTAssertTrue(h.takeActions().contains(.clientIdentityDiscarded))
        XCTAssertNil(h.session.clientIdentity)
        h.send("EHLO client.example.net")
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        h.send("BDAT 0 LAST")
        let envelopes = h.takeActions().compactMap { if case .deliver(let e) = $0 { e } else { nil } }
        XCTAssertEqual(envelopes.count, 1)
        XCTAssertNil(envelopes.first?.clientIdentity, "the message does not carry the discarded identity")
        XCTAssertEqual(envelopes.first?.authenticatedUser, "test", "the authentication stays")
    }

    func test_MUST_4_discardOnStartTLS() {
        // CLIENTID needs TLS and STARTTLS needs plaintext, so what STARTTLS must
        // discard is everything else the client established, and what it sent behind it (D13).
        var c = Harness.defaultConfiguration
        c.requireAuthentication = false
        var h = Harness(c)
        _ = h.takeActions()
        h.send("EHLO client.example.net")
        h.send("MAIL FROM:<a@example.net>")
        h.sendRaw(Array("STARTTLS\r\nCLIENTID UUID smuggled\r\nRCPT TO:<b@example.com>\r\n".utf8))
        XCTAssertEqual(h.codes(), [250, 250, 220])
        h.tlsEstablished()
        XCTAssertFalse(h.session.inTransaction)
        XCTAssertNil(h.session.clientIdentity)
        XCTAssertEqual(h.code("RCPT TO:<b@example.com>"), 503, "the MAIL before STARTTLS is forgotten")
        XCTAssertEqual(h.code("CLIENTID UUID x"), 503, "no EHLO on this TLS session yet (D8)")
    }
}
