// Runs mutants on `workers` threads, each mutant through the checks that
// reach it, and appends each result to results.jsonl as it finishes.

import Foundation
import MutationCatalog

final class MutantScheduler: @unchecked Sendable {
    let mutants: [Mutant]
    let checks: BaselineChecks
    let runner: CheckRunner
    let equivalents: EquivalentMutants
    let runEquivalents: Bool
    let resultsFile: String
    let workers: Int
    let progress: ProgressDisplay
    let total: Int

    private let lock = NSLock()
    private var next = 0
    private var done: Int
    private var counts: [MutantResult.Status: Int] = [:]
    private var running: [Int: String] = [:]
    /// Kills per check, per declaration and per file: the check that killed most
    /// mutants of the same declaration (then file) is tried first.
    private var killsByDeclaration: [String: [MutationCheck: Int]] = [:]
    private var killsByFile: [String: [MutationCheck: Int]] = [:]
    private let started = Date()
    private let output: FileHandle?

    init(
        mutants: [Mutant], checks: BaselineChecks, runner: CheckRunner, equivalents: EquivalentMutants, runEquivalents: Bool,
        resultsFile: String,
        workers: Int, progress: ProgressDisplay, total: Int, alreadyDone: Int
    ) {
        self.mutants = mutants
        self.checks = checks
        self.runner = runner
        self.equivalents = equivalents
        self.runEquivalents = runEquivalents
        self.resultsFile = resultsFile
        self.workers = max(1, workers)
        self.progress = progress
        self.total = total
        done = alreadyDone
        if !FileManager.default.fileExists(atPath: resultsFile) {
            _ = FileManager.default.createFile(atPath: resultsFile, contents: nil)
        }
        output = FileHandle(forWritingAtPath: resultsFile)
        _ = try? output?.seekToEnd()
    }

    func run() {
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while let mutant = take(worker) {
                let result = evaluate(mutant)
                record(mutant, result, worker: worker)
            }
        }
        try? output?.close()
    }

    private func take(_ worker: Int) -> Mutant? {
        lock.lock()
        defer { lock.unlock() }
        guard next < mutants.count else {
            running[worker] = nil
            return nil
        }
        let m = mutants[next]
        next += 1
        running[worker] = "\(m.file):\(m.line) \(m.operator.rawValue)"
        return m
    }

    /// The checks that reach the mutant, most promising first.
    func order(_ mutant: Mutant) -> [BaselineChecks.Entry] {
        lock.lock()
        let byDeclaration = killsByDeclaration[mutant.file + "|" + mutant.declaration] ?? [:]
        let byFile = killsByFile[mutant.file] ?? [:]
        lock.unlock()
        return checks.usable.filter { $0.reached.contains(mutant.id) }.sorted { a, b in
            let ka = (byDeclaration[a.check] ?? 0, byFile[a.check] ?? 0)
            let kb = (byDeclaration[b.check] ?? 0, byFile[b.check] ?? 0)
            if ka != kb { return ka > kb }
            return a.seconds < b.seconds
        }
    }

    /// How long one XCTest test may run before the mutant counts as hanging it: five
    /// times its own time plus a margin for a busy machine.
    func limit(_ seconds: Double) -> Double { max(3, 5 * seconds + 2) }

    func evaluate(_ mutant: Mutant) -> MutantResult {
        let started = Date()
        let candidates = order(mutant)
        let equivalent = equivalents.reasons[mutant.key] != nil
        guard !candidates.isEmpty, !equivalent || runEquivalents else {
            return MutantResult(
                key: mutant.key, status: equivalent ? .equivalent : .notReached, check: nil, detail: nil, seconds: 0, checksRun: 0
            )
        }
        func killed(_ label: String, _ outcome: CheckOutcome, _ run: Int) -> MutantResult {
            MutantResult(
                key: mutant.key, status: .killed, check: label, detail: outcome.detail,
                seconds: Date().timeIntervalSince(started),
                checksRun: run)
        }
        // The two most promising checks one at a time (each process costs a start-up);
        // then every other test that reaches the mutant in one process, stopped at its
        // first failure; then the other fuzz runs, which are the slowest.
        let single = Array(candidates.prefix(2))
        let tests = candidates.dropFirst(single.count).filter { $0.check.kind == .xctest }
        let fuzz = candidates.dropFirst(single.count).filter { $0.check.kind == .fuzz }
        var run = 0
        func fuzzLimit(_ entry: BaselineChecks.Entry) -> Double {
            Double(runner.fuzzSeconds) + max(10, 5 * (entry.seconds - Double(runner.fuzzSeconds)))
        }
        for entry in single {
            run += 1
            let timeout = entry.check.kind == .fuzz ? fuzzLimit(entry) : limit(entry.seconds)
            guard let outcome = try? runner.run(entry.check, mutant: mutant.id, timeout: timeout) else { continue }
            if outcome.failed { return killed(entry.check.label, outcome, run) }
        }
        let rest = Array(tests)
        if !rest.isEmpty {
            run += rest.count
            // Test names in XCTest's output are `Class.testName`; checks are `Module.Class/testName`.
            var seconds: [String: Double] = [:]
            var labels: [String: String] = [:]
            for e in rest {
                let short =
                    e.check.name.split(separator: ".", maxSplits: 1).last.map { $0.replacingOccurrences(of: "/", with: ".") }
                    ?? ""
                seconds[short] = e.seconds
                labels[short] = e.check.label
            }
            let batch = MutationCheck(kind: .xctest, name: rest.map(\.check.name).joined(separator: ","))
            let total = rest.reduce(0) { $0 + limit($1.seconds) } + 5
            if let outcome = try? runner.run(
                batch, mutant: mutant.id, timeout: total, testLimit: { self.limit(seconds[$0] ?? 1) }), outcome.failed
            {
                return killed(outcome.test.flatMap { labels[$0] } ?? "XCTest (\(rest.count) tests in one run)", outcome, run)
            }
        }
        for entry in fuzz {
            run += 1
            guard let outcome = try? runner.run(entry.check, mutant: mutant.id, timeout: fuzzLimit(entry)) else { continue }
            if outcome.failed { return killed(entry.check.label, outcome, run) }
        }
        return MutantResult(
            key: mutant.key, status: equivalent ? .equivalent : .survived, check: nil, detail: nil,
            seconds: Date().timeIntervalSince(started), checksRun: run)
    }

    private func record(_ mutant: Mutant, _ result: MutantResult, worker: Int) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let line = ((try? encoder.encode(result)) ?? Data()) + Data("\n".utf8)
        lock.lock()
        output?.write(line)
        done += 1
        counts[result.status, default: 0] += 1
        if result.status == .killed, let label = result.check,
            let check = checks.usable.first(where: { $0.check.label == label })?.check
        {
            killsByDeclaration[mutant.file + "|" + mutant.declaration, default: [:]][check, default: 0] += 1
            killsByFile[mutant.file, default: [:]][check, default: 0] += 1
        }
        let minutes = max(Date().timeIntervalSince(started) / 60, 1.0 / 60)
        let ranNow = counts.values.reduce(0, +)
        let rate = Double(ranNow) / minutes
        let left = mutants.count - ranNow
        let eta = rate > 0 ? Int(Double(left) / rate * 60) : 0
        let status =
            String(
                format: "mutants %d/%d  killed %d  survived %d  not reached %d  equivalent %d  %.1f/min  ETA %dm%02ds",
                done, total, counts[.killed] ?? 0, counts[.survived] ?? 0, counts[.notReached] ?? 0, counts[.equivalent] ?? 0,
                rate, eta / 60, eta % 60)
        let now = running.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; ")
        let note: String? =
            switch result.status {
            case .survived: "survived: \(mutant.summary)"
            case .notReached: "not reached: \(mutant.summary)"
            case .killed where equivalents.reasons[mutant.key] != nil:
                "listed as equivalent but killed by \(result.check ?? "?"): \(mutant.summary)"
            default: nil
            }
        lock.unlock()
        if let note { progress.note(note) }
        progress.update(status + (now.isEmpty ? "" : "\n  running: " + now))
    }
}

/// A status that redraws in place on a terminal and prints plain lines (at most
/// one per 15 s, plus notes) when the output is a file or a pipe.
public final class ProgressDisplay: @unchecked Sendable {
    let interactive: Bool
    let say: (String) -> Void
    private let lock = NSLock()
    private var shownLines = 0
    private var last = ""
    private var lastPlain = Date.distantPast
    let width: Int

    public init(interactive: Bool, say: @escaping (String) -> Void) {
        self.interactive = interactive
        self.say = say
        width = interactive ? Terminal.columns() : 0
    }

    /// Replaces the status (several lines allowed).
    public func update(_ status: String) {
        lock.lock()
        defer { lock.unlock() }
        last = status
        if interactive {
            redraw(status)
        } else if Date().timeIntervalSince(lastPlain) >= 15 {
            say(status.replacingOccurrences(of: "\n  ", with: " | "))
            lastPlain = Date()
        }
    }

    /// A line that stays (printed above the status on a terminal).
    public func note(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        if interactive {
            clear()
            say(line)
            shownLines = 0
            if !last.isEmpty { redraw(last) }
        } else {
            say(line)
        }
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if !interactive, !last.isEmpty { say(last.replacingOccurrences(of: "\n  ", with: " | ")) }
        shownLines = 0
        last = ""
    }

    private func clear() {
        if shownLines > 0 { say("\u{1B}[\(shownLines)A\u{1B}[J", newline: false) }
    }

    private func redraw(_ status: String) {
        // Lines cut to the terminal's width, so none wraps and the cursor
        // arithmetic (up by the lines shown) stays right.
        let lines = status.split(separator: "\n", omittingEmptySubsequences: false).map { Terminal.fit(String($0), width) }
        clear()
        say(lines.joined(separator: "\n"))
        shownLines = lines.count
    }

    private func say(_ text: String, newline: Bool) {
        if newline { say(text) } else { FileHandle.standardError.write(Data(text.utf8)) }
    }
}

public enum Terminal {
    /// The width of standard error's terminal (80 when unknown).
    public static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Cut to `width` characters (no cut when width is 0).
    public static func fit(_ line: String, _ width: Int) -> String {
        guard width > 0, line.count >= width else { return line }
        return String(line.prefix(max(1, width - 2))) + "…"
    }
}
