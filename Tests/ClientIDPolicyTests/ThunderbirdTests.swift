// D22: a Thunderbird-style client (EHLO, STARTTLS, EHLO, CLIENTID UUID <uuid>,
// AUTH PLAIN) gets through with the default policy; every policy of the engine
// can refuse it, and each refusal looks exactly like a wrong password (D18):
// same reply, same delay, and the CLIENTID itself still got 250 (D17).

import ClientIDPolicy
import ClientIDPolicyYAML
import SMTPSession
import XCTest

final class ThunderbirdTests: XCTestCase {
    private let uuid = "23bf83be-aad7-46aa-9e0f-39191ccf402f"

    func testThunderbirdPassesTheDefaultPolicy() {
        let f = PolicyFixture()
        let actions = converse(thunderbird(uuid: uuid), engine: f.engine).actions
        XCTAssertEqual(replies(actions).map(\.code), [220, 250, 220, 250, 250, 235, 250, 250, 354, 250, 221])
        XCTAssertTrue(actions.contains(.clientIdentified(ClientIdentity(type: "UUID", token: uuid))))
        XCTAssertTrue(actions.contains { if case .deliver(let e) = $0 { e.clientIdentity?.token == uuid } else { false } })
    }

    func testThunderbirdPassesTheExamplePolicy() throws {
        let f = PolicyFixture(try PolicyConfiguration.load(yamlFile: PolicyFileTests.examplePath))
        XCTAssertEqual(
            replies(converse(thunderbird(uuid: uuid), engine: f.engine).actions).map(\.code),
            [220, 250, 220, 250, 250, 235, 250, 250, 354, 250, 221])
    }

    /// A registry outage: the default policy needs no registry, so Thunderbird still sends
    /// (D22); a policy with device rules fails closed with a temporary failure (`454`),
    /// which Thunderbird reports and retries, rather than a `535` that says the password
    /// is wrong.
    func testARegistryOutageFollowsThePolicy() {
        let open = PolicyFixture(registry: FailingRegistry())
        XCTAssertEqual(
            replies(converse(thunderbird(uuid: uuid), engine: open.engine).actions).map(\.code),
            [220, 250, 220, 250, 250, 235, 250, 250, 354, 250, 221])

        var listed = PolicyConfiguration()
        listed.devices.mode = .listed
        listed.devices.accounts["test"] = [.init(type: "UUID", token: uuid)]
        let closed = PolicyFixture(listed, registry: FailingRegistry())
        let conversation = converse(thunderbird(uuid: uuid), engine: closed.engine)
        XCTAssertEqual(authAnswer(conversation.actions), [.send(Reply(454, "4.7.0", "Temporary authentication failure"))])
        XCTAssertEqual(conversation.decisions.map(\.rule), [.registryUnavailable])
    }

    /// The reference refusal: a wrong password.
    private func wrongPasswordAnswer() -> [Action] {
        authAnswer(converse(thunderbird(uuid: uuid, password: "wrong"), engine: PolicyFixture().engine).actions)
    }

    func testEveryPolicyRefusesLikeAWrongPassword() {
        let reference = wrongPasswordAnswer()
        XCTAssertEqual(
            reference,
            [.delay(Configuration().authFailureDelay), .send(Reply(535, "5.7.8", "Authentication credentials invalid"))])

        let other = ClientIdentity(type: "UUID", token: "6f1c2a9e-0b1d-4c55-9f0a-8d2e7b3c4a10")
        struct Case {
            let name: String
            let rule: PolicyRule
            let configure: (inout PolicyConfiguration) -> Void
            /// Earlier traffic that sets the policy up (e.g. learned devices).
            let before: (inout PolicyFixture) -> Void
        }
        let cases: [Case] = [
            Case(
                name: "requireClientID of another type", rule: .clientIDRequired,
                configure: {
                    $0.requireClientID.enabled = true; $0.requireClientID.types = ["LICENSE"]
                }, before: { _ in }),
            Case(name: "allowTypes", rule: .typeNotAllowed, configure: { $0.acl.allowTypes = ["TBIRD-UUID"] }, before: { _ in }),
            Case(name: "denyTypes", rule: .typeDenied, configure: { $0.acl.denyTypes = ["UUID"] }, before: { _ in }),
            Case(
                name: "allowTokens", rule: .tokenNotAllowed, configure: { $0.acl.allowTokens["UUID"] = ["x"] }, before: { _ in }),
            Case(
                name: "denyTokens", rule: .tokenDenied, configure: { [uuid] in $0.acl.denyTokens["UUID"] = [uuid] },
                before: { _ in }),
            Case(
                name: "temporary revocation", rule: .revoked,
                configure: { [uuid] in
                    $0.revocations = [.init(type: "UUID", token: uuid, until: Timestamp(secondsSinceEpoch: 1_900_000_000))]
                },
                before: { _ in }),
            Case(
                name: "permanent revocation", rule: .revoked,
                configure: { [uuid] in $0.revocations = [.init(type: "UUID", token: uuid)] }, before: { _ in }),
            Case(
                name: "listed devices", rule: .deviceNotListed,
                configure: {
                    $0.devices.mode = .listed; $0.devices.accounts["test"] = [.init(type: "UUID", token: other.token)]
                },
                before: { _ in }),
            Case(
                name: "learned devices", rule: .deviceNotLearned,
                configure: {
                    $0.devices.mode = .learn; $0.devices.maxDevices = 1
                },
                before: { f in _ = f.attempt("test", other) }),
            Case(
                name: "one token, many accounts", rule: .sharedToken,
                configure: { $0.sharedToken.maxAccounts = 1 },
                before: { [uuid] f in _ = f.attempt("bob@example.com", ClientIdentity(type: "UUID", token: uuid)) }),
            Case(
                name: "distant networks", rule: .distantNetworks,
                configure: { $0.distantNetworks.enabled = true },
                before: { [uuid] f in _ = f.attempt("test", ClientIdentity(type: "UUID", token: uuid), from: office) }),
            Case(
                name: "per-device AUTH failures", rule: .deviceFailureLimit,
                configure: { $0.limits.perDevice.maxAuthFailures = 2 },
                before: { [uuid] f in
                    for _ in 0..<2 {
                        _ = f.attempt("test", ClientIdentity(type: "UUID", token: uuid), valid: false, from: office)
                    }
                }),
            Case(
                name: "per-device connections", rule: .deviceConnectionLimit,
                configure: { $0.limits.perDevice.maxConnections = 1 },
                before: { [uuid] f in
                    _ = f.attempt("test", ClientIdentity(type: "UUID", token: uuid), from: office, keepOpen: true)
                }),
        ]
        for policyCase in cases {
            var configuration = PolicyConfiguration()
            policyCase.configure(&configuration)
            var f = PolicyFixture(configuration)
            policyCase.before(&f)
            let conversation = converse(thunderbird(uuid: uuid), engine: f.engine)
            let actions = conversation.actions
            let codes = replies(actions).map(\.code)
            XCTAssertEqual(Array(codes.prefix(5)), [220, 250, 220, 250, 250], "\(policyCase.name): CLIENTID got 250 (D17)")
            XCTAssertEqual(authAnswer(actions), reference, "\(policyCase.name): refused like a wrong password (D18)")
            XCTAssertFalse(replies(actions).contains { $0.description.lowercased().contains("policy") }, policyCase.name)
            // The rule that fired is in the audit log, and only there.
            XCTAssertEqual(conversation.decisions.map(\.rule), [policyCase.rule], policyCase.name)
            XCTAssertEqual(
                conversation.decisions.first?.events.first { $0.destination == .system }?.rule, policyCase.rule, policyCase.name)
        }
    }

    /// Refusing the CLIENTID itself is never policy's job (D17), and D6 is the only way to
    /// make the verb unknown.
    func testPolicyNeverTouchesTheClientIDReply() {
        var c = PolicyConfiguration()
        c.acl.denyTypes = ["UUID"]
        let f = PolicyFixture(c)
        let actions = converse(Array(thunderbird(uuid: uuid).prefix(4)), engine: f.engine).actions
        XCTAssertEqual(replies(actions).last, Reply(250, "2.0.0", "OK"))
    }
}
