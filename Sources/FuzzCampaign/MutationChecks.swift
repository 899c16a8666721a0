// The checks a mutant must survive: one XCTest class at a time of the
// parser's test targets, and a short libFuzzer run (corpus and regressions
// replayed, then fuzzing) of each chosen harness. A check runs in its own
// process with the mutant chosen by SMTP_MUTANT, and stops at its first
// failure: the mutant is killed, nothing more needs running.

import Foundation
import FuzzProperties

public struct MutationCheck: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case xctest, fuzz }
    public var kind: Kind
    /// `Module.Class` for XCTest, the target's name for a fuzz run.
    public var name: String

    public init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    public var label: String { kind == .xctest ? name : "fuzz \(name)" }
}

/// How one run of a check ended.
public struct CheckOutcome: Sendable {
    public var failed: Bool
    public var timedOut: Bool
    /// For a failure: the failing test, or the fuzz target's phase and symptom.
    public var detail: String
    public var seconds: Double
    /// XCTest: the test that was running when it failed (`Class.testName`).
    public var test: String?
}

/// Starts checks for one instrumented build.
public struct CheckRunner: Sendable {
    public var testBundle: String
    /// fuzz target name → harness binary.
    public var harnesses: [String: String]
    public var packageRoot: String
    public var corpus: String
    public var fuzzSeconds: Int
    public var scratch: String

    var knownSymptoms: String { KnownFailures.symptoms(corpus: corpus).joined(separator: ",") }

    func environment(mutant: Int, trace: String?) -> [String: String] {
        var env = [
            "SMTP_MUTANT": "\(mutant)",
            // Swift's backtracer takes seconds per crash and confuses ASan.
            "SWIFT_BACKTRACE": "enable=no",
            "SMTP_FUZZ_PACKAGE_ROOT": packageRoot,
            "SMTP_FUZZ_IGNORE": knownSymptoms,
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:symbolize=0",
        ]
        if let trace { env["SMTP_MUTANT_TRACE"] = trace }
        return env
    }

    func arguments(_ check: MutationCheck, work: String) -> (String, [String]) {
        switch check.kind {
        case .xctest:
            return (testBundle, [check.name])
        case .fuzz:
            let target = FuzzTarget(rawValue: check.name) ?? .parser
            var args = [
                work + "/new", "\(corpus)/Regressions/\(check.name)", "\(corpus)/\(check.name)",
                "-max_len=\(CampaignConfiguration.maxLength(target))", "-seed=1", "-max_total_time=\(fuzzSeconds)",
                "-timeout=5", "-rss_limit_mb=2048", "-detect_leaks=0", "-artifact_prefix=\(work)/",
                "-print_final_stats=0",
            ]
            let dict = "\(corpus)/\(check.name).dict"
            if FileManager.default.fileExists(atPath: dict) { args.append("-dict=\(dict)") }
            return (harnesses[check.name] ?? "/nonexistent", args)
        }
    }

    /// Runs one check with `mutant` on (0: none). `trace`: file for the reached sites.
    /// `testLimit`: for XCTest, the longest a single test (`Class.testName`) may run, so
    /// a mutant that hangs one test of a batch is caught at that test's own limit.
    public func run(
        _ check: MutationCheck, mutant: Int, timeout: Double, trace: String? = nil, testLimit: ((String) -> Double)? = nil
    ) throws -> CheckOutcome {
        let fm = FileManager.default
        let work = "\(scratch)/run-\(UUID().uuidString.prefix(8))"
        try fm.createDirectory(atPath: work + "/new", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }
        let (executable, arguments) = self.arguments(check, work: work)
        let started = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        process.environment = ProcessInfo.processInfo.environment.merging(environment(mutant: mutant, trace: trace)) { $1 }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let state = CheckOutputState(kind: check.kind)
        let collector = LineCollector(onLine: { line in _ = state.read(line) })
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { collector.append(data) }
        }
        try process.run()
        var timedOut = false
        var hungTest: String?
        while process.isRunning {
            // The first failing assertion decides: stop the class's other tests. Stopped
            // here, not from the output handler: that can run before `run()` has returned,
            // and Process.terminate() traps on a process it does not yet count as launched.
            // SIGKILL, not SIGTERM: a check started from a dispatch worker thread inherits
            // its signal mask, which blocks SIGTERM, so the tests would run on (forever, for
            // a mutant that loops after failing an assertion).
            if check.kind == .xctest, state.hasFailed {
                kill(process.processIdentifier, SIGKILL)
                break
            }
            if let testLimit, let (test, since) = state.running, Date().timeIntervalSince(since) > testLimit(test) {
                hungTest = test
            }
            if hungTest != nil || Date().timeIntervalSince(started) > timeout {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 1)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        collector.append(pipe.fileHandleForReading.readDataToEndOfFile())
        collector.finish()
        let seconds = Date().timeIntervalSince(started)
        if timedOut {
            return CheckOutcome(failed: true, timedOut: true, detail: "timeout after \(Int(timeout)) s", seconds: seconds)
        }
        let status = process.terminationStatus
        let signaled = process.terminationReason == .uncaughtSignal
        let failed = status != 0 || state.failure != nil
        guard failed else { return CheckOutcome(failed: false, timedOut: false, detail: "", seconds: seconds, test: nil) }
        return CheckOutcome(
            failed: true, timedOut: false, detail: state.describe(status: status, signaled: signaled, output: collector.text),
            seconds: seconds, test: state.failedTest)
    }
}

/// Reads a check's output as it comes: the first failure, and for libFuzzer
/// whether the corpus was loaded (then a failure is the fuzzing's, not the replay's).
final class CheckOutputState: @unchecked Sendable {
    let kind: MutationCheck.Kind
    private let lock = NSLock()
    private(set) var failure: String?
    private var current: (String, Date)?
    private var failedIn: String?
    private var inited = false
    private var failedAfterInit = false

    init(kind: MutationCheck.Kind) { self.kind = kind }

    var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    /// XCTest: the test running now (`Class.testName`) and since when.
    var running: (String, Date)? {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// XCTest: the test that was running at the first failure.
    var failedTest: String? {
        lock.lock()
        defer { lock.unlock() }
        return failedIn ?? current?.0
    }

    /// Returns true on the first failure line.
    func read(_ line: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        switch kind {
        case .xctest:
            // "Test Case 'PathFixtureTests.testAddressLiterals' started at 2026-12-06 10:46:25.890"
            if line.hasPrefix("Test Case '"), line.contains("' started") {
                current = (String(line.dropFirst("Test Case '".count).prefix(while: { $0 != "'" })), Date())
            }
            guard failure == nil else { return false }
            defer { if failure != nil { failedIn = current?.0 } }
            // corelibs-xctest: "/path/File.swift:12: error: Module.Class.testName : XCTAssert... failed"
            if let range = line.range(of: ": error: ") {
                let rest = line[range.upperBound...]
                failure = String(rest.prefix(while: { $0 != " " }))
                return true
            }
            if line.hasPrefix("Test Case '"), line.contains("' failed") {
                failure = String(line.dropFirst("Test Case '".count).prefix(while: { $0 != "'" }))
                return true
            }
            if line.contains("Fatal error:") {
                failure =
                    "trap: " + String(line[line.range(of: "Fatal error:")!.upperBound...]).trimmingCharacters(in: .whitespaces)
                return true
            }
        case .fuzz:
            // "#1123\tINITED cov: ..." once the corpus is loaded.
            if line.contains("\tINITED ") || line.contains(" INITED ") { inited = true }
            if failure == nil,
                line.contains("PROPERTY VIOLATED") || line.contains("ERROR: AddressSanitizer")
                    || line.contains("ERROR: libFuzzer")
                    || line.contains("Fatal error:")
            {
                failure = line
                failedAfterInit = inited
            }
        }
        return false
    }

    func describe(status: Int32, signaled: Bool, output: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        switch kind {
        case .xctest:
            if let failure { return failure }
            return signaled ? "crash (signal \(status))" : "exit \(status)"
        case .fuzz:
            let phase = failure == nil ? (inited ? "fuzzing" : "replay") : (failedAfterInit ? "fuzzing" : "replay")
            let symptom = CrashSignature.parse(output)?.symptom ?? (signaled ? "signal \(status)" : "exit \(status)")
            return "\(phase): \(symptom)"
        }
    }
}
