// D19, D20: what reaches which log, per the type's draft §7 flags. The raw token
// only when the operator opted in (privacy.logRawTokens) and a flag allows it; the
// rule only in the operator's records.

import ClientIDPolicy
import XCTest

final class AuditTests: XCTestCase {
    private func fixture(_ flags: ClientIDTypeFlags, logRawTokens: Bool = false) -> PolicyFixture {
        var c = PolicyConfiguration()
        c.types.known["UUID"] = flags
        c.privacy.logRawTokens = logRawTokens
        return PolicyFixture(c)
    }

    private let identity = ClientIdentity(type: "UUID", token: "secret-token-1")

    /// Draft §9: by default no event carries the raw token, whatever the flags; the
    /// fingerprint stands for the device.
    func testNoRawTokenUnlessOptedIn() {
        var f = fixture([.debug, .systemLog, .userLog, .alertOnFailure, .alertOnSuccess])
        _ = f.engine.connectionOpened(ConnectionID(500), address: home)
        let identified = f.engine.clientIdentified(ConnectionID(500), identity: identity)
        let events = identified + f.attempt("test", identity).events + f.attempt("test", identity, valid: false).events
        XCTAssertEqual(Set(events.map(\.destination)), [.system, .user, .debug, .alert])
        XCTAssertEqual(events.compactMap(\.token), [])
        XCTAssertTrue(events.allSatisfy { $0.deviceFingerprint == testKeys.key(for: identity).fingerprint })
        XCTAssertFalse(events.map(\.description).joined().contains(identity.token))
    }

    func testSystemLogCarriesTheTokenOnlyWithItsFlagWhenOptedIn() {
        var with = fixture([.systemLog, .authentication], logRawTokens: true)
        let a = with.attempt("test", identity)
        XCTAssertEqual(a.events.map(\.destination), [.system])
        XCTAssertEqual(a.events[0].token, identity.token)
        XCTAssertEqual(a.events[0].identityType, "UUID")

        var without = fixture([.authentication], logRawTokens: true)
        let b = without.attempt("test", identity)
        XCTAssertNil(b.events[0].token, "D20: no flag, no token")
        XCTAssertEqual(b.events[0].deviceFingerprint, testKeys.key(for: identity).fingerprint)
        XCTAssertFalse(b.events.map(\.description).joined().contains(identity.token))
    }

    func testUserLogDebugAndAlerts() {
        var f = fixture([.userLog, .authentication, .alertOnFailure, .alertOnSuccess], logRawTokens: true)
        let ok = f.attempt("test", identity)
        XCTAssertEqual(ok.events.map(\.destination), [.system, .user, .alert])
        XCTAssertNil(ok.events[0].token, "no system-log flag")
        XCTAssertEqual(ok.events[1].token, identity.token, "user log: the account holder's own device")
        XCTAssertNil(ok.events[2].token, "alerts never carry the token")
        let failed = f.attempt("test", identity, valid: false)
        XCTAssertEqual(failed.events.map(\.destination), [.system, .user, .alert])
        XCTAssertEqual(failed.events[0].rule, .invalidCredentials, "the operator sees the rule")
        XCTAssertNil(failed.events[1].rule, "the account holder does not")
        XCTAssertEqual(failed.events[2].kind, .authenticationFailed)

        var d = fixture([.debug], logRawTokens: true)
        let debug = d.attempt("test", identity).events
        XCTAssertEqual(debug.map(\.destination), [.system, .debug])
        XCTAssertEqual(debug.map(\.token), [nil, identity.token])
    }

    func testIgnoredTypesLeaveNoTrace() {
        var f = fixture([.ignore, .systemLog, .authentication])
        let decision = f.attempt("test", identity)
        XCTAssertTrue(decision.allowed)
        XCTAssertEqual(decision.events.count, 1)
        XCTAssertNil(decision.events[0].identityType)
        XCTAssertNil(decision.events[0].deviceFingerprint)
        XCTAssertEqual(try f.registry.count(), 0, "flag 1: no persistence")
        XCTAssertEqual(f.engine.clientIdentified(ConnectionID(77), identity: identity), [])
    }

    func testClientIdentifiedEvent() {
        for logRawTokens in [false, true] {
            let f = fixture([.systemLog, .authentication], logRawTokens: logRawTokens)
            _ = f.engine.connectionOpened(ConnectionID(1), address: home)
            let events = f.engine.clientIdentified(ConnectionID(1), identity: identity)
            XCTAssertEqual(events.map(\.kind), [.clientIdentified])
            XCTAssertEqual(events[0].token, logRawTokens ? identity.token : nil)
            XCTAssertEqual(events[0].deviceFingerprint, testKeys.key(for: identity).fingerprint)
            XCTAssertEqual(events[0].address, home)
        }
    }

    /// A reloaded policy applies to the next events (the server reloads on SIGHUP).
    func testPrivacySettingFollowsTheReloadedPolicy() {
        var f = fixture([.systemLog, .authentication])
        XCTAssertNil(f.attempt("test", identity).events[0].token)
        var opted = f.engine.configuration
        opted.privacy.logRawTokens = true
        f.engine.update(configuration: opted)
        XCTAssertEqual(f.attempt("test", identity).events[0].token, identity.token)
    }

    func testIdentityDescriptionWithholdsTheToken() {
        XCTAssertEqual("\(identity)", "UUID <token withheld>")
    }
}
