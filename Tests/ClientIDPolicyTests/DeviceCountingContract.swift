// What per-device limits count (D21), as one contract for every store: the
// SQLite and in-memory registries (counts kept by the engine's own memory store)
// and the shared PostgreSQL registry (counts kept in the database) must count the
// same things. A token is only a claim: claiming one holds no session of it, and
// another account's failures with it never reach its owner.

import ClientIDPolicy
import DeviceRegistrySQLite
import Foundation
import XCTest

enum DeviceCountingContract {
    static let victim = ClientIdentity(type: "UUID", token: "8c1d6a2e-0a3f-4b7e-9d51-2f6c0e4b7a19")

    /// Claims without AUTH, and refused AUTHs, hold nothing; authenticated sessions
    /// count up to the limit and free their place when they end. `settle` waits until
    /// the store has released `count` sessions' worth (a shared store releases
    /// asynchronously).
    static func onlyAuthenticatedSessionsCount(
        _ registry: any DeviceRegistry, _ store: String, settle: (ClientIdentity) throws -> Void = { _ in },
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxConnections = 1
        let engine = ClientIDPolicyEngine(configuration: c, registry: registry, keys: testKeys, clock: ManualClock())
        // An attacker opens many connections claiming the victim's token, and fails AUTH on some.
        for n in 1...20 {
            let attacker = ConnectionID(UInt64(1000 + n))
            _ = engine.connectionOpened(attacker, address: office)
            _ = engine.clientIdentified(attacker, identity: victim)
            if n % 2 == 0 {
                let refused = engine.authenticate(
                    AuthenticationAttempt(
                        connection: attacker, account: "test", credentialsValid: false, identity: victim, address: office))
                XCTAssertFalse(refused.allowed, "\(store): a wrong password", file: file, line: line)
            }
        }
        // The owner, from home, with the right password: the only authenticated session.
        let owner = ConnectionID(1)
        _ = engine.connectionOpened(owner, address: home)
        _ = engine.clientIdentified(owner, identity: victim)
        let allowed = engine.authenticate(
            AuthenticationAttempt(connection: owner, account: "test", credentialsValid: true, identity: victim, address: home))
        XCTAssertEqual(allowed.verdict, .allow, "\(store): claims held nothing", file: file, line: line)
        // A second authenticated session of the device is over the limit.
        let second = ConnectionID(2)
        _ = engine.connectionOpened(second, address: home)
        let over = engine.authenticate(
            AuthenticationAttempt(connection: second, account: "test", credentialsValid: true, identity: victim, address: home))
        XCTAssertEqual(over.rule, .deviceConnectionLimit, "\(store): one authenticated session at a time", file: file, line: line)
        // The owner leaves: the place is free again.
        engine.connectionClosed(owner)
        try settle(victim)
        let third = ConnectionID(3)
        _ = engine.connectionOpened(third, address: home)
        let again = engine.authenticate(
            AuthenticationAttempt(connection: third, account: "test", credentialsValid: true, identity: victim, address: home))
        XCTAssertEqual(again.verdict, .allow, "\(store): free once the session ended", file: file, line: line)
        for n in 1...20 { engine.connectionClosed(ConnectionID(UInt64(1000 + n))) }
        engine.connectionClosed(second)
        engine.connectionClosed(third)
    }

    /// Per-device failures count one account's failures with the device: another
    /// account's failures with the same claimed token never lock its owner out.
    static func failuresCountPerAccountAndDevice(
        _ registry: any DeviceRegistry, _ store: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxAuthFailures = 2
        let engine = ClientIDPolicyEngine(configuration: c, registry: registry, keys: testKeys, clock: ManualClock())
        func attempt(_ n: UInt64, _ account: String, valid: Bool, from address: IPAddress) -> AuthenticationDecision {
            let connection = ConnectionID(n)
            _ = engine.connectionOpened(connection, address: address)
            defer { engine.connectionClosed(connection) }
            return engine.authenticate(
                AuthenticationAttempt(
                    connection: connection, account: account, credentialsValid: valid, identity: victim, address: address))
        }
        for n in 1...5 { _ = attempt(UInt64(n), "mallory", valid: false, from: office) }
        XCTAssertEqual(
            attempt(10, "mallory", valid: true, from: office).rule, .deviceFailureLimit, "\(store)", file: file, line: line)
        XCTAssertTrue(
            attempt(11, "test", valid: true, from: home).allowed, "\(store): the owner is not locked out", file: file,
            line: line)
        for n in 12...13 { _ = attempt(UInt64(n), "test", valid: false, from: home) }
        XCTAssertEqual(
            attempt(14, "test", valid: true, from: home).rule, .deviceFailureLimit, "\(store): the owner's own failures count",
            file: file, line: line)
    }
}

final class DeviceCountingContractTests: XCTestCase {
    func testInMemoryAndSQLiteStoresCountTheSame() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("counting-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func sqlite() throws -> any DeviceRegistry {
            try SQLiteDeviceRegistry(path: directory.appendingPathComponent("\(UUID().uuidString).sqlite").path)
        }
        try DeviceCountingContract.onlyAuthenticatedSessionsCount(InMemoryDeviceRegistry(), "memory")
        try DeviceCountingContract.onlyAuthenticatedSessionsCount(try sqlite(), "sqlite")
        try DeviceCountingContract.failuresCountPerAccountAndDevice(InMemoryDeviceRegistry(), "memory")
        try DeviceCountingContract.failuresCountPerAccountAndDevice(try sqlite(), "sqlite")
    }
}
