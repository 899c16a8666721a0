// The driver's logic without NIO or sockets: the deadlines, the message spool's
// back-pressure and the AUTH gate are values the handler only interprets.

import ClientIDPolicy
import DeviceRegistrySQLite
import SMTPSession
import XCTest

@testable import ClientIDServer

final class DeadlinesTests: XCTestCase {
    private let settings = Deadlines.Settings(
        idleTimeout: .seconds(300), commandTimeout: .seconds(60), minimumDataRate: 500, dataRateGrace: .seconds(60))

    func testIdleTimeoutRunsFromTheLastRead() {
        var d = Deadlines(settings: settings, now: .zero)
        XCTAssertEqual(d.nextDue, .seconds(300))
        d.read(10, at: .seconds(100))
        XCTAssertEqual(d.nextDue, .seconds(400))
        XCTAssertNil(d.expired(at: .seconds(399)))
        XCTAssertEqual(d.expired(at: .seconds(400)), .idle)
    }

    func testAPartialLineMustEndWithinTheCommandTimeout() {
        var d = Deadlines(settings: settings, now: .zero)
        d.phaseChanged(to: .restOfLine, at: .seconds(10))
        // A byte now and then keeps the idle timer away, not the command deadline.
        for t in stride(from: 20, through: 60, by: 10) { d.read(1, at: .seconds(Int64(t))) }
        XCTAssertEqual(d.nextDue, .seconds(70))
        XCTAssertEqual(d.expired(at: .seconds(70)), .command)
        // A line that ended in time clears it.
        var e = Deadlines(settings: settings, now: .zero)
        e.phaseChanged(to: .restOfLine, at: .seconds(10))
        e.phaseChanged(to: .nextCommand, at: .seconds(20))
        XCTAssertNil(e.expired(at: .seconds(71)))
    }

    func testContentMustKeepTheMinimumRateAfterTheGrace() {
        var d = Deadlines(settings: settings, now: .zero)
        d.phaseChanged(to: .content, at: .zero)
        // Grace 60 s, then one octet more than has come at 500 octets a second.
        XCTAssertEqual(d.nextDue, .seconds(60) + .milliseconds(2))
        d.read(5_000, at: .seconds(50))
        XCTAssertEqual(d.nextDue, .seconds(70) + .milliseconds(2))
        XCTAssertNil(d.expired(at: .seconds(70)))
        XCTAssertEqual(d.expired(at: .seconds(71)), .dataRate)
        // Back to commands: no rate any more.
        d.phaseChanged(to: .nextCommand, at: .seconds(60))
        XCTAssertEqual(d.nextDue, .seconds(350))
    }

    func testNoClientDeadlineWhileTheServerIsBusy() {
        var d = Deadlines(settings: settings, now: .zero)
        d.phaseChanged(to: .driverAnswer, at: .seconds(1))
        XCTAssertNil(d.expired(at: .seconds(1_000)), "a slow credential check or delivery is not the client's idleness")
        XCTAssertEqual(d.nextDue, .seconds(1_300), "the idle clock restarts when the server is done")
        var paused = Deadlines(settings: settings, now: .zero)
        paused.readingPaused = true
        XCTAssertNil(paused.expired(at: .seconds(1_000)), "reading paused by the server's own back-pressure")
    }

    func testTheTimerIsArmedAtMostAWatchIntervalAhead() {
        let d = Deadlines(settings: settings, now: .zero)
        XCTAssertEqual(d.watchInterval, .seconds(60))
        XCTAssertEqual(d.wakeUp(now: .zero), .seconds(60), "no deadline a read sets is sooner")
        let tiny = Deadlines(
            settings: .init(idleTimeout: .seconds(300), commandTimeout: .seconds(60), minimumDataRate: 500, dataRateGrace: .zero),
            now: .zero)
        XCTAssertEqual(tiny.watchInterval, .seconds(1), "never a spinning timer")
    }
}

final class MessageSpoolTests: XCTestCase {
    func testContentGoesToTheDiskAChunkAtATime() {
        var spool = MessageSpool(queueID: "Q")
        let piece = [UInt8](repeating: 0x61, count: 40 * 1024)
        XCTAssertNil(spool.append(piece), "less than a chunk is held")
        let chunk = spool.append(piece)
        XCTAssertEqual(chunk?.count, 80 * 1024, "a chunk as soon as there is one")
        XCTAssertEqual(spool.writing, 80 * 1024)
        XCTAssertEqual(spool.held, 80 * 1024, "in flight, not in the spool's buffer")
        spool.written(80 * 1024, success: true)
        XCTAssertEqual(spool.held, 0)
        XCTAssertEqual(spool.peak, 80 * 1024)
    }

    func testReadingPausesWhileTwoChunksWaitAndResumesAtOne() {
        var spool = MessageSpool(queueID: "Q")
        let full = [UInt8](repeating: 0x61, count: MessageSpool.chunkSize)
        XCTAssertNotNil(spool.append(full))
        XCTAssertFalse(spool.shouldPauseReading)
        XCTAssertNotNil(spool.append(full))
        XCTAssertTrue(spool.shouldPauseReading, "two chunks wait for the disk")
        spool.written(MessageSpool.chunkSize, success: true)
        XCTAssertTrue(spool.mayResumeReading)
    }

    func testAFailedWriteKeepsNothingMore() {
        var spool = MessageSpool(queueID: "Q")
        let full = [UInt8](repeating: 0x61, count: MessageSpool.chunkSize)
        let chunk = spool.append(full)!
        spool.written(chunk.count, success: false)
        XCTAssertTrue(spool.failed)
        XCTAssertNil(spool.append(full))
        XCTAssertEqual(spool.held, 0)
        XCTAssertEqual(spool.takeRest(), [])
    }
}

final class AuthGateTests: XCTestCase {
    private func gate(_ configure: (inout PolicyConfiguration) -> Void = { _ in }) throws -> AuthGate {
        var users = UserStore()
        try users.add(development: "alice:secret", iterations: 1_000)
        var policy = PolicyConfiguration()
        policy.limits.perIP.maxAuthFailures = 3
        configure(&policy)
        let engine = ClientIDPolicyEngine(
            configuration: policy, registry: InMemoryDeviceRegistry(),
            keys: HMACDeviceKeys(secret: Array(repeating: 7, count: 32)),
            throttle: AuthThrottle(baseDelay: .milliseconds(100), maxDelay: .seconds(1)))
        return AuthGate(policy: engine, users: users)
    }

    private func request(_ user: String, _ password: String, device: String? = nil) -> AuthenticationRequest {
        AuthenticationRequest(
            mechanism: .plain, authorizationIdentity: nil, username: user, password: Array(password.utf8),
            clientIdentity: device.map { ClientIdentity(type: "UUID", token: $0) }, tls: true)
    }

    func testWrongPasswordsSlowDownThenLockTheAddressOut() throws {
        let g = try gate()
        let attacker = IPAddress("192.0.2.66")!
        var outcomes: [(AuthenticationOutcome, Duration)] = []
        for n in 1...3 {
            XCTAssertNil(g.admit(address: attacker), "attempt \(n) is checked")
            let v = g.check(request("alice", "guess\(n)"), connection: ConnectionID(UInt64(n)), address: attacker)
            outcomes.append((v.outcome, v.delay))
        }
        XCTAssertEqual(outcomes.map(\.0), [.rejected, .rejected, .tooManyFailures], "the third failure closes (421)")
        XCTAssertEqual(outcomes.map(\.1), [.milliseconds(100), .milliseconds(200), .milliseconds(400)], "doubling (D18)")
        XCTAssertEqual(g.admit(address: attacker)?.outcome, .tooManyFailures, "then not even checked")
        // The lockout is the attacker's address's, not the account's.
        XCTAssertNil(g.admit(address: IPAddress("198.51.100.7")!))
        XCTAssertEqual(
            g.check(request("alice", "secret"), connection: ConnectionID(9), address: IPAddress("198.51.100.7")!).outcome,
            .accepted)
    }

    func testAPolicyRefusalLooksLikeAWrongPassword() throws {
        // Two fresh engines, so that the counts before each attempt are the same.
        let refused = try gate { $0.acl.denyTypes = ["UUID"] }.check(
            request("alice", "secret", device: "d-1"), connection: ConnectionID(1), address: IPAddress("192.0.2.1")!)
        let wrong = try gate().check(request("alice", "nope"), connection: ConnectionID(1), address: IPAddress("192.0.2.1")!)
        XCTAssertEqual(refused.outcome, .rejected)
        XCTAssertEqual(wrong.outcome, .rejected)
        XCTAssertEqual(refused.delay, wrong.delay, "the same wait (D18)")
        XCTAssertEqual(refused.events.first?.rule, .typeDenied, "the rule is in the audit event only")
    }

    func testProxyAuthorizationIsRefused() throws {
        let g = try gate()
        var proxied = request("alice", "secret")
        proxied.authorizationIdentity = "bob"
        XCTAssertEqual(g.check(proxied, connection: ConnectionID(1), address: IPAddress("192.0.2.1")!).outcome, .rejected)
    }
}
