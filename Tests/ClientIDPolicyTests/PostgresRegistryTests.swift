// The registry contract against a real PostgreSQL server, then what only a shared
// store does: two servers (two registry instances, two engines) see one another's
// devices, and per-device limits hold across them (D21).
//
// The server comes from CLIENTID_TEST_POSTGRES_URL (scripts/start-postgres.sh prints
// one; .ci/run exports it). Unset or unreachable: every test here is skipped with
// the reason, never passed; with CLIENTID_TEST_POSTGRES_REQUIRED=1 (.ci/run) they fail
// instead. Each test works in a schema of its own, dropped after.

import ClientIDPolicy
import DeviceRegistryPostgres
import DeviceRegistrySQLite
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Synchronization
import XCTest

final class PostgresRegistryTests: XCTestCase {
    static let variable = "CLIENTID_TEST_POSTGRES_URL"
    private var base: PostgresLocation!
    private var location: PostgresLocation!
    private var opened: [PostgresDeviceRegistry] = []
    /// The schema exists (setUp reached the server): tearDown drops it.
    private var created = false

    override func setUpWithError() throws {
        guard let url = ProcessInfo.processInfo.environment[Self.variable], !url.isEmpty else {
            throw postgresUnavailable(
                "\(Self.variable) is not set: no PostgreSQL to test against (scripts/start-postgres.sh starts one)")
        }
        base = try PostgresLocation(url: url)
        location = base
        location.schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let first: PostgresDeviceRegistry
        do {
            first = try PostgresDeviceRegistry(location: location)
        } catch {
            let message = "\(error)"
            guard message.contains("cannot connect") else { throw error }
            throw postgresUnavailable("PostgreSQL at \(base.displayName) is unreachable: \(message)")
        }
        opened.append(first)
        created = true
    }

    override func tearDownWithError() throws {
        for r in opened { r.close() }
        opened = []
        if created { try sql("DROP SCHEMA IF EXISTS \"\(location.schema)\" CASCADE") }
    }

    /// A registry on this test's schema: another "server" each time.
    private func store(capacity: Int = 1000, keyCheck: DeviceKey? = nil) throws -> PostgresDeviceRegistry {
        let r = try PostgresDeviceRegistry(location: location, capacity: capacity, keyCheck: keyCheck)
        opened.append(r)
        return r
    }

    /// Runs one statement on its own connection (setup and inspection only).
    @discardableResult
    private func sql(_ text: String) throws -> [PostgresRow] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let c = try PostgresConnection.connect(
            on: group.next(),
            configuration: .init(
                host: base.host, port: base.port, username: base.user, password: base.password, database: base.database,
                tls: .disable),
            id: 99, logger: Logger(label: "test")
        ).wait()
        defer { try? c.close().wait() }
        return try c.query(PostgresQuery(unsafeSQL: text), logger: Logger(label: "test")).wait().rows
    }

    /// Waits (bounded) until the device's holds drop to `count`: releases are asynchronous.
    private func waitForSessions(_ r: PostgresDeviceRegistry, _ device: DeviceKey, _ count: Int) throws {
        for _ in 0..<200 {
            if try r.sessionCount(device: device) == count { return }
            usleep(10_000)
        }
        XCTFail("sessions of \(device) never dropped to \(count)")
    }

    private let key = RegistryContract.key

    // MARK: The contract, as for the other stores

    func testSaveAndReadBack() throws { try RegistryContract.saveAndReadBack(try store(), "postgres") }

    func testQueriesByAccountAndDeviceInLastSeenOrder() throws {
        try RegistryContract.queriesInLastSeenOrder(try store(), "postgres")
    }

    func testBoundEvictsUntrustedFirstThenOldest() throws {
        try RegistryContract.boundEvictsUntrustedFirstThenOldest(try store(capacity: 3), "postgres")
    }

    func testExpiryByAge() throws { try RegistryContract.expiryByAge(try store(), "postgres") }

    func testEngineRemovesExpiredRecords() throws { try RegistryContract.engineRemovesExpiredRecords(try store(), "postgres") }

    // MARK: Schema

    func testSchemaIsVersionedAndMigrationIsIdempotent() throws {
        _ = try store()
        _ = try store()
        let versions = try sql("SELECT version FROM \"\(location.schema)\".schema_version").map { try $0.decode(Int.self) }
        XCTAssertEqual(versions, [PostgresDeviceRegistry.schemaVersion], "one row per version, however many servers started")
    }

    /// Servers starting at once on an empty database: the advisory lock lets one create the schema.
    func testConcurrentFirstStartsMigrateOnce() throws {
        var race = location!
        race.schema += "_race"
        let fresh = race
        defer { _ = try? sql("DROP SCHEMA IF EXISTS \"\(fresh.schema)\" CASCADE") }
        let results = Mutex<[Result<PostgresDeviceRegistry, DeviceRegistryError>]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let result = Result { () throws(DeviceRegistryError) in try PostgresDeviceRegistry(location: fresh) }
            results.withLock { $0.append(result) }
        }
        let all = results.withLock { $0 }
        XCTAssertEqual(all.count, 4)
        for result in all {
            switch result {
            case .success(let r): r.close()
            case .failure(let error): XCTFail("a concurrent start failed: \(error)")
            }
        }
        XCTAssertEqual(try sql("SELECT count(*) FROM \"\(fresh.schema)\".schema_version").first?.decode(Int.self), 1)
    }

    func testNewerSchemaIsRefused() throws {
        try sql("INSERT INTO \"\(location.schema)\".schema_version VALUES (99)")
        XCTAssertThrowsError(try store()) { error in
            XCTAssertTrue("\(error)".contains("newer than this server knows"), "\(error)")
        }
    }

    /// Servers with different HMAC secrets would never agree on a device: the second is refused.
    func testDifferentDeviceSecretIsRefused() throws {
        let check = testKeys.key(for: PostgresDeviceRegistry.keyCheckIdentity)
        _ = try store(keyCheck: check)
        _ = try store(keyCheck: check)
        let other = HMACDeviceKeys(secret: Array(repeating: 7, count: 32)).key(for: PostgresDeviceRegistry.keyCheckIdentity)
        XCTAssertThrowsError(try store(keyCheck: other)) { error in
            XCTAssertTrue("\(error)".contains("device-key secret differs"), "\(error)")
        }
    }

    /// D20: no column anywhere holds the raw token; its keyed hash is there.
    func testNeverStoresTheRawToken() throws {
        let identity = ClientIdentity(type: "UUID", token: "23bf83be-aad7-46aa-9e0f-39191ccf402f")
        var c = PolicyConfiguration()
        c.devices.mode = .learn
        c.devices.maxDevices = 3
        c.limits.perDevice.maxAuthFailures = 5
        var f = PolicyFixture(c, registry: try store())
        XCTAssertTrue(f.attempt("test", identity).allowed)
        XCTAssertFalse(f.attempt("test", identity, valid: false).allowed)  // a failure row too
        var dump = ""
        for table in ["device_records", "device_failures", "device_sessions", "registry_settings"] {
            for row in try sql("SELECT t::text FROM \"\(location.schema)\".\(table) t") { dump += try row.decode(String.self) }
        }
        XCTAssertFalse(dump.contains(identity.token), "the raw token is not in the registry")
        XCTAssertTrue(dump.contains(testKeys.key(for: identity).hex), "its keyed hash is")
        XCTAssertThrowsError(
            try sql("INSERT INTO \"\(location.schema)\".device_records VALUES ('\(identity.token)', 'x', 0, 0, NULL, false)"),
            "the schema itself refuses a non-hex device")
    }

    // MARK: Shared between servers

    /// A device learned through one server is known to the other (use cases 1 and 3).
    func testDeviceLearnedOnOneServerIsKnownToTheOther() throws {
        var c = PolicyConfiguration()
        c.devices.mode = .learn
        c.devices.maxDevices = 1
        var a = PolicyFixture(c, registry: try store())
        var b = PolicyFixture(c, registry: try store())
        XCTAssertTrue(a.attempt("test", uuid(1)).allowed, "server A learns the first device")
        XCTAssertTrue(b.attempt("test", uuid(1)).allowed, "server B knows it")
        XCTAssertEqual(b.attempt("test", uuid(2)).rule, .deviceNotLearned, "and B knows the account is full")
    }

    /// D21 across servers: limit 1, a session on A refuses the same device on B until A's ends.
    func testPerDeviceConnectionLimitHoldsAcrossServers() throws {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxConnections = 1
        let registryA = try store()
        var a = PolicyFixture(c, registry: registryA)
        var b = PolicyFixture(c, registry: try store())
        XCTAssertTrue(a.attempt("test", uuid(1), keepOpen: true).allowed)
        let refused = b.attempt("test", uuid(1))
        XCTAssertEqual(refused.verdict, .reject)
        XCTAssertEqual(refused.rule, .deviceConnectionLimit)
        XCTAssertTrue(b.attempt("test", uuid(2)).allowed, "another device is not limited")
        a.engine.connectionClosed(ConnectionID(1))
        try waitForSessions(registryA, key(1), 0)
        XCTAssertTrue(b.attempt("test", uuid(1)).allowed, "free again once A's session ended")
    }

    /// The counting contract of every store (DeviceCountingContract): the shared store
    /// counts exactly what the in-memory one does.
    func testCountsTheSameAsTheOtherStores() throws {
        let registry = try store()
        try DeviceCountingContract.onlyAuthenticatedSessionsCount(registry, "postgres") { identity in
            try waitForSessions(registry, testKeys.key(for: identity), 0)
        }
        try DeviceCountingContract.failuresCountPerAccountAndDevice(try store(), "postgres")
    }

    /// D21 across servers: failures on A count on B.
    func testPerDeviceFailureLimitHoldsAcrossServers() throws {
        var c = PolicyConfiguration()
        c.limits.perDevice.maxAuthFailures = 2
        var a = PolicyFixture(c, registry: try store())
        var b = PolicyFixture(c, registry: try store())
        XCTAssertFalse(a.attempt("test", uuid(1), valid: false).allowed)
        XCTAssertFalse(b.attempt("test", uuid(1), valid: false).allowed)
        XCTAssertEqual(a.attempt("test", uuid(1)).rule, .deviceFailureLimit, "two failures, one on each server")
        XCTAssertTrue(a.attempt("test", uuid(2)).allowed)
    }

    /// Holds are atomic: many connections on four servers race for 3 sessions of one device.
    /// (Without the advisory lock this failed 3 runs in 5 with two servers.)
    func testConcurrentHoldsNeverExceedTheLimit() throws {
        let servers = [try store(), try store(), try store(), try store()]
        let device = key(7)
        let won = Atomic<Int>(0)
        let failed = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            do throws(DeviceRegistryError) {
                if try servers[i % 4].holdSession(device: device, connection: ConnectionID(UInt64(i)), limit: 3) {
                    won.add(1, ordering: .relaxed)
                }
            } catch {
                failed.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failed.withLock { $0 }, [])
        XCTAssertEqual(won.load(ordering: .relaxed), 3)
        XCTAssertEqual(try servers[0].sessionCount(device: device), 3)
        // A connection that holds and asks again keeps its one place.
        let holder = try XCTUnwrap(
            try sql("SELECT server::text, connection FROM \"\(location.schema)\".device_sessions LIMIT 1").first)
        let (server, connection) = try holder.decode((String, Int64).self)
        let owner = try XCTUnwrap(servers.first { $0.serverID.uuidString.lowercased() == server })
        XCTAssertTrue(try owner.holdSession(device: device, connection: ConnectionID(UInt64(connection)), limit: 3))
        XCTAssertEqual(try servers[1].sessionCount(device: device), 3)
    }

    /// A server that stops takes its holds with it.
    func testClosingAServerReleasesItsHolds() throws {
        let a = try store()
        let b = try store()
        XCTAssertTrue(try a.holdSession(device: key(1), connection: ConnectionID(1), limit: 1))
        XCTAssertFalse(try b.holdSession(device: key(1), connection: ConnectionID(1), limit: 1))
        a.close()
        XCTAssertTrue(try b.holdSession(device: key(1), connection: ConnectionID(1), limit: 1))
    }

    /// A server that crashed (no heartbeat for longer than the lease) loses its holds.
    func testHoldsOfACrashedServerExpire() throws {
        let r = try store()
        let crashed = UUID()
        let schema = location.schema
        try sql(
            """
            INSERT INTO "\(schema)".registry_servers (id, heartbeat)
            VALUES ('\(crashed)', now() - make_interval(secs => \(PostgresDeviceRegistry.lease + 5)))
            """)
        try sql(
            "INSERT INTO \"\(schema)\".device_sessions (server, connection, device) VALUES ('\(crashed)', 1, '\(key(1).hex)')")
        XCTAssertEqual(try r.sessionCount(device: key(1)), 1)
        XCTAssertTrue(try r.holdSession(device: key(1), connection: ConnectionID(1), limit: 1), "the dead server's hold is gone")
        XCTAssertEqual(try r.sessionCount(device: key(1)), 1)
        // A live server's hold is not touched.
        let other = try store()
        XCTAssertFalse(try other.holdSession(device: key(1), connection: ConnectionID(2), limit: 1))
    }

    /// The server drops the registry's connection (a restart, a failover): at most the call
    /// in flight fails (the engine's 454); the next one reconnects.
    func testReconnectsAfterTheConnectionIsLost() throws {
        let r = try store()
        let saved = RegistryContract.record(1, "a", seen: 5)
        try r.save(saved)
        let killed = try sql(
            """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()
            """)
        XCTAssertTrue(try killed.contains { try $0.decode(Bool.self) }, "the registry's connection was terminated")
        var answers: [DeviceRecord?] = []
        var errors: [String] = []
        for _ in 0..<2 {
            do throws(DeviceRegistryError) {
                answers.append(try r.record(device: key(1), account: "a"))
            } catch {
                errors.append(error.description)
            }
        }
        XCTAssertLessThanOrEqual(errors.count, 1, "\(errors)")
        XCTAssertEqual(answers.last, saved, "read back after reconnecting: \(errors)")
    }

    func testFailuresAreForgottenAfterTheWindow() throws {
        let r = try store()
        let t = RegistryContract.t
        try r.recordFailure(device: key(1), at: t(10), forgettingBefore: t(0))
        try r.recordFailure(device: key(1), at: t(20), forgettingBefore: t(0))
        try r.recordFailure(device: key(2), at: t(20), forgettingBefore: t(0))
        XCTAssertEqual(try r.failureCount(device: key(1), since: t(0)), 2)
        XCTAssertEqual(try r.failureCount(device: key(1), since: t(15)), 1)
        try r.recordFailure(device: key(3), at: t(100), forgettingBefore: t(15))
        XCTAssertEqual(try sql("SELECT count(*) FROM \"\(location.schema)\".device_failures").first?.decode(Int.self), 3)
    }
}

/// A skip with the reason; a failure where a server is required (CLIENTID_TEST_POSTGRES_REQUIRED=1, .ci/run).
func postgresUnavailable(_ reason: String) -> any Error {
    struct Required: Error, CustomStringConvertible {
        let description: String
    }
    if ProcessInfo.processInfo.environment["CLIENTID_TEST_POSTGRES_REQUIRED"] == "1" {
        return Required(description: "CLIENTID_TEST_POSTGRES_REQUIRED=1 but \(reason)")
    }
    return XCTSkip(reason)
}

/// What needs no server: URLs.
final class PostgresLocationTests: XCTestCase {
    func testParsesAURL() throws {
        let l = try PostgresLocation(url: "postgres://clientid:s%40cret@127.0.0.1:55432/registry?schema=mail_a")
        XCTAssertEqual(l.host, "127.0.0.1")
        XCTAssertEqual(l.port, 55432)
        XCTAssertEqual(l.user, "clientid")
        XCTAssertEqual(l.password, "s@cret")
        XCTAssertEqual(l.database, "registry")
        XCTAssertEqual(l.schema, "mail_a")
        XCTAssertFalse(l.requireTLS)
        XCTAssertFalse(l.displayName.contains("cret"), "no password in messages")
        XCTAssertEqual(try PostgresLocation(url: "postgresql://u@db/x").port, 5432)
        XCTAssertEqual(try PostgresLocation(url: "postgresql://u@db/x").schema, PostgresLocation.defaultSchema)
        XCTAssertTrue(try PostgresLocation(url: "postgres://u@db/x?sslmode=require").requireTLS)
    }

    func testBadURLsSayWhatIsWrong() {
        let cases = [
            ("mysql://u:p@h/db", "not a PostgreSQL URL"),
            ("postgres://u:p@h", "no database"),
            ("postgres://:p@h/db", "no user"),
            ("postgres://u:p@h/db?schema=Robert');DROP", "schema"),
            ("postgres://u:p@h/db?pool=3", "unknown URL parameter pool"),
        ]
        for (url, expected) in cases {
            XCTAssertThrowsError(try PostgresLocation(url: url), url) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(url): \(error)")
                XCTAssertFalse("\(error)".contains(":p@"), "\(url): the password is not repeated")
            }
        }
    }

    /// Something accepts connections and never answers: a bounded wait, then a clear error.
    func testSilentServerIsATimeoutNotAHang() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 8) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        XCTAssertTrue(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        // The kernel completes the TCP handshake (backlog); nobody ever reads or answers.
        let location = try PostgresLocation(url: "postgres://u:p@127.0.0.1:\(port)/db")
        XCTAssertThrowsError(try PostgresDeviceRegistry(location: location, timeout: .milliseconds(500))) { error in
            XCTAssertTrue("\(error)".contains("no answer within"), "\(error)")
        }
    }

    /// Nothing listens there: a clear error, no trap.
    func testUnreachableServerIsAClearError() throws {
        let location = try PostgresLocation(url: "postgres://u:p@127.0.0.1:1/db")
        XCTAssertThrowsError(try PostgresDeviceRegistry(location: location)) { error in
            XCTAssertTrue("\(error)".contains("cannot connect to PostgreSQL at u@127.0.0.1:1/db"), "\(error)")
        }
    }
}
