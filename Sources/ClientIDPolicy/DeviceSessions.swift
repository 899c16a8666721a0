// The per-device state behind the limits of D21: which connections hold an
// authenticated session of a device, and recent refused attempts of one
// account with one device. One protocol, two stores: in memory for one server
// (`InMemoryDeviceSessions`), or the shared registry for several
// (DeviceRegistryPostgres), so that both count exactly the same things: the
// engine calls the same methods at the same points whichever it has.

import Synchronization

/// Where per-device counts live.
///
/// Contract (the shared test suite checks every store against it):
/// - `holdSession` is atomic: with `limit` L, at most L connections hold a device at
///   once, however many ask at the same moment (across servers for a shared store).
/// - A hold is taken only for an authenticated session and ends with it.
public protocol DeviceSessionStore: Sendable {
    /// If fewer than `limit` other connections hold `device`, records that `connection`
    /// (of this server) holds it and returns true; otherwise changes nothing and returns false.
    func holdSession(device: DeviceKey, connection: ConnectionID, limit: Int) throws(DeviceRegistryError) -> Bool
    /// Ends the hold of `connection`, if any. Does not wait for the store (called on event loops).
    func releaseSession(connection: ConnectionID)
    /// How many connections hold `device` (on every server, for a shared store).
    func sessionCount(device: DeviceKey) throws(DeviceRegistryError) -> Int
    /// Records a refused attempt under `device` (an account-and-device key), and forgets
    /// every failure before `cutoff`.
    func recordFailure(device: DeviceKey, at time: Timestamp, forgettingBefore cutoff: Timestamp) throws(DeviceRegistryError)
    /// Refused attempts under `device` at or after `since`.
    func failureCount(device: DeviceKey, since: Timestamp) throws(DeviceRegistryError) -> Int
}

/// A registry that several servers share (DeviceRegistryPostgres): the records and the
/// per-device counts, so that the limits hold across every server, not per process.
/// A server that stops without releasing (a crash) loses its holds after a lease.
public protocol SharedDeviceState: DeviceRegistry, DeviceSessionStore {}

/// Per-device counts of one server, in memory (with a registry that is not shared).
public final class InMemoryDeviceSessions: DeviceSessionStore {
    private struct State {
        var holds: [ConnectionID: DeviceKey] = [:]
        var failures = FailureLog<DeviceKey>()
    }

    private let state = Mutex(State())

    public init() {}

    public func holdSession(device: DeviceKey, connection: ConnectionID, limit: Int) -> Bool {
        state.withLock { state in
            let others = state.holds.reduce(0) { $0 + ($1.value == device && $1.key != connection ? 1 : 0) }
            guard others < limit else { return false }
            state.holds[connection] = device
            return true
        }
    }

    public func releaseSession(connection: ConnectionID) {
        _ = state.withLock { $0.holds.removeValue(forKey: connection) }
    }

    public func sessionCount(device: DeviceKey) -> Int {
        state.withLock { $0.holds.values.reduce(0) { $0 + ($1 == device ? 1 : 0) } }
    }

    public func recordFailure(device: DeviceKey, at time: Timestamp, forgettingBefore cutoff: Timestamp) {
        state.withLock { state in
            state.failures.prune(before: cutoff)
            state.failures.add(device, at: time, keeping: 1_024)
        }
    }

    public func failureCount(device: DeviceKey, since: Timestamp) -> Int {
        state.withLock { $0.failures.count(device, since: since) }
    }
}
