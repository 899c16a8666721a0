// D19, D20: what reaches which log, per the type's draft §7 flags. The raw token
// only where a flag allows it; the rule only in the operator's records.

import ClientIDPolicy
import XCTest

final class AuditTests: XCTestCase {
    private func fixture(_ flags: ClientIDTypeFlags) -> PolicyFixture {
        var c = PolicyConfiguration()
        c.types.known["UUID"] = flags
        return PolicyFixture(c)
    }

    private let identity = ClientIdentity(type: "UUID", token: "secret-token-1")

    func testSystemLogCarriesTheTokenOnlyWithItsFlag() {
        var with = fixture([.systemLog, .authentication])
        let a = with.attempt("test", identity)
        XCTAssertEqual(a.events.map(\.destination), [.system])
        XCTAssertEqual(a.events[0].token, identity.token)
        XCTAssertEqual(a.events[0].identityType, "UUID")

        var without = fixture([.authentication])
        let b = without.attempt("test", identity)
        XCTAssertNil(b.events[0].token, "D20: no flag, no token")
        XCTAssertEqual(b.events[0].deviceFingerprint, testKeys.key(for: identity).fingerprint)
        XCTAssertFalse(b.events.map(\.description).joined().contains(identity.token))
    }

    func testUserLogDebugAndAlerts() {
        var f = fixture([.userLog, .authentication, .alertOnFailure, .alertOnSuccess])
        let ok = f.attempt("test", identity)
        XCTAssertEqual(ok.events.map(\.destination), [.system, .user, .alert])
        XCTAssertEqual(ok.events[1].token, identity.token, "user log: the account holder's own device")
        XCTAssertNil(ok.events[2].token, "alerts never carry the token")
        let failed = f.attempt("test", identity, valid: false)
        XCTAssertEqual(failed.events.map(\.destination), [.system, .user, .alert])
        XCTAssertEqual(failed.events[0].rule, .invalidCredentials, "the operator sees the rule")
        XCTAssertNil(failed.events[1].rule, "the account holder does not")
        XCTAssertEqual(failed.events[2].kind, .authenticationFailed)

        var d = fixture([.debug])
        XCTAssertEqual(d.attempt("test", identity).events.map(\.destination), [.system, .debug])
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
        let f = fixture([.systemLog, .authentication])
        _ = f.engine.connectionOpened(ConnectionID(1), address: home)
        let events = f.engine.clientIdentified(ConnectionID(1), identity: identity)
        XCTAssertEqual(events.map(\.kind), [.clientIdentified])
        XCTAssertEqual(events[0].token, identity.token)
        XCTAssertEqual(events[0].address, home)
    }

    func testIdentityDescriptionWithholdsTheToken() {
        XCTAssertEqual("\(identity)", "UUID <token withheld>")
    }
}
