// The one deployed CLIENTID client, end to end: Thunderbird (Debian's `thunderbird`;
// the send API used is 153.8.0esr's) sends through the server with `clientidEnabled` on
// its outgoing server (draft-storey-smtp-client-id-08 §4, §8.1), over STARTTLS and
// over implicit TLS, and a policy refusal reaches it as the generic 535 (D18).
// The server certificate comes from a throwaway CA that the profile trusts; nothing
// is accepted unvalidated. What the server saw is read from its audit events
// (`ServerConfiguration.auditObserver`), never from log text.
// Machinery: ThunderbirdSupport.swift. Skipped, naming the Debian package, when
// Thunderbird, certutil (libnss3-tools), openssl or python3 is missing; .ci/run sets
// CLIENTID_TEST_THUNDERBIRD_REQUIRED=1, which turns the skip into a failure.

import ClientIDPolicy
import ClientIDServer
import Foundation
import XCTest

final class ThunderbirdEndToEndTests: XCTestCase {
    /// The profile's `mail.smtpserver.smtp1.clientid`: a fixed UUID.
    static let clientID = "6a1f3c2e-9b47-4d85-a0e3-5c7d2b9f1e46"
    static let identity = ClientIdentity(type: "UUID", token: clientID)

    func testSendsThroughSTARTTLS() async throws {
        try await sendsAndIsStored(security: .startTLS)
    }

    func testSendsThroughImplicitTLS() async throws {
        try await sendsAndIsStored(security: .implicitTLS)
    }

    /// Draft §6.1 item 5: the account may only use its listed devices, and Thunderbird's
    /// UUID is not among them. Thunderbird sees the same `535 5.7.8` as for a wrong
    /// password (D18), asks the user what to do (answered Cancel), and reports the send
    /// as failed; nothing is stored; the server's audit event names the rule.
    func testUnlistedDeviceIsRefusedWithTheGeneric535() async throws {
        let policy = """
            devices:
              mode: listed
              accounts:
                alice:
                  - type: UUID
                    token: 0c4b8e21-7d3a-4f96-b5e0-2a9c6d1f8b73
                  - type: UUID
                    token: 93e5d7a0-1b2c-4e8f-a6d4-7f0b3c5e9a12

            """
        let run = try await ThunderbirdRun.prepare(self, security: .startTLS, clientID: Self.clientID, policy: policy)
        let result = try await run.send(to: "bob@example.net", subject: "Refused by policy", body: "Never stored.\n")
        let summary = result.summary

        XCTAssertFalse(result.succeeded, summary)
        XCTAssertNotEqual(result.status, 0, summary)
        XCTAssertTrue(result.transcript.contains("S: 535 5.7.8 Authentication credentials invalid"), summary)
        XCTAssertFalse(result.transcript.contains { $0.hasPrefix("S: 235") }, summary)
        // What the user sees: the login failure question, then the send error.
        XCTAssertEqual(result.dialogs.count, 2, summary)
        XCTAssertEqual(result.dialogs.first, "Login to server 127.0.0.1 with username alice failed.", summary)
        XCTAssertTrue(result.dialogs.last?.hasPrefix("Sending of the message failed.") == true, summary)

        XCTAssertEqual(run.server.messages(), [], "nothing stored")
        XCTAssertEqual(run.server.messages("tmp"), [], "nothing left in tmp/")

        let fingerprint = try run.deviceFingerprint(Self.identity)
        let events = run.audit.all
        let refusals = events.filter { $0.event.destination == .system && $0.event.kind == .authenticationFailed }
        XCTAssertFalse(refusals.isEmpty, "\(events)")
        for refusal in refusals {
            XCTAssertEqual(refusal.event.rule, .deviceNotListed, "\(refusal)")
            XCTAssertEqual(refusal.event.account, "alice")
            XCTAssertEqual(refusal.event.identityType, "UUID")
            XCTAssertEqual(refusal.event.deviceFingerprint, fingerprint)
            XCTAssertTrue(refusal.encrypted)
        }
        XCTAssertFalse(events.contains { $0.event.kind == .authenticationSucceeded }, "\(events)")
    }

    /// The message goes out with `CLIENTID UUID <clientID>` after TLS and before AUTH,
    /// AUTH succeeds, and the Maildir holds Thunderbird's own message.
    private func sendsAndIsStored(security: Thunderbird.Security) async throws {
        let run = try await ThunderbirdRun.prepare(self, security: security, clientID: Self.clientID)
        let subject = "CLIENTID end to end (\(security == .startTLS ? "STARTTLS" : "implicit TLS"))"
        let result = try await run.send(
            to: "Bob Example <bob@example.net>", subject: subject, body: "Sent by Thunderbird with CLIENTID.\n")
        let summary = result.summary

        // Thunderbird read the profile as written, and reported success without a dialog.
        XCTAssertEqual(
            result.outgoingServer,
            .init(
                hostname: "127.0.0.1", port: run.profile.port, socketType: security.rawValue, authMethod: 3,
                clientidEnabled: true, clientid: Self.clientID), summary)
        XCTAssertTrue(result.succeeded, summary)
        XCTAssertEqual(result.dialogs, [], summary)
        let transcript = result.transcript
        XCTAssertTrue(transcript.contains { $0.hasPrefix("S: 235 ") }, summary)
        XCTAssertTrue(transcript.contains { $0.hasPrefix("S: 250 2.0.0 OK queued as ") }, summary)
        XCTAssertEqual(transcript.contains("C: STARTTLS"), security == .startTLS, summary)

        // The server's side, from its audit events: one connection, CLIENTID accepted on
        // it under TLS, then AUTH with that identity accepted.
        let fingerprint = try run.deviceFingerprint(Self.identity)
        let events = run.audit.all.filter { $0.event.destination == .system }
        let identified = events.firstIndex { $0.event.kind == .clientIdentified }
        let authenticated = events.firstIndex { $0.event.kind == .authenticationSucceeded }
        guard let identified, let authenticated else {
            return XCTFail("expected client-identified, then auth-succeeded: \(events)\n\(summary)")
        }
        XCTAssertLessThan(identified, authenticated, "CLIENTID before AUTH: \(events)")
        for index in [identified, authenticated] {
            let record = events[index]
            XCTAssertEqual(record.connection, events[authenticated].connection, "one connection: \(events)")
            XCTAssertTrue(record.encrypted, "after TLS: \(record)")
            XCTAssertEqual(record.event.identityType, "UUID", "\(record)")
            XCTAssertEqual(record.event.deviceFingerprint, fingerprint, "the profile's UUID: \(record)")
        }
        XCTAssertEqual(events[authenticated].event.account, "alice")
        XCTAssertNil(events[authenticated].event.rule)
        XCTAssertFalse(events.contains { $0.event.kind == .authenticationFailed }, "\(events)")

        // The message as Thunderbird composed it, after the server's trace header.
        let files = run.server.messages()
        XCTAssertEqual(files.count, 1, summary)
        XCTAssertEqual(run.server.messages("tmp"), [])
        guard let file = files.first, let messageID = result.messageId else { return }
        let message = try String(contentsOf: file, encoding: .utf8)
        // Thunderbird's EHLO argument is its address literal.
        let trace = "Received: from [127.0.0.1] ([127.0.0.1])\r\n\tby server.example.com (clientid-server) with ESMTPSA id "
        XCTAssertTrue(message.hasPrefix(trace), message)
        XCTAssertTrue(message.contains("\r\n\tfor <bob@example.net>; "), message)
        let bracketed = messageID.hasPrefix("<") ? messageID : "<\(messageID)>"
        for header in [
            "Message-ID: \(bracketed)", "MIME-Version: 1.0", "From: Alice Example <alice@example.com>",
            "To: Bob Example <bob@example.net>", "Subject: \(subject)",
            "Content-Type: text/plain; charset=UTF-8; format=flowed",
        ] {
            XCTAssertTrue(message.contains("\r\n\(header)\r\n"), "\(header) in:\n\(message)")
        }
        XCTAssertTrue(bracketed.hasSuffix("@example.com>"), "Thunderbird's Message-ID from the From domain: \(bracketed)")
        // Thunderbird's brand name: mailnews.headers.useMinimalUserAgent is on by default.
        let userAgent = message.components(separatedBy: "\r\n").first { $0.hasPrefix("User-Agent: ") }
        XCTAssertEqual(userAgent?.contains("Thunderbird"), true, "User-Agent: \(userAgent ?? "none")")
        XCTAssertTrue(message.hasSuffix("\r\n\r\nSent by Thunderbird with CLIENTID.\r\n"), message)
        XCTAssertFalse(message.contains(Self.clientID), "the CLIENTID token never goes into the message (D20)")
    }
}
