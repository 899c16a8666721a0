import ClientIDPolicy
import Foundation
import Synchronization
import XCTest

/// A registry that can be slow (a PostgreSQL server far away or stalled) must
/// not stall the calls a server makes on its event loop: connection opened,
/// CLIENTID seen, identity discarded, connection closed. The engine's state
/// lock is never held across a registry call; only AUTH decisions wait for
/// one another.
final class SlowRegistryTests: XCTestCase {
    func testConnectionCallsGoOnWhileAnAuthDecisionWaitsForTheRegistry() throws {
        let registry = StallingRegistry()
        let engine = ClientIDPolicyEngine(registry: registry, keys: testKeys, clock: ManualClock())
        _ = engine.connectionOpened(ConnectionID(1), address: home)
        _ = engine.clientIdentified(ConnectionID(1), identity: uuid(1))

        let decided = Mutex<AuthenticationDecision?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let decision = engine.authenticate(
                AuthenticationAttempt(
                    connection: ConnectionID(1), account: "test", credentialsValid: true, identity: uuid(1), address: home))
            decided.withLock { $0 = decision }
            done.signal()
        }.start()
        XCTAssertEqual(registry.entered.wait(timeout: .now() + 10), .success, "the decision never reached the registry")

        // Another connection comes and goes while the registry is stalled.
        _ = engine.connectionOpened(ConnectionID(2), address: office)
        _ = engine.clientIdentified(ConnectionID(2), identity: uuid(2))
        engine.clientIdentityDiscarded(ConnectionID(2))
        engine.connectionClosed(ConnectionID(2))
        XCTAssertFalse(
            registry.stallEnded, "the connection calls waited for the stalled registry (its 5 s stall ran out first)")
        XCTAssertNil(decided.withLock { $0 }, "the decision finished before the registry answered")

        registry.release()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(decided.withLock { $0 }?.verdict, .allow)
        XCTAssertEqual(engine.connectionOpened(ConnectionID(3), address: home), .accepted)
    }
}

/// An in-memory registry whose record lookup waits, the first time, until
/// `release()` (or 5 s, so that a test that got it wrong still ends).
final class StallingRegistry: DeviceRegistry, @unchecked Sendable {
    let inner = InMemoryDeviceRegistry()
    let entered = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)
    private let stalled = Mutex(false)
    private let ended = Mutex(false)

    var stallEnded: Bool { ended.withLock { $0 } }
    func release() { gate.signal() }

    var capacity: Int { inner.capacity }
    func record(device: DeviceKey, account: String) throws(DeviceRegistryError) -> DeviceRecord? {
        let first = stalled.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            entered.signal()
            _ = gate.wait(timeout: .now() + 5)
            ended.withLock { $0 = true }
        }
        return try inner.record(device: device, account: account)
    }
    func records(forAccount account: String) throws(DeviceRegistryError) -> [DeviceRecord] {
        try inner.records(forAccount: account)
    }
    func records(forDevice device: DeviceKey) throws(DeviceRegistryError) -> [DeviceRecord] {
        try inner.records(forDevice: device)
    }
    func save(_ record: DeviceRecord) throws(DeviceRegistryError) { try inner.save(record) }
    func remove(device: DeviceKey, account: String) throws(DeviceRegistryError) {
        try inner.remove(device: device, account: account)
    }
    func removeRecords(lastSeenBefore cutoff: Timestamp) throws(DeviceRegistryError) -> Int {
        try inner.removeRecords(lastSeenBefore: cutoff)
    }
    func count() throws(DeviceRegistryError) -> Int { try inner.count() }
}
