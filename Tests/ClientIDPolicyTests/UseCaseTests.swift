// Draft §6.3 use cases 1–8, one scenario each, plus the other rules of §6.1.

import ClientIDPolicy
import XCTest

final class UseCaseTests: XCTestCase {
    let laptop = ClientIdentity(type: "UUID", token: "23bf83be-aad7-46aa-9e0f-39191ccf402f")
    let phone = ClientIdentity(type: "UUID", token: "6f1c2a9e-0b1d-4c55-9f0a-8d2e7b3c4a10")
    let stranger = ClientIdentity(type: "UUID", token: "deadbeef-0000-4000-8000-000000000000")

    /// Use case 1: an account may be used only from its listed devices.
    func testUseCase1RestrictAccountToItsDevices() {
        var c = PolicyConfiguration()
        c.devices.mode = .listed
        c.devices.accounts["alice@example.com"] = [.init(type: "uuid", token: laptop.token)]
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("alice@example.com", laptop).allowed)
        XCTAssertTrue(
            f.attempt("alice@example.com", ClientIdentity(type: "Uuid", token: laptop.token)).allowed, "D3: type folded")
        XCTAssertEqual(
            f.attempt("alice@example.com", ClientIdentity(type: "UUID", token: laptop.token.uppercased())).rule,
            .deviceNotListed, "D3: token compared byte for byte")
        XCTAssertEqual(f.attempt("alice@example.com", phone).rule, .deviceNotListed)
        XCTAssertEqual(f.attempt("alice@example.com", nil).rule, .deviceNotListed)
        XCTAssertTrue(f.attempt("bob@example.com", phone).allowed, "accounts not listed are not restricted")
        XCTAssertTrue(f.attempt("bob@example.com", nil).allowed)
    }

    /// Use case 2: one device used for many accounts is refused.
    func testUseCase2OneTokenForManyAccounts() {
        var c = PolicyConfiguration()
        c.sharedToken.maxAccounts = 2
        c.sharedToken.window = .hours(24)
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("a@example.com", stranger).allowed)
        XCTAssertTrue(f.attempt("b@example.com", stranger).allowed)
        XCTAssertTrue(f.attempt("a@example.com", stranger).allowed, "the same accounts again")
        XCTAssertEqual(f.attempt("c@example.com", stranger).rule, .sharedToken)
        XCTAssertEqual(
            f.attempt("d@example.com", stranger, valid: false).rule, .invalidCredentials,
            "wrong passwords for more accounts count too (the first failing rule is reported)")
        XCTAssertTrue(f.attempt("c@example.com", laptop).allowed, "other devices are not affected")
        f.clock.advance(by: .hours(25))
        XCTAssertTrue(f.attempt("c@example.com", stranger).allowed, "outside the window")
    }

    /// Use case 3: an account learns its devices, then only those may authenticate.
    func testUseCase3LearnDevicesThenRestrict() {
        var c = PolicyConfiguration()
        c.devices.mode = .learn
        c.devices.maxDevices = 2
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", nil).allowed, "no device yet: not restricted")
        XCTAssertEqual(f.attempt("test", stranger, valid: false).rule, .invalidCredentials)
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        let learned = f.attempt("test", phone)
        XCTAssertTrue(learned.allowed)
        XCTAssertTrue(learned.events.contains { $0.kind == .deviceLearned })
        XCTAssertEqual(f.attempt("test", stranger).rule, .deviceNotLearned, "full: a third device is refused")
        XCTAssertEqual(f.attempt("test", nil).rule, .deviceNotLearned, "and so is no device")
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        XCTAssertTrue(f.attempt("other", stranger).allowed, "learning is per account")
    }

    func testUseCase3LearningPeriod() {
        var c = PolicyConfiguration()
        c.devices.mode = .learn
        c.devices.learningPeriod = .days(7)
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        f.clock.advance(by: .days(6))
        XCTAssertTrue(f.attempt("test", phone).allowed, "within the period")
        f.clock.advance(by: .days(2))
        XCTAssertEqual(f.attempt("test", stranger).rule, .deviceNotLearned, "after the period")
        XCTAssertTrue(f.attempt("test", phone).allowed)
    }

    /// Use case 4: a licence key established outside SMTP is required.
    func testUseCase4LicenceKeyRequired() {
        var c = PolicyConfiguration()
        c.requireClientID.enabled = true
        c.requireClientID.types = ["LICENSE"]
        c.acl.allowTokens["LICENSE"] = ["BB-1234"]
        var f = PolicyFixture(c)
        XCTAssertEqual(f.attempt("test", nil).rule, .clientIDRequired)
        XCTAssertEqual(f.attempt("test", laptop).rule, .clientIDRequired, "another type")
        XCTAssertEqual(f.attempt("test", ClientIdentity(type: "LICENSE", token: "BB-9999")).rule, .tokenNotAllowed)
        XCTAssertTrue(f.attempt("test", ClientIdentity(type: "license", token: "BB-1234")).allowed)
    }

    /// Use case 5: clients with an identity are treated differently from those without;
    /// which identities count is the type's flags (D19).
    func testUseCase5WithAndWithoutIdentity() {
        var c = PolicyConfiguration()
        c.requireClientID.enabled = true
        c.types.known["MAC"] = [.ignore]
        c.types.known["COOKIE"] = [.debug, .authentication]
        c.types.known["SERIAL"] = [.systemLog]
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        XCTAssertEqual(f.attempt("test", nil).rule, .clientIDRequired)
        XCTAssertEqual(
            f.attempt("test", ClientIdentity(type: "MAC", token: "08:9e:01:70:f6:46")).rule, .clientIDRequired,
            "flag 1: treated as not presented")
        XCTAssertEqual(
            f.attempt("test", ClientIdentity(type: "COOKIE", token: "c")).rule, .clientIDRequired,
            "flag 2 wins over flag 5")
        XCTAssertEqual(
            f.attempt("test", ClientIdentity(type: "SERIAL", token: "s")).rule, .clientIDRequired,
            "without flag 5 it is not used for authentication")
        XCTAssertTrue(
            f.attempt("test", ClientIdentity(type: "NEWTYPE", token: "n")).allowed, "unknown types get the default flags")
    }

    /// Use case 6: limits per device behind one shared address, without blocking the others (D21).
    func testUseCase6PerDeviceLimitsBehindSharedAddress() {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxAuthFailures = 3
        c.limits.perDevice.window = .minutes(15)
        c.limits.perIP.maxAuthFailures = 10
        var f = PolicyFixture(c)
        for _ in 0..<3 { XCTAssertFalse(f.attempt("test", stranger, valid: false).allowed) }
        XCTAssertEqual(f.attempt("test", stranger).rule, .deviceFailureLimit, "right password, blocked device")
        XCTAssertTrue(f.attempt("alice@example.com", laptop).allowed, "another device on the same address")
        f.clock.advance(by: .minutes(16))
        XCTAssertTrue(f.attempt("test", stranger).allowed, "the window passed")
    }

    func testUseCase6PerDeviceConnections() {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxConnections = 2
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", laptop, keepOpen: true).allowed)
        XCTAssertTrue(f.attempt("test", laptop, keepOpen: true).allowed)
        XCTAssertEqual(f.attempt("test", laptop).rule, .deviceConnectionLimit)
        XCTAssertTrue(f.attempt("test", phone).allowed)
    }

    /// D21: the per-IP limit still applies to every device: a token is only a claim.
    func testPerIPLimitsApplyWhateverTheDevice() {
        var c = PolicyConfiguration()
        c.limits.perIP.maxAuthFailures = 3
        c.limits.perDevice.maxAuthFailures = 100
        var f = PolicyFixture(c)
        for n in 0..<3 { XCTAssertFalse(f.attempt("test", uuid(n), valid: false).allowed) }
        XCTAssertEqual(f.engine.admission(address: home), .lockedOut(delay: .seconds(8)), "checked no more")
        let raced = f.attempt("test", uuid(99))
        XCTAssertEqual(raced.rule, .ipFailureLimit, "a fresh token does not reset the address")
        XCTAssertEqual(raced.verdict, .tooManyFailures)
        XCTAssertTrue(f.attempt("test", uuid(99), from: office).allowed)
        XCTAssertEqual(f.engine.admission(address: office), .check)

        // Connections per address are refused at connect, before the greeting.
        var d = PolicyConfiguration()
        d.limits.perIP.maxConnections = 1
        var g = PolicyFixture(d)
        XCTAssertTrue(g.attempt("test", laptop, keepOpen: true).allowed)
        XCTAssertEqual(g.engine.connectionOpened(ConnectionID(999), address: home), .tooManyFromAddress)
        XCTAssertEqual(g.engine.connectionOpened(ConnectionID(998), address: office), .accepted)
        g.engine.connectionClosed(ConnectionID(999))  // refused, never counted: closing it changes nothing
        XCTAssertEqual(g.engine.connectionOpened(ConnectionID(997), address: home), .tooManyFromAddress)
    }

    /// Use case 7 / draft §6.2 item 4: one device cannot be on two distant networks at once.
    func testUseCase7DistantNetworks() {
        var c = PolicyConfiguration()
        c.distantNetworks.enabled = true
        c.distantNetworks.window = .hours(1)
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", laptop, from: home).allowed)
        XCTAssertTrue(f.attempt("test", laptop, from: IPAddress("192.0.2.200")!).allowed, "same /24")
        XCTAssertEqual(f.attempt("test", laptop, from: office).rule, .distantNetworks)
        f.clock.advance(by: .minutes(61))
        XCTAssertTrue(f.attempt("test", laptop, from: office).allowed, "travel takes time")

        XCTAssertTrue(f.attempt("test", phone, from: IPAddress("2001:db8:1:2::10")!).allowed)
        XCTAssertTrue(f.attempt("test", phone, from: IPAddress("2001:db8:1:2:ffff::1")!).allowed, "same /64")
        XCTAssertEqual(f.attempt("test", phone, from: IPAddress("2001:db8:1:3::10")!).rule, .distantNetworks)
    }

    /// Use case 7: a distributed dictionary attack with one forged token is seen across accounts
    /// and addresses.
    func testUseCase7DistributedDictionaryAttack() {
        var c = PolicyConfiguration()
        c.sharedToken.maxAccounts = 3
        c.limits.perDevice.maxAuthFailures = 5
        var f = PolicyFixture(c)
        for n in 0..<20 {
            let address = IPAddress("203.0.113.\(n)")!
            _ = f.attempt("user\(n)@example.com", stranger, valid: false, from: address)
        }
        let decision = f.attempt("victim@example.com", stranger, from: IPAddress("203.0.113.99")!)
        XCTAssertFalse(decision.allowed, "even with the right password")
        XCTAssertTrue(f.attempt("victim@example.com", laptop).allowed)
    }

    /// Use case 8: the token as a third factor: password and device are both needed.
    func testUseCase8ThirdFactor() {
        var c = PolicyConfiguration()
        c.devices.mode = .listed
        c.devices.accounts["test"] = [.init(type: "UUID", token: laptop.token)]
        var f = PolicyFixture(c)
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        XCTAssertEqual(f.attempt("test", laptop, valid: false).rule, .invalidCredentials)
        XCTAssertEqual(f.attempt("test", phone).rule, .deviceNotListed)
        XCTAssertFalse(f.attempt("test", phone, valid: false).allowed)
    }

    /// Draft §6.1 items 2-4: type and token lists, revocations.
    func testListsAndRevocations() {
        var c = PolicyConfiguration()
        c.acl.denyTypes = ["DEVICE-ID"]
        c.acl.denyTokens["UUID"] = [stranger.token]
        c.revocations = [
            .init(type: "UUID", token: phone.token, until: Timestamp(secondsSinceEpoch: 1_800_000_000 + 3600)),
            .init(type: "LICENSE"),
        ]
        var f = PolicyFixture(c)
        XCTAssertEqual(f.attempt("test", ClientIdentity(type: "device-id", token: "x")).rule, .typeDenied)
        XCTAssertEqual(f.attempt("test", stranger).rule, .tokenDenied)
        XCTAssertEqual(f.attempt("test", phone).rule, .revoked, "temporary revocation")
        XCTAssertEqual(f.attempt("test", ClientIdentity(type: "LICENSE", token: "any")).rule, .revoked, "permanent, whole type")
        XCTAssertTrue(f.attempt("test", laptop).allowed)
        f.clock.advance(by: .hours(2))
        XCTAssertTrue(f.attempt("test", phone).allowed, "the revocation expired")

        var a = PolicyConfiguration()
        a.acl.allowTypes = ["TBIRD-UUID"]
        var g = PolicyFixture(a)
        XCTAssertEqual(g.attempt("test", laptop).rule, .typeNotAllowed)
        XCTAssertTrue(g.attempt("test", ClientIdentity(type: "TBIRD-UUID", token: "x")).allowed)
        XCTAssertTrue(g.attempt("test", nil).allowed, "the type lists apply to presented identities")
    }

    /// D22: the default policy refuses nobody whose password is right.
    func testDefaultPolicyRefusesNobody() {
        var f = PolicyFixture()
        for n in 0..<50 {
            XCTAssertTrue(f.attempt("user\(n % 7)", n % 3 == 0 ? nil : uuid(n % 5), from: n % 2 == 0 ? home : office).allowed)
        }
        XCTAssertEqual(f.attempt("test", laptop, valid: false).rule, .invalidCredentials)
    }

    /// A registry that fails gives a temporary failure, never an acceptance.
    /// A registry outage refuses only what needs the registry: the default policy
    /// decides without it (and says it failed, for the log); a policy with device rules
    /// fails closed with a temporary failure (454).
    func testRegistryOutageFollowsThePolicy() {
        var f = PolicyFixture(registry: FailingRegistry())
        let open = f.attempt("test", laptop)
        XCTAssertEqual(open.verdict, .allow, "the default policy needs no registry (D22)")
        XCTAssertEqual(open.registryFailure, DeviceRegistryError("down"), "but the driver hears of the outage")
        XCTAssertEqual(f.attempt("test", laptop, valid: false).rule, .invalidCredentials, "a wrong password stays wrong")
        XCTAssertTrue(f.attempt("test", nil).allowed, "no identity, no registry needed")

        let laptop = self.laptop
        for configure in [
            { (c: inout PolicyConfiguration) in
                c.devices.mode = .listed
                c.devices.accounts["test"] = [.init(type: laptop.type, token: laptop.token)]
            },
            {
                $0.devices.mode = .learn; $0.devices.maxDevices = 2
            },
            { $0.sharedToken.maxAccounts = 2 },
            { $0.distantNetworks.enabled = true },
        ] as [(inout PolicyConfiguration) -> Void] {
            var c = PolicyConfiguration()
            configure(&c)
            XCTAssertTrue(c.dependsOnRegistry(sharedSessions: false))
            var g = PolicyFixture(c, registry: FailingRegistry())
            let closed = g.attempt("test", laptop)
            XCTAssertEqual(closed.verdict, .temporaryFailure, "\(c.devices.mode): fails closed")
            XCTAssertEqual(closed.rule, .registryUnavailable)
        }
        var limits = PolicyConfiguration()
        limits.limits.perDevice.maxConnections = 1
        XCTAssertFalse(limits.dependsOnRegistry(sharedSessions: false), "counted in memory")
        XCTAssertTrue(limits.dependsOnRegistry(sharedSessions: true), "counted in the shared registry")
    }
}
