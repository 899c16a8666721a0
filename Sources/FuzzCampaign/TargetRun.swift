// One target's fuzzing: a libFuzzer process, restarted after each crash until
// the target's time is used, with its status lines read as they come.

import Foundation
import FuzzProperties

final class TargetRun: @unchecked Sendable {
    let target: FuzzTarget
    let binary: String
    let workDirectory: String
    let arguments: [String]
    let environment: [String: String]
    let duration: Int

    private let lock = NSLock()
    private var process: Process?
    private var log: FileHandle?
    private(set) var started: Date?
    private var deadline = Date.distantFuture
    private var executionsBefore = 0
    private var latest: LibFuzzerStatus?
    private var best = LibFuzzerStatus(executions: 0, event: "", coverage: 0, features: 0, corpusFiles: 0, execsPerSecond: 0)
    private var sawInited = false
    private(set) var finished = false
    private(set) var restarts = 0
    private(set) var crashes = 0
    /// Seconds of this target's fuzzing before its first crash.
    private(set) var firstCrash: Double?
    private(set) var stoppedEarly: String?
    private(set) var samples: [TimelineSample] = []
    private let campaignStart: Date

    /// CPU seconds of the harness processes (user + system, and reaped children for
    /// fork mode), read from /proc while they run; nil where /proc is missing.
    private var cpuBefore = 0.0
    private var cpuCurrent = 0.0
    private var cpuKnown = false

    var newCorpus: String { workDirectory + "/corpus" }
    var artifacts: String { workDirectory + "/artifacts" }

    /// Fork mode's worker count, nil for one process.
    let forkJobs: Int?
    private var fork = ForkModeTally()

    init(
        target: FuzzTarget, binary: String, workDirectory: String, seeds: String, dictionary: String?, duration: Int,
        detectLeaks: Bool, environment: [String: String], campaignStart: Date, forkJobs: Int? = nil
    ) {
        self.target = target
        self.binary = binary
        self.workDirectory = workDirectory
        self.duration = duration
        self.environment = environment
        self.campaignStart = campaignStart
        self.forkJobs = forkJobs
        arguments = Self.arguments(
            target: target, workDirectory: workDirectory, seeds: seeds, dictionary: dictionary, detectLeaks: detectLeaks,
            forkJobs: forkJobs)
    }

    /// libFuzzer's arguments but `-max_total_time`. New inputs go into the first
    /// folder (in fork mode the parent merges every worker's finds there: one corpus).
    static func arguments(
        target: FuzzTarget, workDirectory: String, seeds: String, dictionary: String?, detectLeaks: Bool, forkJobs: Int?
    ) -> [String] {
        var args = [
            workDirectory + "/corpus", seeds,
            "-max_len=\(CampaignConfiguration.maxLength(target))",
            "-artifact_prefix=\(workDirectory)/artifacts/",
            "-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048",
            "-detect_leaks=\(detectLeaks ? 1 : 0)",
        ]
        if let dictionary { args.append("-dict=\(dictionary)") }
        if let forkJobs {
            // Keep fuzzing after a crash (each worker saves its artifact and the parent
            // counts it), as the single-process mode does by restarting.
            args += ["-fork=\(forkJobs)", "-ignore_crashes=1"]
        }
        return args
    }

    /// Starts (or restarts) the process with the time that is left.
    func launch(now: Date = Date()) throws {
        lock.lock()
        defer { lock.unlock() }
        if started == nil {
            started = now
            deadline = now.addingTimeInterval(TimeInterval(duration))
            try FileManager.default.createDirectory(atPath: newCorpus, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: workDirectory + "/fuzz.log", contents: nil)
            log = FileHandle(forWritingAtPath: workDirectory + "/fuzz.log")
        }
        let remaining = max(1, Int(deadline.timeIntervalSince(now).rounded()))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["-max_total_time=\(remaining)"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let collector = LineCollector(onLine: { [weak self] line in self?.read(line) })
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { collector.append(data) }
        }
        sawInited = false
        latest = nil
        log?.write(Data("$ \(binary) \(process.arguments!.joined(separator: " "))\n".utf8))
        try process.run()
        self.process = process
    }

    private func read(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        log?.write(Data((line + "\n").utf8))
        if line.contains("Test unit written to") {
            crashes += 1
            if firstCrash == nil, let started { firstCrash = Date().timeIntervalSince(started) }
        }
        if forkJobs != nil, fork.read(line[...]) {
            readFork()
            return
        }
        guard let status = LibFuzzerStatus.parse(line[...]) else { return }
        if status.event == "INITED" { sawInited = true }
        latest = status
        best.coverage = max(best.coverage, status.coverage)
        best.features = max(best.features, status.features)
        best.corpusFiles = max(best.corpusFiles, status.corpusFiles)
        best.execsPerSecond = status.execsPerSecond
        best.executions = executionsBefore + status.executions
        let seconds = Date().timeIntervalSince(campaignStart)
        if let last = samples.last, seconds - last.seconds < 1, last.coverage == best.coverage { return }
        samples.append(
            TimelineSample(
                seconds: seconds, coverage: best.coverage,
                features: best.features, corpusFiles: best.corpusFiles, executions: best.executions))
    }

    /// Fork mode: the parent's totals over all workers. Its workers' own status lines
    /// go to their logs, so crashes are counted from the parent's tally.
    private func readFork() {
        sawInited = true
        if fork.failures > 0 {
            crashes = forkCrashesBefore + fork.failures
            if firstCrash == nil, let started { firstCrash = Date().timeIntervalSince(started) }
        }
        guard let status = fork.status else { return }
        latest = LibFuzzerStatus(
            executions: status.executions, event: "FORK", coverage: status.coverage, features: status.features,
            corpusFiles: status.corpusFiles, execsPerSecond: status.execsPerSecond)
        best.coverage = max(best.coverage, status.coverage)
        best.features = max(best.features, status.features)
        best.corpusFiles = max(best.corpusFiles, status.corpusFiles)
        best.execsPerSecond = status.execsPerSecond
        best.executions = executionsBefore + status.executions
        samples.append(
            TimelineSample(
                seconds: Date().timeIntervalSince(campaignStart), coverage: best.coverage, features: best.features,
                corpusFiles: best.corpusFiles, executions: best.executions))
    }

    /// Failures counted by fork-mode parents that ended before this one.
    private var forkCrashesBefore = 0

    /// utime + stime + cutime + cstime of a process, in seconds (Linux /proc).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3; utime..cstime are fields 14-17.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return nil }
        let ticks = fields[11...14].compactMap { Double($0) }.reduce(0, +)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private func sampleCPU() {
        guard let process, process.isRunning, let seconds = Self.cpuSeconds(pid: process.processIdentifier) else { return }
        cpuCurrent = seconds
        cpuKnown = true
    }

    /// Checks the process; restarts it after a crash while time is left. Returns true when the target is done.
    func poll(now: Date = Date()) throws -> Bool {
        lock.lock()
        guard !finished else { lock.unlock(); return true }
        sampleCPU()
        guard let process, !process.isRunning else { lock.unlock(); return false }
        process.waitUntilExit()
        cpuBefore += cpuCurrent
        cpuCurrent = 0
        executionsBefore += latest?.executions ?? 0
        forkCrashesBefore += fork.failures
        fork = ForkModeTally()
        let status = process.terminationStatus
        let timeLeft = deadline.timeIntervalSince(now)
        var restart = false
        if status != 0 && timeLeft > 3 {
            if !sawInited {
                stoppedEarly =
                    "crashed while loading the corpus (exit \(status)): an input in the corpus crashes; see \(workDirectory)/fuzz.log"
            } else if restarts >= 200 {
                stoppedEarly = "stopped after 200 restarts"
            } else {
                restarts += 1
                restart = true
            }
        }
        if !restart {
            finished = true
            try? log?.close()
        }
        lock.unlock()
        if restart { try launch(now: now) }
        return !restart
    }

    func stop() {
        lock.lock()
        defer { lock.unlock() }
        if let process, process.isRunning { process.terminate() }
    }

    var snapshot: (status: LibFuzzerStatus, elapsed: TimeInterval, crashes: Int, running: Bool, cpuSeconds: Double?) {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = started.map { min(Date().timeIntervalSince($0), TimeInterval(duration)) } ?? 0
        return (best, elapsed, crashes, started != nil && !finished, cpuKnown ? cpuBefore + cpuCurrent : nil)
    }

    var hasStarted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return started != nil
    }

    /// Gives up on a target that never started (its harness did not build).
    func abandon(_ reason: String) {
        lock.lock()
        defer { lock.unlock() }
        stoppedEarly = reason
        finished = true
    }
}

public struct TimelineSample: Codable, Sendable {
    public var seconds: Double
    public var coverage: Int
    public var features: Int
    public var corpusFiles: Int
    public var executions: Int
}
