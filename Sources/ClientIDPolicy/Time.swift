// Time for policy: wall-clock seconds (records outlive restarts), read through an
// injectable clock so tests are deterministic.

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds since 1970-01-01T00:00:00Z.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }
    public static func + (t: Timestamp, d: PolicyDuration) -> Timestamp {
        Timestamp(secondsSinceEpoch: t.secondsSinceEpoch + d.seconds)
    }
    public static func - (t: Timestamp, d: PolicyDuration) -> Timestamp {
        Timestamp(secondsSinceEpoch: t.secondsSinceEpoch - d.seconds)
    }

    /// RFC 3339 `full-date` ("2027-01-31", midnight UTC) or `date-time` in UTC or with an
    /// offset ("2027-01-31T12:00:00Z", "2027-01-31T13:00:00+01:00"); fractions are ignored.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 10, b[4] == 0x2D, b[7] == 0x2D, let year = number(0..<4), let month = number(5..<7),
            let day = number(8..<10),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Self.daysFromCivil(year: year, month: month, day: day) * 86_400
        if b.count > 10 {
            guard b.count >= 20, b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20, b[13] == 0x3A, b[16] == 0x3A,
                let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
                hour < 24, minute < 60, second < 61
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            var i = 19
            if b[i] == 0x2E {  // fraction
                i += 1
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            }
            guard i < b.count else { return nil }
            if b[i] == 0x5A || b[i] == 0x7A {  // Z
                guard i + 1 == b.count else { return nil }
            } else {
                guard b[i] == 0x2B || b[i] == 0x2D, i + 6 == b.count, b[i + 3] == 0x3A,
                    let oh = number((i + 1)..<(i + 3)), let om = number((i + 4)..<(i + 6))
                else { return nil }
                let offset = oh * 3600 + om * 60
                seconds += b[i] == 0x2B ? -offset : offset
            }
        }
        self.init(secondsSinceEpoch: seconds)
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public var description: String {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400
        let rest = secondsSinceEpoch - days * 86_400
        // civil_from_days
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}

/// A length of time in whole seconds. Policy files write it as seconds (`900`) or
/// with a unit: `30s`, `15m`, `24h`, `30d`, `2w`.
public struct PolicyDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }
    public static func seconds(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n) }
    public static func minutes(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n * 60) }
    public static func hours(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n * 3600) }
    public static func days(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n * 86_400) }
    public static func < (a: PolicyDuration, b: PolicyDuration) -> Bool { a.seconds < b.seconds }

    public init?(parsing text: String) {
        guard let last = text.last else { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = units[last], let n = Int64(text.dropLast()), n >= 0 {
            self.init(seconds: n * unit)
        } else if let n = Int64(text), n >= 0 {
            self.init(seconds: n)
        } else {
            return nil
        }
    }

    public var description: String {
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)]
        where seconds > 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

/// Where policy reads the time.
public protocol PolicyClock: Sendable {
    func now() -> Timestamp
}

/// The system's wall clock.
public struct SystemClock: PolicyClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(secondsSinceEpoch: Int64(ts.tv_sec))
    }
}

/// A clock that moves only when told to (tests).
public final class ManualClock: PolicyClock {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(secondsSinceEpoch: 1_800_000_000)) { current = Mutex(start) }
    public func now() -> Timestamp { current.withLock { $0 } }
    public func advance(by duration: PolicyDuration) { current.withLock { $0 = $0 + duration } }
    public func set(_ time: Timestamp) { current.withLock { $0 = time } }
}
