// One contract, three stores: every clause of DeviceRegistry's contract is a
// function of RegistryContract, run here against the in-memory registry and the
// SQLite one, and by PostgresRegistryTests against a real PostgreSQL server. Then
// what only the persistent store can do: survive a restart, and never hold a raw
// token (D20).

import ClientIDPolicy
import DeviceRegistrySQLite
import Foundation
import XCTest

final class DeviceRegistryContractTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Fresh stores of each kind.
    private func stores(capacity: Int = 1000) throws -> [(String, any DeviceRegistry)] {
        [
            ("memory", InMemoryDeviceRegistry(capacity: capacity)),
            (
                "sqlite",
                try SQLiteDeviceRegistry(
                    path: directory.appendingPathComponent("\(UUID().uuidString).sqlite").path, capacity: capacity)
            ),
        ]
    }

    private func key(_ n: Int) -> DeviceKey { RegistryContract.key(n) }
    private func t(_ s: Int64) -> Timestamp { RegistryContract.t(s) }
    private func record(
        _ device: Int, _ account: String, seen: Int64, trusted: Bool = false,
        network: String? = "192.0.2.0/24"
    ) -> DeviceRecord {
        RegistryContract.record(device, account, seen: seen, trusted: trusted, network: network)
    }

    func testSaveAndReadBack() throws {
        for (name, r) in try stores() { try RegistryContract.saveAndReadBack(r, name) }
    }

    func testQueriesByAccountAndDeviceInLastSeenOrder() throws {
        for (name, r) in try stores() { try RegistryContract.queriesInLastSeenOrder(r, name) }
    }

    func testBoundEvictsUntrustedFirstThenOldest() throws {
        for (name, r) in try stores(capacity: 3) { try RegistryContract.boundEvictsUntrustedFirstThenOldest(r, name) }
    }

    func testExpiryByAge() throws {
        for (name, r) in try stores() { try RegistryContract.expiryByAge(r, name) }
    }

    /// The engine's own upkeep uses the configured age.
    func testEngineRemovesExpiredRecords() throws {
        for (name, r) in try stores() { try RegistryContract.engineRemovesExpiredRecords(r, name) }
    }

    func testSQLiteSurvivesRestart() throws {
        let path = directory.appendingPathComponent("persistent.sqlite").path
        do {
            let r = try SQLiteDeviceRegistry(path: path)
            try r.save(record(1, "alice@example.com", seen: 7, trusted: true))
            try r.save(record(2, "alice@example.com", seen: 8))
        }  // closed here
        let reopened = try SQLiteDeviceRegistry(path: path)
        XCTAssertEqual(
            try reopened.records(forAccount: "alice@example.com"),
            [record(1, "alice@example.com", seen: 7, trusted: true), record(2, "alice@example.com", seen: 8)])

        // And a learned device stays learned across a restart of the engine.
        var c = PolicyConfiguration()
        c.devices.mode = .learn
        c.devices.maxDevices = 1
        let enginePath = directory.appendingPathComponent("engine.sqlite").path
        do {
            var f = PolicyFixture(c, registry: try SQLiteDeviceRegistry(path: enginePath))
            XCTAssertTrue(f.attempt("test", uuid(1)).allowed)
        }
        var g = PolicyFixture(c, registry: try SQLiteDeviceRegistry(path: enginePath))
        XCTAssertTrue(g.attempt("test", uuid(1)).allowed)
        XCTAssertEqual(g.attempt("test", uuid(2)).rule, .deviceNotLearned)
    }

    /// D20: the file holds keyed hashes, never the token.
    func testSQLiteNeverStoresTheRawToken() throws {
        let path = directory.appendingPathComponent("d20.sqlite").path
        let identity = ClientIdentity(type: "UUID", token: "23bf83be-aad7-46aa-9e0f-39191ccf402f")
        do {
            var c = PolicyConfiguration()
            c.devices.mode = .learn
            c.devices.maxDevices = 3
            var f = PolicyFixture(c, registry: try SQLiteDeviceRegistry(path: path))
            XCTAssertTrue(f.attempt("test", identity).allowed)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for suffix in ["-wal", "-journal"] {
            if let extra = try? Data(contentsOf: URL(fileURLWithPath: path + suffix)) { bytes += extra }
        }
        XCTAssertGreaterThan(bytes.count, 0)
        XCTAssertNil(bytes.range(of: Data(identity.token.utf8)), "the raw token is not in the registry file")
        XCTAssertNotNil(bytes.range(of: Data(testKeys.key(for: identity).hex.utf8)), "its keyed hash is")
    }

    /// A registry file made with one HMAC key refuses another: its keys would never match
    /// (docs/server.md, Privacy). A file from before the check adopts the first key.
    func testSQLiteRefusesAnotherKey() throws {
        let check = testKeys.key(for: ClientIdentity(type: "X-KEY-CHECK", token: "clientid-registry"))
        let other = HMACDeviceKeys(secret: Array(repeating: 1, count: 32))
            .key(for: ClientIdentity(type: "X-KEY-CHECK", token: "clientid-registry"))
        let path = directory.appendingPathComponent("keyed.sqlite").path
        do {
            let r = try SQLiteDeviceRegistry(path: path)  // no check stored
            try r.save(record(1, "alice@example.com", seen: 7, trusted: true))
        }
        _ = try SQLiteDeviceRegistry(path: path, keyCheck: check)  // adopted
        _ = try SQLiteDeviceRegistry(path: path, keyCheck: check)
        XCTAssertThrowsError(try SQLiteDeviceRegistry(path: path, keyCheck: other)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("device-key secret differs") && text.contains(path), text)
            XCTAssertTrue(text.contains("delete the registry"), text)
        }
        let kept = try SQLiteDeviceRegistry(path: path, keyCheck: check)
        XCTAssertEqual(try kept.count(), 1, "a refused key changes nothing")
    }

    func testHMACDeviceKeys() {
        let a = testKeys.key(for: ClientIdentity(type: "uuid", token: "abc"))
        XCTAssertEqual(a.bytes.count, 32)
        XCTAssertEqual(a, testKeys.key(for: ClientIdentity(type: "UUID", token: "abc")), "D3: type folded")
        XCTAssertNotEqual(a, testKeys.key(for: ClientIdentity(type: "UUID", token: "ABC")), "D3: token byte for byte")
        XCTAssertNotEqual(a, testKeys.key(for: ClientIdentity(type: "UUIDA", token: "bc")), "type and token cannot run together")
        XCTAssertNotEqual(
            a, HMACDeviceKeys(secret: Array(repeating: 1, count: 32)).key(for: ClientIdentity(type: "UUID", token: "abc")),
            "another secret, another key")
        XCTAssertEqual(DeviceKey(hex: a.hex), a)
        XCTAssertEqual(a.fingerprint.count, 16)
        XCTAssertFalse(a.description.contains("abc"))
    }
}

/// DeviceRegistry's contract, one function per clause, for any store: `r` is empty
/// (bounded at 3 for the eviction clause, at least 1000 otherwise), `name` labels failures.
enum RegistryContract {
    static func key(_ n: Int) -> DeviceKey { testKeys.key(for: uuid(n)) }
    static func t(_ s: Int64) -> Timestamp { Timestamp(secondsSinceEpoch: 1_800_000_000 + s) }
    static func record(
        _ device: Int, _ account: String, seen: Int64, trusted: Bool = false,
        network: String? = "192.0.2.0/24"
    ) -> DeviceRecord {
        DeviceRecord(
            device: key(device), account: account, firstSeen: t(0), lastSeen: t(seen),
            lastNetwork: network.flatMap(NetworkPrefix.init), trusted: trusted)
    }

    static func saveAndReadBack(_ r: any DeviceRegistry, _ name: String) throws {
        XCTAssertNil(try r.record(device: key(1), account: "a"), name)
        let saved = record(1, "a", seen: 5, trusted: true, network: "2001:db8::/64")
        try r.save(saved)
        XCTAssertEqual(try r.record(device: key(1), account: "a"), saved, name)
        XCTAssertEqual(try r.count(), 1, name)
        var changed = saved
        changed.lastSeen = t(9)
        changed.lastNetwork = nil
        try r.save(changed)
        XCTAssertEqual(try r.record(device: key(1), account: "a"), changed, "\(name): replaced, not added")
        XCTAssertEqual(try r.count(), 1, name)
        try r.remove(device: key(1), account: "a")
        XCTAssertEqual(try r.count(), 0, name)
    }

    static func queriesInLastSeenOrder(_ r: any DeviceRegistry, _ name: String) throws {
        try r.save(record(1, "a", seen: 30))
        try r.save(record(2, "a", seen: 10))
        try r.save(record(1, "b", seen: 20))
        try r.save(record(3, "c", seen: 5))
        XCTAssertEqual(try r.records(forAccount: "a").map(\.device), [key(2), key(1)], name)
        XCTAssertEqual(try r.records(forDevice: key(1)).map(\.account), ["b", "a"], name)
        XCTAssertEqual(try r.records(forAccount: "nobody"), [], name)
    }

    static func boundEvictsUntrustedFirstThenOldest(_ r: any DeviceRegistry, _ name: String) throws {
        try r.save(record(1, "a", seen: 1, trusted: true))
        try r.save(record(2, "a", seen: 2))
        try r.save(record(3, "a", seen: 3))
        try r.save(record(4, "a", seen: 4))  // over the bound: the oldest untrusted (2) goes
        XCTAssertEqual(try r.records(forAccount: "a").map(\.device), [key(1), key(3), key(4)], name)
        // At the bound, an update of a known pair (the table does not grow) evicts nothing.
        try r.save(record(3, "a", seen: 5))
        XCTAssertEqual(try r.records(forAccount: "a").map(\.device), [key(1), key(4), key(3)], name)
        // A flood of one-off attempts never pushes the trusted device out.
        for n in 10..<50 { try r.save(record(n, "attacker", seen: Int64(n))) }
        XCTAssertEqual(try r.count(), 3, name)
        XCTAssertNotNil(try r.record(device: key(1), account: "a"), "\(name): trusted survives")
        // Only trusted left: the oldest trusted goes.
        try r.save(record(60, "b", seen: 60, trusted: true))
        try r.save(record(61, "b", seen: 61, trusted: true))
        try r.save(record(62, "b", seen: 62, trusted: true))
        XCTAssertEqual(try r.records(forAccount: "b").count, 3, name)
        XCTAssertNil(try r.record(device: key(1), account: "a"), "\(name): oldest trusted evicted last")
    }

    static func expiryByAge(_ r: any DeviceRegistry, _ name: String) throws {
        for n in 0..<10 { try r.save(record(n, "a", seen: Int64(n * 100))) }
        XCTAssertEqual(try r.removeRecords(lastSeenBefore: t(450)), 5, name)
        XCTAssertEqual(try r.records(forAccount: "a").map(\.lastSeen), (5..<10).map { t(Int64($0 * 100)) }, name)
    }

    static func engineRemovesExpiredRecords(_ r: any DeviceRegistry, _ name: String) throws {
        var c = PolicyConfiguration()
        c.registry.maxAge = .days(30)
        var f = PolicyFixture(c, registry: r)
        _ = f.attempt("test", uuid(1))
        f.clock.advance(by: .days(31))
        _ = f.attempt("test", uuid(2))
        XCTAssertEqual(try f.engine.removeExpired(), 1, name)
        XCTAssertEqual(try r.records(forAccount: "test").map(\.device), [key(2)], name)
    }
}
