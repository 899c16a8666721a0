// The persistent device registry: one SQLite file (GRDB), bounded in size.
//
// Keep the file apart from the credential store (D20, draft §7): it holds keyed
// hashes of tokens (HMACDeviceKeys), account names, times and network prefixes,
// and never a raw token.

import ClientIDPolicy
import Foundation
import GRDB

public final class SQLiteDeviceRegistry: DeviceRegistry {
    public let capacity: Int
    private let database: DatabaseQueue

    /// Opens (creating if needed) the registry at `path`; `":memory:"` for a throwaway one.
    ///
    /// `keyCheck`: the key of a fixed identity under the server's HMAC secret (as
    /// `PostgresDeviceRegistry` takes it). The first open stores it; an open with
    /// another is refused, because every key in the file was made with the first
    /// secret and would never match again (docs/server.md, Privacy: rotating the key).
    public init(path: String, capacity: Int = 100_000, keyCheck: DeviceKey? = nil) throws(DeviceRegistryError) {
        precondition(capacity >= 1)
        self.capacity = capacity
        do {
            database = path == ":memory:" ? try DatabaseQueue() : try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE device_records (
                            device TEXT NOT NULL,          -- DeviceKey.hex: HMAC, never the token (D20)
                            account TEXT NOT NULL,
                            first_seen INTEGER NOT NULL,   -- seconds since 1970
                            last_seen INTEGER NOT NULL,
                            last_network TEXT,             -- "192.0.2.0/24", "2001:db8::/64"
                            trusted INTEGER NOT NULL,
                            PRIMARY KEY (device, account)
                        );
                        CREATE INDEX device_records_account ON device_records(account);
                        CREATE INDEX device_records_eviction ON device_records(trusted, last_seen);
                        """)
            }
            // Which HMAC secret the keys were made with (a check value, not the secret).
            migrator.registerMigration("v2") { db in
                try db.execute(sql: "CREATE TABLE registry_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            }
            try migrator.migrate(database)
        } catch {
            throw DeviceRegistryError("cannot open the device registry at \(path): \(error)")
        }
        guard let keyCheck else { return }
        let stored = try run("key check") {
            try database.write { db in
                // A registry from before the check adopts the first key it is opened with.
                try db.execute(
                    sql: "INSERT OR IGNORE INTO registry_settings (name, value) VALUES ('key_check', ?)",
                    arguments: [keyCheck.hex])
                return try String.fetchOne(db, sql: "SELECT value FROM registry_settings WHERE name = 'key_check'")
            }
        }
        if stored != keyCheck.hex {
            throw DeviceRegistryError(
                "this server's device-key secret differs from the one the device registry at \(path) was made with: "
                    + "start with that key (--device-key), or, to start afresh with this one, delete the registry "
                    + "(its learned devices are forgotten; docs/server.md, Privacy)")
        }
    }

    private func run<T>(_ what: String, _ body: () throws -> T) throws(DeviceRegistryError) -> T {
        do {
            return try body()
        } catch {
            throw DeviceRegistryError("device registry \(what): \(error)")
        }
    }

    private static let columns = "device, account, first_seen, last_seen, last_network, trusted"
    private static let order = "ORDER BY last_seen, account"

    private static func record(_ row: Row) -> DeviceRecord? {
        guard let device = DeviceKey(hex: row["device"]) else { return nil }
        let network: String? = row["last_network"]
        return DeviceRecord(
            device: device, account: row["account"],
            firstSeen: Timestamp(secondsSinceEpoch: row["first_seen"]), lastSeen: Timestamp(secondsSinceEpoch: row["last_seen"]),
            lastNetwork: network.flatMap(NetworkPrefix.init), trusted: row["trusted"])
    }

    public func record(device: DeviceKey, account: String) throws(DeviceRegistryError) -> DeviceRecord? {
        try run("read") {
            try database.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(Self.columns) FROM device_records WHERE device = ? AND account = ?",
                    arguments: [device.hex, account]
                ).flatMap(Self.record)
            }
        }
    }

    public func records(forAccount account: String) throws(DeviceRegistryError) -> [DeviceRecord] {
        try run("read") {
            try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT \(Self.columns) FROM device_records WHERE account = ? \(Self.order)",
                    arguments: [account]
                ).compactMap(Self.record)
            }
        }
    }

    public func records(forDevice device: DeviceKey) throws(DeviceRegistryError) -> [DeviceRecord] {
        try run("read") {
            try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT \(Self.columns) FROM device_records WHERE device = ? \(Self.order)",
                    arguments: [device.hex]
                ).compactMap(Self.record)
            }
        }
    }

    public func save(_ record: DeviceRecord) throws(DeviceRegistryError) {
        try run("write") {
            try database.write { db in
                let known =
                    try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM device_records WHERE device = ? AND account = ?)",
                        arguments: [record.device.hex, record.account]) ?? false
                try db.execute(
                    sql: "INSERT OR REPLACE INTO device_records (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        record.device.hex, record.account, record.firstSeen.secondsSinceEpoch,
                        record.lastSeen.secondsSinceEpoch, record.lastNetwork?.description, record.trusted,
                    ])
                // The bound: untrusted first, then the oldest (DeviceRegistry's contract).
                // Counting reads the whole table, so only a new pair (the table grew) pays
                // for it, not every AUTH that updates a known one (a primary-key lookup).
                guard !known else { return }
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device_records") ?? 0
                if count > capacity {
                    try db.execute(
                        sql: """
                            DELETE FROM device_records WHERE rowid IN (
                                SELECT rowid FROM device_records ORDER BY trusted, last_seen, account LIMIT ?)
                            """,
                        arguments: [count - capacity])
                }
            }
        }
    }

    public func remove(device: DeviceKey, account: String) throws(DeviceRegistryError) {
        try run("write") {
            try database.write { db in
                try db.execute(
                    sql: "DELETE FROM device_records WHERE device = ? AND account = ?", arguments: [device.hex, account])
            }
        }
    }

    public func removeRecords(lastSeenBefore cutoff: Timestamp) throws(DeviceRegistryError) -> Int {
        try run("write") {
            try database.write { db in
                try db.execute(sql: "DELETE FROM device_records WHERE last_seen < ?", arguments: [cutoff.secondsSinceEpoch])
                return db.changesCount
            }
        }
    }

    public func count() throws(DeviceRegistryError) -> Int {
        try run("read") {
            try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device_records") ?? 0 }
        }
    }
}
