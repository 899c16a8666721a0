// What policy remembers about devices between sessions: which accounts a device
// was used with, when, from which network, and whether the account trusts it.
//
// D20: a device is stored under a keyed hash of its type and token, never the raw
// token, and never beside credentials (draft §7, §9). The persistent store is
// DeviceRegistrySQLite (with HMACDeviceKeys); InMemoryDeviceRegistry is for tests.

import Synchronization

/// A device's key: HMAC-SHA256(server secret, TYPE SP token) in the default derivation.
public struct DeviceKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Lower-case hex of the whole key (the registry's column).
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public init?(hex: String) {
        let h = Array(hex.utf8)
        guard h.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < h.count {
            guard let a = nibble(h[i]), let b = nibble(h[i + 1]) else { return nil }
            out.append(a << 4 | b)
            i += 2
        }
        bytes = out
    }

    /// The first 8 bytes in hex: enough to correlate log lines, useless to recover the token.
    public var fingerprint: String { String(hex.prefix(16)) }

    public var description: String { "device:\(fingerprint)" }
}

/// Turns an identity into its registry key (D20).
public protocol DeviceKeyDerivation: Sendable {
    func key(for identity: ClientIdentity) -> DeviceKey
    /// The key of one account's use of a device: what that account did with it is
    /// counted under it, so that another account's failures with the same claimed
    /// token never reach it (D21: the token is only a claim).
    func key(for identity: ClientIdentity, account: String) -> DeviceKey
}

extension DeviceKeyDerivation {
    /// The key of "TYPE SP token SP account": unambiguous, as a token holds no SP (D2).
    public func key(for identity: ClientIdentity, account: String) -> DeviceKey {
        key(for: ClientIdentity(type: identity.type, token: identity.token + " " + account))
    }
}

/// One (device, account) pair as the registry keeps it.
public struct DeviceRecord: Sendable, Equatable {
    public var device: DeviceKey
    public var account: String
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// The network of the last attempt (draft §6.2 item 4).
    public var lastNetwork: NetworkPrefix?
    /// The account may authenticate from this device (learned, use case 3).
    public var trusted: Bool

    public init(
        device: DeviceKey, account: String, firstSeen: Timestamp, lastSeen: Timestamp,
        lastNetwork: NetworkPrefix?, trusted: Bool
    ) {
        self.device = device
        self.account = account
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.lastNetwork = lastNetwork
        self.trusted = trusted
    }
}

/// Failures of a registry store (I/O, corruption). Policy answers them with a temporary failure.
public struct DeviceRegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A store of device records, bounded in size.
///
/// Contract (the shared test suite checks every store against it):
/// - `save` inserts or replaces the record for (device, account), then, while the
///   store holds more than `capacity` records, removes one: untrusted before trusted,
///   then the oldest `lastSeen`. Trusted devices survive floods of one-off attempts.
/// - `removeRecords(lastSeenBefore:)` removes every record last seen before the cutoff.
/// - Reads return records in ascending `lastSeen` order, ties by account.
public protocol DeviceRegistry: Sendable {
    var capacity: Int { get }
    func record(device: DeviceKey, account: String) throws(DeviceRegistryError) -> DeviceRecord?
    func records(forAccount account: String) throws(DeviceRegistryError) -> [DeviceRecord]
    func records(forDevice device: DeviceKey) throws(DeviceRegistryError) -> [DeviceRecord]
    func save(_ record: DeviceRecord) throws(DeviceRegistryError)
    func remove(device: DeviceKey, account: String) throws(DeviceRegistryError)
    /// Returns how many records were removed.
    func removeRecords(lastSeenBefore cutoff: Timestamp) throws(DeviceRegistryError) -> Int
    func count() throws(DeviceRegistryError) -> Int
}

/// A registry in memory, for tests: same contract, nothing survives the process.
public final class InMemoryDeviceRegistry: DeviceRegistry {
    private struct Key: Hashable {
        let device: DeviceKey
        let account: String
    }

    public let capacity: Int
    private let store = Mutex<[Key: DeviceRecord]>([:])

    public init(capacity: Int = 100_000) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    static func ordered(_ records: some Sequence<DeviceRecord>) -> [DeviceRecord] {
        records.sorted { ($0.lastSeen, $0.account) < ($1.lastSeen, $1.account) }
    }

    public func record(device: DeviceKey, account: String) -> DeviceRecord? {
        store.withLock { $0[Key(device: device, account: account)] }
    }

    public func records(forAccount account: String) -> [DeviceRecord] {
        Self.ordered(store.withLock { Array($0.values.filter { $0.account == account }) })
    }

    public func records(forDevice device: DeviceKey) -> [DeviceRecord] {
        Self.ordered(store.withLock { Array($0.values.filter { $0.device == device }) })
    }

    public func save(_ record: DeviceRecord) {
        store.withLock { store in
            store[Key(device: record.device, account: record.account)] = record
            while store.count > capacity {
                let victim = store.min { a, b in
                    (a.value.trusted ? 1 : 0, a.value.lastSeen, a.value.account) < (
                        b.value.trusted ? 1 : 0, b.value.lastSeen, b.value.account
                    )
                }!
                store[victim.key] = nil
            }
        }
    }

    public func remove(device: DeviceKey, account: String) {
        _ = store.withLock { $0.removeValue(forKey: Key(device: device, account: account)) }
    }

    public func removeRecords(lastSeenBefore cutoff: Timestamp) -> Int {
        store.withLock { store in
            let old = store.filter { $0.value.lastSeen < cutoff }.map(\.key)
            for key in old { store[key] = nil }
            return old.count
        }
    }

    public func count() -> Int { store.withLock { $0.count } }
}
