// Brute force across connections: recent AUTH failures per address and per
// account, the lockout they lead to and the growing wait before each refusal.
// The engine owns these counters (docs/server.md, "Who counts what"); this file
// holds the settings and the bounded failure log they are kept in.

/// How the engine slows down and stops guessing.
public struct AuthThrottle: Sendable, Equatable {
    /// The wait before every `535` (D18: the same for a wrong password and a policy
    /// refusal), doubled per recent failure of the address or the account.
    public var baseDelay: Duration = .seconds(2)
    /// The cap of that wait.
    public var maxDelay: Duration = .seconds(30)

    public init(baseDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(30)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before the reply to an attempt when `failures` happened recently (this
    /// one included): base, 2×base, 4×base… up to `maxDelay`.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return baseDelay }
        var delay = baseDelay
        for _ in 1..<min(failures, 32) {
            delay *= 2
            if delay >= maxDelay { return max(maxDelay, baseDelay) }
        }
        return delay
    }
}

/// Recent failure times per key, bounded in keys and in times per key.
struct FailureLog<Key: Hashable & Sendable>: Sendable {
    private(set) var times: [Key: [Timestamp]] = [:]
    let maxKeys: Int

    init(maxKeys: Int = 65_536) { self.maxKeys = maxKeys }

    func count(_ key: Key, since: Timestamp) -> Int {
        times[key]?.reduce(0) { $0 + ($1 >= since ? 1 : 0) } ?? 0
    }

    /// Keeps the newest `keeping` times: enough to know whether a limit is reached.
    mutating func add(_ key: Key, at time: Timestamp, keeping: Int) {
        var list = times[key] ?? []
        list.append(time)
        if list.count > keeping { list.removeFirst(list.count - keeping) }
        times[key] = list
        if times.count > maxKeys {
            // Drop the keys whose last failure is oldest: a spray of new keys cannot grow it.
            let victims = times.sorted { ($0.value.last ?? time) < ($1.value.last ?? time) }.prefix(
                times.count - maxKeys + maxKeys / 8)
            for (k, _) in victims { times[k] = nil }
        }
    }

    mutating func forget(_ key: Key) { times[key] = nil }

    mutating func prune(before cutoff: Timestamp) {
        times = times.compactMapValues { list in
            let kept = list.filter { $0 >= cutoff }
            return kept.isEmpty ? nil : kept
        }
    }

    var keyCount: Int { times.count }
}
