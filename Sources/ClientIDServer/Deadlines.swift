// The deadlines of one connection, as values: the idle timeout (RFC 5321
// §4.5.3.2.7), the per-command deadline against clients that send a byte now and
// then (slowloris), and the minimum data rate of message content. They follow the
// session's `.reading` phases; the handler arms one timer for `wakeUp(now:)` and asks
// `expired(at:)` when it fires, so no timer is scheduled or cancelled per read.
// No NIO here: times are `Duration`s since any fixed origin.

import SMTPSession

struct Deadlines: Sendable, Equatable {
    struct Settings: Sendable, Equatable {
        var idleTimeout: Duration
        /// A command line that has begun must end within this.
        var commandTimeout: Duration
        /// Octets a second message content must average after `dataRateGrace`; 0: off.
        var minimumDataRate: Int
        var dataRateGrace: Duration
    }

    /// Which deadline passed.
    enum Expiry: Sendable, Equatable {
        case idle, command, dataRate
    }

    let settings: Settings
    private(set) var phase: ReadPhase = .nextCommand
    /// Reading is paused by the driver itself (message writes behind): the client is not idle.
    var readingPaused = false
    private var lastActivity: Duration
    private var commandDeadline: Duration?
    /// Message content: when it began and octets read since.
    private var contentStart: Duration?
    private var contentBytes = 0

    init(settings: Settings, now: Duration) {
        self.settings = settings
        lastActivity = now
    }

    /// Bytes were read.
    mutating func read(_ count: Int, at now: Duration) {
        lastActivity = now
        if contentStart != nil { contentBytes += count }
    }

    /// The session's `.reading` action.
    mutating func phaseChanged(to new: ReadPhase, at now: Duration) {
        phase = new
        switch new {
        case .restOfLine:
            if commandDeadline == nil { commandDeadline = now + settings.commandTimeout }
            contentStart = nil
        case .content:
            commandDeadline = nil
            if contentStart == nil {
                contentStart = now
                contentBytes = 0
            }
        case .nextCommand, .driverAnswer:
            commandDeadline = nil
            contentStart = nil
        }
    }

    /// When message content falls below the minimum rate if nothing more comes: the
    /// grace period, then one octet more than has come at the minimum rate.
    private var rateDeadline: Duration? {
        guard let start = contentStart, settings.minimumDataRate > 0 else { return nil }
        return start + settings.dataRateGrace
            + .nanoseconds((Int64(contentBytes) + 1) * 1_000_000_000 / Int64(settings.minimumDataRate))
    }

    /// The earliest deadline in force.
    var nextDue: Duration {
        var due = lastActivity + settings.idleTimeout
        if let commandDeadline { due = min(due, commandDeadline) }
        if let rate = rateDeadline { due = min(due, rate) }
        return due
    }

    /// How far ahead the timer is armed at most: no deadline a read sets (idle, command,
    /// the first rate check) is sooner, so reads never need to re-arm it. At least a
    /// second, so that a zero grace period does not make it spin.
    var watchInterval: Duration {
        var interval = min(settings.idleTimeout, settings.commandTimeout)
        if settings.minimumDataRate > 0 { interval = min(interval, settings.dataRateGrace) }
        return max(interval, .seconds(1))
    }

    /// When the timer should fire next.
    func wakeUp(now: Duration) -> Duration { min(nextDue, now + watchInterval) }

    /// The timer fired: the deadline that passed, if any. While the server itself is
    /// busy (an answer of the driver's is awaited, or reading is paused) the client is
    /// not idle.
    mutating func expired(at now: Duration) -> Expiry? {
        if let deadline = commandDeadline, now >= deadline {
            commandDeadline = nil
            if phase == .restOfLine { return .command }
        }
        if let deadline = rateDeadline, now >= deadline { return .dataRate }
        if phase == .driverAnswer || readingPaused {
            lastActivity = now
            return nil
        }
        return now >= lastActivity + settings.idleTimeout ? .idle : nil
    }
}
