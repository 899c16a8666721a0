// Reading libFuzzer's and the sanitizers' text output: status lines, final
// stats, crash symptoms and stack frames.

import Foundation

/// One status line: `#123456 NEW cov: 1058 ft: 2475 corp: 294/13394b lim: 405 exec/s: 43690 rss: 222Mb`.
public struct LibFuzzerStatus: Equatable, Sendable {
    public var executions: Int
    public var event: String
    public var coverage: Int
    public var features: Int
    public var corpusFiles: Int
    public var execsPerSecond: Int

    public init(executions: Int, event: String, coverage: Int, features: Int, corpusFiles: Int, execsPerSecond: Int) {
        self.executions = executions
        self.event = event
        self.coverage = coverage
        self.features = features
        self.corpusFiles = corpusFiles
        self.execsPerSecond = execsPerSecond
    }

    public static func parse(_ line: Substring) -> LibFuzzerStatus? {
        guard line.first == "#" else { return nil }
        let words = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, let executions = Int(words[0]) else { return nil }
        var status = LibFuzzerStatus(
            executions: executions, event: String(words[1]), coverage: 0, features: 0, corpusFiles: 0, execsPerSecond: 0)
        var i = 2
        var sawCoverage = false
        while i + 1 < words.count {
            let value = words[i + 1]
            switch words[i] {
            case "cov:": status.coverage = Int(value) ?? 0; sawCoverage = true
            case "ft:": status.features = Int(value) ?? 0
            case "corp:": status.corpusFiles = Int(value.split(separator: "/").first ?? "") ?? 0
            case "exec/s:": status.execsPerSecond = Int(value) ?? 0
            default: i -= 1  // a word without a value (e.g. "L:" pairs, "MS:"): step by one
            }
            i += 2
        }
        return sawCoverage ? status : nil
    }
}

/// A status line of libFuzzer's fork mode (`-fork=N`). The parent process runs N
/// workers, merges what each finished job found, and prints one line per job with
/// totals over every worker so far (FuzzerFork.cpp):
/// `#1863920: cov: 1510 ft: 6201 corp: 1322 exec/s: 26484 oom/timeout/crash: 0/0/1 time: 63s job: 21 dft_time: 0`.
/// `#N` and `cov:`, `ft:`, `corp:`, the counters and `time:` are totals; `exec/s:` is the
/// average of the one job just merged (one worker), so the rate of all workers
/// together is `executions / seconds`. Older libFuzzers print `exec/s` without a colon.
public struct LibFuzzerForkStatus: Equatable, Sendable {
    public var executions: Int
    public var coverage: Int
    public var features: Int
    public var corpusFiles: Int
    /// The average of the job just merged, one worker.
    public var lastJobExecsPerSecond: Int
    public var ooms: Int
    public var timeouts: Int
    public var crashes: Int
    /// Seconds since the parent started.
    public var seconds: Int
    public var job: Int

    public init(
        executions: Int, coverage: Int, features: Int, corpusFiles: Int, lastJobExecsPerSecond: Int, ooms: Int,
        timeouts: Int, crashes: Int, seconds: Int, job: Int
    ) {
        self.executions = executions
        self.coverage = coverage
        self.features = features
        self.corpusFiles = corpusFiles
        self.lastJobExecsPerSecond = lastJobExecsPerSecond
        self.ooms = ooms
        self.timeouts = timeouts
        self.crashes = crashes
        self.seconds = seconds
        self.job = job
    }

    /// Executions per second of all workers together, since the parent started.
    public var execsPerSecond: Int { seconds > 0 ? executions / seconds : executions }

    /// Inputs that crashed, timed out or ran out of memory, over every job.
    public var failures: Int { ooms + timeouts + crashes }

    public static func parse(_ line: Substring) -> LibFuzzerForkStatus? {
        guard line.first == "#" else { return nil }
        let words = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first, first.last == ":", let executions = Int(first.dropLast()) else { return nil }
        var fields: [String: Substring] = [:]
        var i = 1
        while i + 1 < words.count {
            var key = words[i]
            if key.last == ":" { key = key.dropLast() }
            fields[String(key)] = words[i + 1]
            i += 2
        }
        func int(_ key: String, dropping suffix: Character? = nil) -> Int? {
            guard var value = fields[key] else { return nil }
            if let suffix, value.last == suffix { value = value.dropLast() }
            return Int(value)
        }
        let failures = fields["oom/timeout/crash"]?.split(separator: "/").compactMap { Int($0) } ?? []
        guard let coverage = int("cov"), let features = int("ft"), let corpus = int("corp"), failures.count == 3,
            let seconds = int("time", dropping: "s")
        else { return nil }
        return LibFuzzerForkStatus(
            executions: executions, coverage: coverage, features: features, corpusFiles: corpus,
            lastJobExecsPerSecond: int("exec/s") ?? 0, ooms: failures[0], timeouts: failures[1], crashes: failures[2],
            seconds: seconds, job: int("job") ?? 0)
    }
}

/// Reads a fork-mode parent's output line by line. A job's status line counts
/// the failures of the jobs merged before it; a crashed job's `ERROR:` line(s)
/// follow its own status line (`-ignore_crashes=1`), so the crash a line is
/// followed by is added here (Tests/FuzzCampaignTests/Fixtures/README.md).
public struct ForkModeTally: Sendable {
    public private(set) var status: LibFuzzerForkStatus?
    private var crashAfterStatus = false

    public init() {}

    /// Inputs that crashed, timed out or ran out of memory, over every job so far.
    public var failures: Int { (status?.failures ?? 0) + (crashAfterStatus ? 1 : 0) }

    /// Returns true when the line was a status line or a crash report.
    public mutating func read(_ line: Substring) -> Bool {
        if let parsed = LibFuzzerForkStatus.parse(line) {
            status = parsed
            crashAfterStatus = false
            return true
        }
        if line.contains("ERROR:") && !line.hasPrefix("INFO") {
            let before = crashAfterStatus
            crashAfterStatus = true
            return !before
        }
        return false
    }
}

/// What a reproduced crash says about itself.
public struct CrashSignature: Equatable, Sendable, Codable {
    /// Lower-case words joined by "-": the property's symptom, the sanitizer's
    /// error, or the Swift runtime's message.
    public var symptom: String
    /// The first project frames of the stack (mangled names), innermost first.
    public var frames: [String]

    /// Stable across runs and builds of the same code: symptom and frame names, no addresses.
    public var hash: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in ([symptom] + frames).joined(separator: "|").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(String(h, radix: 16).suffix(8)).leftPadded(to: 8)
    }

    public var regressionName: String { "\(symptom)-\(hash)" }

    /// Reads the output of a harness run on one input (stderr and stdout together).
    public static func parse(_ output: String, artifactKind: String = "crash") -> CrashSignature? {
        var symptom: String?
        for line in output.split(separator: "\n") {
            if let range = line.range(of: "PROPERTY VIOLATED [") {
                // "... PROPERTY VIOLATED [parser] round-trip-mismatch: details"
                let rest = line[range.upperBound...]
                if let close = rest.firstIndex(of: "]") {
                    let after = rest[rest.index(after: close)...].drop(while: { $0 == " " })
                    symptom = String(after.prefix(while: { $0 != ":" && $0 != " " }))
                    break
                }
            }
            if symptom == nil, let range = line.range(of: "ERROR: AddressSanitizer: ") {
                symptom = slug(line[range.upperBound...].prefix(while: { $0 != " " }))
            }
            if symptom == nil, line.contains("ERROR: LeakSanitizer") { symptom = "memory-leak" }
            if symptom == nil, line.contains("ERROR: libFuzzer: timeout") { symptom = "timeout" }
            if symptom == nil, line.contains("ERROR: libFuzzer: out-of-memory") { symptom = "out-of-memory" }
            if symptom == nil, let range = line.range(of: "Fatal error: ") {
                symptom = slug(line[range.upperBound...])
            }
        }
        let frames = projectFrames(output)
        if symptom == nil {
            guard output.contains("ERROR: libFuzzer") || output.contains("ERROR: AddressSanitizer") || !frames.isEmpty else {
                return nil
            }
            symptom = artifactKind == "crash" ? "crash" : artifactKind
        }
        return CrashSignature(symptom: symptom!, frames: Array(frames.prefix(3)))
    }

    /// Stack frames of the first stack trace in project code: not libFuzzer,
    /// the sanitizers, the Swift runtime, libc, or the harness's own trap helper.
    public static func projectFrames(_ output: String) -> [String] {
        var frames: [String] = []
        var inTrace = false
        for line in output.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix("#"), let inRange = trimmed.range(of: " in ") else {
                if inTrace && !frames.isEmpty { break }  // only the first trace
                continue
            }
            inTrace = true
            let symbol = trimmed[inRange.upperBound...].prefix(while: { $0 != " " })
            let location = trimmed[inRange.upperBound...].dropFirst(symbol.count)
            let skip = [
                "fuzzer::", "__sanitizer", "__asan", "__interceptor", "__libc", "_start", "main", "LLVMFuzzerTestOneInput",
                "runOrTrap", "assertionFailure", "fatalError", "swift_", "abort", "raise", "gsignal",
            ]
            if skip.contains(where: { symbol.hasPrefix($0) || symbol.contains($0) }) { continue }
            if location.contains("libswiftCore.so") || location.contains("libc.so") || location.contains("libFuzzer") { continue }
            frames.append(String(symbol))
        }
        return frames
    }

    static func slug(_ text: Substring) -> String {
        var words: [String] = []
        var current = ""
        for c in text.lowercased() {
            if c.isLetter || c.isNumber {
                current.append(c)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
            if words.count == 5 { break }
        }
        if !current.isEmpty && words.count < 5 { words.append(current) }
        return words.isEmpty ? "crash" : words.joined(separator: "-")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
