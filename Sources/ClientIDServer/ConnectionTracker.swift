// The open connections of this server: the total limit (a limit of this
// server's resources; per-address counts belong to the policy engine), the list
// shutdown walks, and counters for tests and operators.

import NIOCore
import SMTPSession
import Synchronization

final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())
    /// 0: no limit.
    private let maxTotal: Int

    init(maxTotal: Int) {
        self.maxTotal = maxTotal
    }

    /// Registers `channel`, or says why the session must refuse it.
    func open(_ channel: any Channel) -> SMTPSession.Refusal? {
        state.withLock { state in
            if state.shuttingDown { return .shuttingDown }
            if maxTotal > 0 && state.channels.count >= maxTotal { return .tooManyConnections }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
    }

    func close(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Refuses new connections from now on; returns the open ones.
    func beginShutdown() -> [any Channel] {
        state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
    }

    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }
}

/// Counters for tests and logs.
public final class ServerStatistics: Sendable {
    private let peakBuffered = Atomic<Int>(0)
    private let refusedAuth = Atomic<Int>(0)

    /// The most message content any connection has held in memory at once.
    public var peakMessageBytes: Int { peakBuffered.load(ordering: .relaxed) }
    /// AUTH attempts answered `421` by the brute-force lockout.
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
