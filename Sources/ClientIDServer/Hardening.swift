// Defences that need state shared by every connection: the AUTH brute-force
// throttle (per address, per account, per CLIENTID device) and counters tests and
// operators can read. Per-connection deadlines live in ConnectionHandler.

import ClientIDPolicy
import NIOCore
import Synchronization

/// Failed AUTH attempts in a sliding window, per address, per account name and per
/// device (the keyed hash of the CLIENTID, D20, never the token). Each failure makes
/// the next `535` wait longer (the base delay doubled per recent failure, up to a cap);
/// at the limit the answer is `421` and close, and further AUTH attempts matching any of
/// the keys get `421` without a password check, so a brute force costs the server
/// nothing. The delay is a scheduled task on the connection's event loop: no thread waits.
final class AuthFailureThrottle: Sendable {
    enum Key: Hashable, Sendable {
        case address(IPAddress)
        case account(String)
        case device(DeviceKey)
    }

    private struct State {
        var failures: [Key: [NIODeadline]] = [:]
    }

    private let state = Mutex(State())
    let settings: ServerConfiguration.AuthThrottle
    let baseDelay: Duration
    /// Keys kept at most; beyond it those whose last failure is oldest go (an attacker
    /// spraying account names cannot grow the table without bound).
    let maxKeys: Int

    init(settings: ServerConfiguration.AuthThrottle, baseDelay: Duration, maxKeys: Int = 65_536) {
        self.settings = settings
        self.baseDelay = baseDelay
        self.maxKeys = maxKeys
    }

    /// The most recent failures of any of `keys` within the window.
    func failures(_ keys: [Key], now: NIODeadline = .now()) -> Int {
        let since = now - TimeAmount(settings.window)
        return state.withLock { state in
            keys.map { key in state.failures[key]?.reduce(0) { $0 + ($1 >= since ? 1 : 0) } ?? 0 }.max() ?? 0
        }
    }

    /// Whether `keys` are over the limit (the attempt is not even checked).
    func isLockedOut(_ keys: [Key], now: NIODeadline = .now()) -> Bool {
        settings.maxFailures > 0 && failures(keys, now: now) >= settings.maxFailures
    }

    /// Records one failure for every key; returns the failure count that now applies.
    @discardableResult
    func recordFailure(_ keys: [Key], now: NIODeadline = .now()) -> Int {
        // Enough times per key for the lockout and for the delay to reach its cap (16 doublings).
        let keep = max(settings.maxFailures, 16) + 1
        state.withLock { state in
            for key in keys {
                var list = state.failures[key] ?? []
                list.append(now)
                if list.count > keep { list.removeFirst(list.count - keep) }
                state.failures[key] = list
            }
            if state.failures.count > maxKeys {
                let victims = state.failures.sorted { ($0.value.last ?? now) < ($1.value.last ?? now) }
                    .prefix(state.failures.count - maxKeys + maxKeys / 8)
                for (key, _) in victims { state.failures[key] = nil }
            }
        }
        return failures(keys, now: now)
    }

    /// A successful AUTH clears its account's count (a user who mistyped is not slowed
    /// down later); the address and device counts stay until the window passes.
    func recordSuccess(account: String) {
        _ = state.withLock { $0.failures.removeValue(forKey: .account(account)) }
    }

    /// The wait before the reply to an attempt when `failures` have happened recently
    /// (this one included): base, 2×base, 4×base… up to `maxDelay`.
    func delay(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return baseDelay }
        var delay = baseDelay
        for _ in 1..<min(failures, 32) {
            delay *= 2
            if delay >= settings.maxDelay { return max(settings.maxDelay, baseDelay) }
        }
        return delay
    }

    /// Expired entries go (called with the hourly upkeep).
    func prune(now: NIODeadline = .now()) {
        let since = now - TimeAmount(settings.window)
        state.withLock { state in
            state.failures = state.failures.compactMapValues { list in
                let kept = list.filter { $0 >= since }
                return kept.isEmpty ? nil : kept
            }
        }
    }

    var trackedKeys: Int { state.withLock { $0.failures.count } }
}

/// Counters for tests and logs.
public final class ServerStatistics: Sendable {
    private let peakBuffered = Atomic<Int>(0)
    private let refusedAuth = Atomic<Int>(0)

    /// The most message content any connection has held in memory at once.
    public var peakMessageBytes: Int { peakBuffered.load(ordering: .relaxed) }
    /// AUTH attempts answered `421` by the brute-force throttle.
    public var throttledAuthAttempts: Int { refusedAuth.load(ordering: .relaxed) }

    func noteMessageBuffer(_ count: Int) {
        var current = peakBuffered.load(ordering: .relaxed)
        while count > current {
            let (exchanged, original) = peakBuffered.compareExchange(
                expected: current, desired: count, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    func noteThrottledAuth() { refusedAuth.add(1, ordering: .relaxed) }
}
