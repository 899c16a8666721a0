// The brute-force throttle's arithmetic, without sockets (the behaviour over sockets:
// HardeningAuthTests.testBruteForceIsThrottledThenRefused).

import ClientIDPolicy
import NIOCore
import XCTest

@testable import ClientIDServer

final class HardeningThrottleTests: XCTestCase {
    private func throttle(maxFailures: Int = 4, maxKeys: Int = 65_536) -> AuthFailureThrottle {
        var settings = ServerConfiguration.AuthThrottle()
        settings.maxFailures = maxFailures
        settings.window = .seconds(60)
        settings.maxDelay = .seconds(1)
        return AuthFailureThrottle(settings: settings, baseDelay: .milliseconds(100), maxKeys: maxKeys)
    }

    func testDelayDoublesUpToTheCap() {
        let t = throttle()
        XCTAssertEqual(
            (1...6).map { t.delay(afterFailures: $0) },
            [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
            ])
        XCTAssertEqual(t.delay(afterFailures: 1_000), .seconds(1))
    }

    func testLockoutPerKeyWithinTheWindow() {
        let t = throttle()
        let now = NIODeadline.now()
        let address = AuthFailureThrottle.Key.address(IPAddress("192.0.2.1")!)
        let keys: [AuthFailureThrottle.Key] = [.account("alice"), address]
        for n in 1...3 { XCTAssertEqual(t.recordFailure(keys, now: now), n) }
        XCTAssertFalse(t.isLockedOut(keys, now: now))
        XCTAssertEqual(t.recordFailure(keys, now: now), 4)
        // Any one shared key is enough.
        XCTAssertTrue(t.isLockedOut([.account("bob"), address], now: now))
        XCTAssertTrue(t.isLockedOut([.account("alice")], now: now))
        XCTAssertFalse(t.isLockedOut([.account("bob")], now: now))
        // The window passes.
        XCTAssertFalse(t.isLockedOut(keys, now: now + .seconds(61)))
        t.prune(now: now + .seconds(61))
        XCTAssertEqual(t.trackedKeys, 0)
    }

    func testSuccessClearsTheAccountOnly() {
        let t = throttle()
        let address = AuthFailureThrottle.Key.address(IPAddress("192.0.2.1")!)
        for _ in 1...2 { t.recordFailure([.account("alice"), address]) }
        t.recordSuccess(account: "alice")
        XCTAssertEqual(t.failures([.account("alice")]), 0)
        XCTAssertEqual(t.failures([address]), 2)
    }

    func testTheKeyTableIsBounded() {
        let t = throttle(maxKeys: 64)
        for i in 0..<1_000 { t.recordFailure([.account("spray-\(i)")]) }
        XCTAssertLessThanOrEqual(t.trackedKeys, 64)
        XCTAssertEqual(t.failures([.account("spray-999")]), 1, "the newest key is kept")
    }
}
