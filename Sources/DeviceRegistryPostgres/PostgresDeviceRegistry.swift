// The device registry that several clientid-server processes share: PostgreSQL
// through postgres-nio (docs/server.md, "Shared device registry").
//
// - Same contract as the SQLite store (DeviceRegistry): keyed hashes only (D20, and a
//   CHECK constraint refuses anything but hex in the device column), bounded in size,
//   age-out by one DELETE.
// - Plus the per-device state behind D21's limits (SharedDeviceState): session holds
//   and recent failures live in tables, changed by atomic statements (an advisory
//   lock per device orders concurrent holds), never read-modified-written in Swift.
// - The server creates and migrates the schema at start: `schema_version`, under a
//   transaction-level advisory lock, so two servers starting at once do it once.
//
// The DeviceRegistry protocol is synchronous (the engine calls it where blocking is
// allowed), postgres-nio is not: each call runs on this registry's own event loop and
// the caller waits for it. One connection, used by one call at a time (transactions
// must not interleave); it is reopened after a failure.

import ClientIDPolicy
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

public final class PostgresDeviceRegistry: SharedDeviceState {
    public let capacity: Int
    public let location: PostgresLocation
    /// This process among the servers sharing the registry (its session holds are keyed by it).
    public let serverID: UUID

    private let group: MultiThreadedEventLoopGroup
    /// The longest any exchange with PostgreSQL may take (connecting included): a server
    /// that accepts and never answers must not stall AUTH, nor the start, forever.
    private let timeout: TimeAmount
    private let logger: Logger
    private let connection = Mutex<PostgresConnection?>(nil)
    /// Serialises every use of the connection; releases and heartbeats run on it too.
    private let queue = DispatchQueue(label: "clientid.registry.postgres")
    private let heartbeat = Mutex<RepeatedTask?>(nil)
    private let closed = Atomic<Bool>(false)
    /// Holds of a server whose heartbeat is older than this are dropped (a crashed server).
    public static let lease: Int = 60
    static let heartbeatInterval: Int = 10

    /// Connects, creates or migrates the schema, and registers this server.
    ///
    /// - `keyCheck`: the key of a fixed identity under this server's HMAC secret
    ///   (`keys.key(for: PostgresDeviceRegistry.keyCheckIdentity)`). The first server
    ///   stores it; a server whose secret differs is refused, because its device keys
    ///   would never match the others' (docs/server.md).
    public init(
        location: PostgresLocation, capacity: Int = 100_000, keyCheck: DeviceKey? = nil, timeout: TimeAmount = .seconds(10),
        logger: Logger = Logger(label: "clientid.registry.postgres")
    ) throws(DeviceRegistryError) {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.location = location
        self.logger = logger
        self.timeout = timeout
        serverID = UUID()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        queue.setSpecific(key: onQueueKey, value: true)
        do throws(DeviceRegistryError) {
            try onQueue { () throws(DeviceRegistryError) in
                try migrate(keyCheck: keyCheck)
                _ = try run("register") { c in
                    try c.query(
                        "INSERT INTO \(unescaped: self.table("registry_servers")) (id) VALUES (\(self.serverID))",
                        logger: self.logger
                    ).wait(within: timeout)
                }
            }
        } catch {
            // deinit runs for a class whose init throws after every property was set: make it a no-op.
            closed.store(true, ordering: .relaxed)
            queue.sync { closeConnection() }
            try? group.syncShutdownGracefully()
            throw error
        }
        let interval = TimeAmount.seconds(Int64(Self.heartbeatInterval))
        // On the queue: the connection is used by one call at a time. The event loop never
        // holds the registry itself, so its deinit (which waits on that loop) never runs there.
        let task = group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self, queue] _ in
            queue.async { [weak self] in self?.beat() }
        }
        heartbeat.withLock { $0 = task }
    }

    /// The identity whose key `keyCheck` is.
    public static let keyCheckIdentity = ClientIdentity(type: "X-KEY-CHECK", token: "clientid-registry")

    /// Unregisters this server (its holds go with it) and closes the connection.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        heartbeat.withLock { $0?.cancel() }
        // deinit may run on the queue itself (the last reference held by a release).
        let onQueue = DispatchQueue.getSpecific(key: onQueueKey) == true
        let body = {
            // Only on a connection still open: a server that lost its database is forgotten at lease end.
            if let c = self.connection.withLock({ $0 }), !c.isClosed {
                _ = try? c.query(
                    "DELETE FROM \(unescaped: self.table("registry_servers")) WHERE id = \(self.serverID)", logger: self.logger
                ).wait(within: self.timeout)
            }
            self.closeConnection()
        }
        if onQueue { body() } else { queue.sync(execute: body) }
        try? group.syncShutdownGracefully()
    }

    private func closeConnection() {
        let open = connection.withLock { c in
            defer { c = nil }
            return c
        }
        if let open, !open.isClosed { try? open.close().wait(within: timeout) }
    }

    deinit { close() }

    /// Set on this registry's queue only: tells close() it already runs there.
    private let onQueueKey = DispatchSpecificKey<Bool>()

    // MARK: Plumbing

    func table(_ name: String) -> String { "\"\(location.schema)\".\(name)" }

    /// Runs `body` with an open connection (opening one if needed); after a failure the
    /// next call reconnects.
    private func run<T>(_ what: String, _ body: (PostgresConnection) throws -> T) throws(DeviceRegistryError) -> T {
        let current: PostgresConnection
        if let c = connection.withLock({ $0 }), !c.isClosed {
            current = c
        } else {
            do {
                let connecting = PostgresConnection.connect(
                    on: group.next(), configuration: try location.configuration, id: 1, logger: logger)
                do {
                    current = try connecting.wait(within: timeout)
                } catch {
                    // Timed out: a connection that still comes is not wanted.
                    connecting.whenSuccess { late in late.close().whenComplete { _ in } }
                    throw error
                }
            } catch {
                throw DeviceRegistryError("cannot connect to PostgreSQL at \(location.displayName): \(Self.describe(error))")
            }
            connection.withLock { $0 = current }
        }
        do {
            return try body(current)
        } catch {
            // The connection may be dead without knowing it yet (a terminated backend answers
            // one more error first): start afresh next time. Errors are rare; a reconnect is cheap.
            closeConnection()
            throw DeviceRegistryError("device registry \(what) (PostgreSQL at \(location.displayName)): \(Self.describe(error))")
        }
    }

    /// postgres-nio's errors hide the server's message from `description` (it may hold
    /// values); the message and SQLSTATE are what an operator needs.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))"
            }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        return "\(error)"
    }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK on error).
    private func transaction<T>(_ c: PostgresConnection, _ body: () throws -> T) throws -> T {
        _ = try c.query("BEGIN", logger: logger).wait(within: timeout)
        do {
            let value = try body()
            _ = try c.query("COMMIT", logger: logger).wait(within: timeout)
            return value
        } catch {
            _ = try? c.query("ROLLBACK", logger: logger).wait(within: timeout)
            throw error
        }
    }

    private func onQueue<T>(_ body: () throws(DeviceRegistryError) -> T) throws(DeviceRegistryError) -> T {
        if closed.load(ordering: .relaxed) { throw DeviceRegistryError("device registry: closed") }
        let result: Result<T, DeviceRegistryError> = queue.sync {
            do throws(DeviceRegistryError) {
                return .success(try body())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Schema

    /// Each entry is one version: statements run in order, in the migrating transaction.
    /// Append new versions; never edit a published one.
    private var migrations: [[String]] {
        [
            [
                """
                CREATE TABLE \(table("device_records")) (
                    device text NOT NULL CHECK (device ~ '^([0-9a-f][0-9a-f])+$'),  -- DeviceKey.hex: HMAC, never the token (D20)
                    account text NOT NULL,
                    first_seen bigint NOT NULL,    -- seconds since 1970
                    last_seen bigint NOT NULL,
                    last_network text,             -- "192.0.2.0/24", "2001:db8::/64"
                    trusted boolean NOT NULL,
                    PRIMARY KEY (device, account))
                """,
                "CREATE INDEX device_records_account ON \(table("device_records")) (account)",
                "CREATE INDEX device_records_eviction ON \(table("device_records")) (trusted, last_seen, account)",
                "CREATE INDEX device_records_age ON \(table("device_records")) (last_seen)",
                // One row per running server; a heartbeat keeps it, its holds go with it.
                """
                CREATE TABLE \(table("registry_servers")) (
                    id uuid PRIMARY KEY,
                    started timestamptz NOT NULL DEFAULT now(),
                    heartbeat timestamptz NOT NULL DEFAULT now())
                """,
                // D21 across servers: the authenticated sessions of each device.
                """
                CREATE TABLE \(table("device_sessions")) (
                    server uuid NOT NULL REFERENCES \(table("registry_servers")) (id) ON DELETE CASCADE,
                    connection bigint NOT NULL,
                    device text NOT NULL CHECK (device ~ '^([0-9a-f][0-9a-f])+$'),
                    since timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (server, connection))
                """,
                "CREATE INDEX device_sessions_device ON \(table("device_sessions")) (device)",
                // D21 across servers: refused attempts per device, kept for the failure window only.
                """
                CREATE TABLE \(table("device_failures")) (
                    device text NOT NULL CHECK (device ~ '^([0-9a-f][0-9a-f])+$'),
                    at bigint NOT NULL)
                """,
                "CREATE INDEX device_failures_device ON \(table("device_failures")) (device, at)",
                "CREATE INDEX device_failures_at ON \(table("device_failures")) (at)",
                // Which HMAC secret the keys were made with (a check value, not the secret).
                "CREATE TABLE \(table("registry_settings")) (name text PRIMARY KEY, value text NOT NULL)",
            ]
        ]
    }

    /// The schema version this code writes.
    public static let schemaVersion = 1

    private func migrate(keyCheck: DeviceKey?) throws(DeviceRegistryError) {
        let schema = location.schema
        let migrations = migrations
        try run("schema migration") { c in
            try transaction(c) {
                // Two servers starting at once: the second waits here, then finds the work done.
                _ = try c.query(
                    "SELECT pg_advisory_xact_lock(hashtext('clientid device registry'), hashtext(\(schema)))",
                    logger: logger
                ).wait(within: timeout)
                let exists = try c.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger).wait(
                    within: timeout)
                if exists.isEmpty {
                    _ = try c.query("CREATE SCHEMA \(unescaped: "\"\(schema)\"")", logger: logger).wait(within: timeout)
                }
                _ = try c.query(
                    "CREATE TABLE IF NOT EXISTS \(unescaped: table("schema_version")) (version integer NOT NULL)",
                    logger: logger
                ).wait(within: timeout)
                let rows = try c.query("SELECT max(version) FROM \(unescaped: table("schema_version"))", logger: logger).wait(
                    within: timeout)
                let current = try rows.first.flatMap { row in try row.decode(Int?.self) } ?? 0
                if current > migrations.count {
                    throw DeviceRegistryError(
                        "schema version \(current) is newer than this server knows (\(migrations.count)): upgrade the server")
                }
                for (index, statements) in migrations.enumerated() where index + 1 > current {
                    for sql in statements { _ = try c.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait(within: timeout) }
                    _ = try c.query(
                        "INSERT INTO \(unescaped: table("schema_version")) (version) VALUES (\(index + 1))", logger: logger
                    ).wait(within: timeout)
                }
                if let keyCheck {
                    _ = try c.query(
                        """
                        INSERT INTO \(unescaped: table("registry_settings")) (name, value) VALUES ('key_check', \(keyCheck.hex))
                        ON CONFLICT (name) DO NOTHING
                        """, logger: logger
                    ).wait(within: timeout)
                    let stored = try c.query(
                        "SELECT value FROM \(unescaped: table("registry_settings")) WHERE name = 'key_check'", logger: logger
                    ).wait(within: timeout)
                    if try stored.first?.decode(String.self) != keyCheck.hex {
                        throw DeviceRegistryError(
                            "this server's device-key secret differs from the one the registry's keys were made with: "
                                + "every server sharing a registry needs the same key file (--device-key); to change "
                                + "the key, see docs/server.md, Privacy")
                    }
                }
            }
        }
    }

    // MARK: Heartbeat

    /// Keeps this server's row fresh, and drops servers whose heartbeat stopped (with their holds).
    private func beat() {
        if closed.load(ordering: .relaxed) { return }
        do throws(DeviceRegistryError) {
            try run("heartbeat") { c in
                let servers = table("registry_servers")
                _ = try c.query(
                    """
                    INSERT INTO \(unescaped: servers) (id) VALUES (\(serverID))
                    ON CONFLICT (id) DO UPDATE SET heartbeat = now()
                    """, logger: logger
                ).wait(within: timeout)
                _ = try c.query(
                    "DELETE FROM \(unescaped: servers) WHERE heartbeat < now() - make_interval(secs => \(Self.lease))",
                    logger: logger
                ).wait(within: timeout)
            }
        } catch {
            logger.warning("device registry heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: DeviceRegistry

    private static let columns = "device, account, first_seen, last_seen, last_network, trusted"
    private static let order = "ORDER BY last_seen, account"

    private static func records(_ result: PostgresQueryResult) throws -> [DeviceRecord] {
        try result.compactMap { row in
            let (device, account, first, last, network, trusted) = try row.decode(
                (String, String, Int64, Int64, String?, Bool).self)
            guard let key = DeviceKey(hex: device) else { return nil }
            return DeviceRecord(
                device: key, account: account, firstSeen: Timestamp(secondsSinceEpoch: first),
                lastSeen: Timestamp(secondsSinceEpoch: last), lastNetwork: network.flatMap(NetworkPrefix.init),
                trusted: trusted)
        }
    }

    public func record(device: DeviceKey, account: String) throws(DeviceRegistryError) -> DeviceRecord? {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try Self.records(
                    c.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM \(unescaped: table("device_records"))
                        WHERE device = \(device.hex) AND account = \(account)
                        """, logger: logger
                    ).wait(within: timeout)
                ).first
            }
        }
    }

    public func records(forAccount account: String) throws(DeviceRegistryError) -> [DeviceRecord] {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try Self.records(
                    c.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM \(unescaped: table("device_records"))
                        WHERE account = \(account) \(unescaped: Self.order)
                        """, logger: logger
                    ).wait(within: timeout))
            }
        }
    }

    public func records(forDevice device: DeviceKey) throws(DeviceRegistryError) -> [DeviceRecord] {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try Self.records(
                    c.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM \(unescaped: table("device_records"))
                        WHERE device = \(device.hex) \(unescaped: Self.order)
                        """, logger: logger
                    ).wait(within: timeout))
            }
        }
    }

    public func save(_ record: DeviceRecord) throws(DeviceRegistryError) {
        try onQueue { () throws(DeviceRegistryError) in
            try run("write") { c in
                let records = table("device_records")
                // `xmax = 0`: the row is new (an update of a known pair cannot grow the table).
                let inserted =
                    try c.query(
                        """
                        INSERT INTO \(unescaped: records) (\(unescaped: Self.columns))
                        VALUES (\(record.device.hex), \(record.account), \(record.firstSeen.secondsSinceEpoch),
                                \(record.lastSeen.secondsSinceEpoch), \(record.lastNetwork?.description), \(record.trusted))
                        ON CONFLICT (device, account) DO UPDATE SET
                            first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
                            last_network = EXCLUDED.last_network, trusted = EXCLUDED.trusted
                        RETURNING (xmax = 0)
                        """, logger: logger
                    ).wait(within: timeout).first?.decode(Bool.self) ?? true
                guard inserted else { return }
                // The bound, in one statement: untrusted first, then the oldest (DeviceRegistry's
                // contract). Concurrent writers each trim what they see; the table never grows past
                // the bound by more than the writers in flight. Counting costs a scan of the
                // table, so only a new row pays for it.
                _ = try c.query(
                    """
                    DELETE FROM \(unescaped: records) WHERE (device, account) IN (
                        SELECT device, account FROM \(unescaped: records)
                        ORDER BY trusted, last_seen, account, device
                        LIMIT GREATEST((SELECT count(*) FROM \(unescaped: records)) - \(capacity), 0))
                    """, logger: logger
                ).wait(within: timeout)
            }
        }
    }

    public func remove(device: DeviceKey, account: String) throws(DeviceRegistryError) {
        try onQueue { () throws(DeviceRegistryError) in
            try run("write") { c in
                _ = try c.query(
                    "DELETE FROM \(unescaped: table("device_records")) WHERE device = \(device.hex) AND account = \(account)",
                    logger: logger
                ).wait(within: timeout)
            }
        }
    }

    public func removeRecords(lastSeenBefore cutoff: Timestamp) throws(DeviceRegistryError) -> Int {
        try onQueue { () throws(DeviceRegistryError) in
            try run("write") { c in
                try c.query(
                    "DELETE FROM \(unescaped: table("device_records")) WHERE last_seen < \(cutoff.secondsSinceEpoch)",
                    logger: logger
                ).wait(within: timeout).metadata.rows ?? 0
            }
        }
    }

    public func count() throws(DeviceRegistryError) -> Int {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try c.query("SELECT count(*) FROM \(unescaped: table("device_records"))", logger: logger).wait(within: timeout)
                    .first?.decode(Int.self) ?? 0
            }
        }
    }

    // MARK: SharedDeviceState

    public func holdSession(device: DeviceKey, connection: ConnectionID, limit: Int) throws(DeviceRegistryError) -> Bool {
        try onQueue { () throws(DeviceRegistryError) in
            try run("session hold") { c in
                try transaction(c) {
                    // Orders concurrent holds of one device across servers: the INSERT below
                    // starts after the lock, so it sees every hold committed before it.
                    _ = try c.query("SELECT pg_advisory_xact_lock(hashtextextended(\(device.hex), 0))", logger: logger).wait(
                        within: timeout)
                    // Servers past their lease (crashed) lose their holds now, not at the next
                    // heartbeat; and this server's row comes back if a long outage let the others
                    // drop it: the hold below references it.
                    _ = try c.query(
                        """
                        WITH expired AS (
                            DELETE FROM \(unescaped: table("registry_servers"))
                            WHERE heartbeat < now() - make_interval(secs => \(Self.lease)) AND id <> \(serverID))
                        INSERT INTO \(unescaped: table("registry_servers")) (id) VALUES (\(serverID))
                        ON CONFLICT (id) DO UPDATE SET heartbeat = now()
                        """, logger: logger
                    ).wait(within: timeout)
                    let sessions = table("device_sessions")
                    let connectionNumber = Int64(bitPattern: connection.rawValue)
                    let inserted = try c.query(
                        """
                        INSERT INTO \(unescaped: sessions) (server, connection, device)
                        SELECT \(serverID), \(connectionNumber), \(device.hex)
                        WHERE (SELECT count(*) FROM \(unescaped: sessions)
                               WHERE device = \(device.hex)
                                 AND NOT (server = \(serverID) AND connection = \(connectionNumber))) < \(limit)
                        ON CONFLICT (server, connection) DO UPDATE SET device = EXCLUDED.device, since = now()
                        """, logger: logger
                    ).wait(within: timeout)
                    return (inserted.metadata.rows ?? 0) == 1
                }
            }
        }
    }

    public func releaseSession(connection: ConnectionID) {
        if closed.load(ordering: .relaxed) { return }
        queue.async {
            do throws(DeviceRegistryError) {
                try self.run("session release") { c in
                    _ = try c.query(
                        """
                        DELETE FROM \(unescaped: self.table("device_sessions"))
                        WHERE server = \(self.serverID) AND connection = \(Int64(bitPattern: connection.rawValue))
                        """, logger: self.logger
                    ).wait(within: self.timeout)
                }
            } catch {
                // The hold stays until this server stops or its lease runs out.
                self.logger.warning("device registry: cannot release a session", metadata: ["error": "\(error)"])
            }
        }
    }

    public func sessionCount(device: DeviceKey) throws(DeviceRegistryError) -> Int {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try c.query(
                    "SELECT count(*) FROM \(unescaped: table("device_sessions")) WHERE device = \(device.hex)",
                    logger: logger
                ).wait(within: timeout).first?.decode(Int.self) ?? 0
            }
        }
    }

    public func recordFailure(device: DeviceKey, at time: Timestamp, forgettingBefore cutoff: Timestamp)
        throws(DeviceRegistryError)
    {
        try onQueue { () throws(DeviceRegistryError) in
            try run("write") { c in
                let failures = table("device_failures")
                // Bounded: only the failure window is kept, whichever device.
                _ = try c.query("DELETE FROM \(unescaped: failures) WHERE at < \(cutoff.secondsSinceEpoch)", logger: logger)
                    .wait(within: timeout)
                _ = try c.query(
                    "INSERT INTO \(unescaped: failures) (device, at) VALUES (\(device.hex), \(time.secondsSinceEpoch))",
                    logger: logger
                ).wait(within: timeout)
            }
        }
    }

    public func failureCount(device: DeviceKey, since: Timestamp) throws(DeviceRegistryError) -> Int {
        try onQueue { () throws(DeviceRegistryError) in
            try run("read") { c in
                try c.query(
                    """
                    SELECT count(*) FROM \(unescaped: table("device_failures"))
                    WHERE device = \(device.hex) AND at >= \(since.secondsSinceEpoch)
                    """, logger: logger
                ).wait(within: timeout).first?.decode(Int.self) ?? 0
            }
        }
    }
}

struct PostgresTimeout: Error, CustomStringConvertible {
    let after: TimeAmount
    var description: String { "no answer within \(after.nanoseconds / 1_000_000) ms" }
}

extension EventLoopFuture where Value: Sendable {
    /// `wait()`, but failing with PostgresTimeout after `timeout`. The caller then drops the
    /// connection (PostgresDeviceRegistry.run), which fails whatever was still pending on it.
    func wait(within timeout: TimeAmount) throws -> Value {
        let bounded = eventLoop.makePromise(of: Value.self)
        let timer = eventLoop.scheduleTask(in: timeout) { bounded.fail(PostgresTimeout(after: timeout)) }
        whenComplete { result in
            timer.cancel()
            bounded.completeWith(result)
        }
        return try bounded.futureResult.wait()
    }
}
