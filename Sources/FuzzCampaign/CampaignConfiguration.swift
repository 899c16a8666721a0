// What a campaign does: which targets, for how long, with how many processes,
// where the corpus and the report go, and which expensive steps to run.

import Foundation
import FuzzProperties

public struct CampaignConfiguration: Sendable {
    /// The root package folder (holds Fuzz/, Corpus/, Sources/).
    public var packageRoot: String
    public var targets: [FuzzTarget] = FuzzTarget.allCases
    /// Fuzzing time per target, in seconds.
    public var duration: Int = 90
    /// Targets fuzzed at once (each one libFuzzer process, or one fork-mode parent).
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// libFuzzer fork mode (`-fork=N`, `--jobs N`): each target runs N worker processes
    /// that share one corpus; nil: one process per target (the default).
    public var forkJobs: Int?
    /// Seeds in <corpus>/<target>/, dictionaries <corpus>/<target>.dict, regressions <corpus>/Regressions/<target>/.
    public var corpus: String
    public var report: String
    public var coverage = true
    /// Also measure the test suite's coverage of the hand-written parser files (a
    /// coverage build of the tests; the verification record does).
    public var testCoverage = false
    public var merge = true
    public var minimizeCrashes = true
    public var detectLeaks = false
    /// Build the harnesses first (off: use what is in Fuzz/.build-fuzz).
    public var build = true

    public init(packageRoot: String, corpus: String? = nil, report: String? = nil, now: Date = Date()) {
        let root = URL(fileURLWithPath: packageRoot).standardizedFileURL.path
        self.packageRoot = root
        self.corpus = corpus ?? root + "/Corpus"
        self.report = report ?? root + "/.fuzz-reports/" + Self.timestamp(now)
    }

    /// `--jobs` (workers per target, libFuzzer fork mode) and `--parallel` (targets at
    /// once). Without `--jobs`, every target is one process and `--parallel` defaults
    /// to the cores; with it, `--parallel` defaults to cores / N (at least 1), so the
    /// campaign keeps about one process per core.
    public mutating func setParallelism(jobs: Int?, parallel: Int?, cores: Int) throws(CampaignError) {
        if let jobs, jobs < 1 { throw CampaignError("--jobs must be at least 1") }
        if let parallel, parallel < 1 { throw CampaignError("--parallel must be at least 1") }
        // -fork=1 still runs one worker beside a parent that merges: worth it only for
        // its crash resistance; accepted, and reported as fork mode.
        forkJobs = jobs
        self.jobs = parallel ?? max(1, max(1, cores) / (jobs ?? 1))
    }

    public static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    public var fuzzPackage: String { packageRoot + "/Fuzz" }
    public var sanitizerScratch: String { fuzzPackage + "/.build-fuzz" }
    public var coverageScratch: String { fuzzPackage + "/.build-cov" }

    /// libFuzzer's -max_len per target: a little over what each input format needs.
    public static func maxLength(_ target: FuzzTarget) -> Int {
        switch target {
        case .parser: 1100  // lines past the 512-octet limit, paths past 256, domains past 255
        case .framer: 2048  // several lines and an overlong one (limits above 64 are rarely chosen)
        case .differential: 1 + DifferentialProperties.maxInputLength
        case .grammar: 2048  // a few rules; the project's files are seeded rule by rule
        case .session: 4096  // a few hundred events (a canned line is two bytes)
        case .kernel: 1100  // as the parser's: lines past the kernel's 512 bytes too
        case .serverPipeline: 4096  // a conversation with a short message
        }
    }

    /// Reads "90", "90s", "5m", "2h" (also "1h30m").
    public static func parseDuration(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty else { return nil }
        if let plain = Int(t) { return plain > 0 ? plain : nil }
        var total = 0
        var number = ""
        for c in t {
            if c.isNumber {
                number.append(c)
                continue
            }
            guard let n = Int(number) else { return nil }
            switch c {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            default: return nil
            }
            number = ""
        }
        guard number.isEmpty, total > 0 else { return nil }
        return total
    }
}

/// The known open bugs (Corpus/Regressions/KNOWN_FAILURES): their symptoms are
/// passed in SMTP_FUZZ_IGNORE so the harnesses keep looking for new bugs.
public enum KnownFailures {
    public static func symptoms(corpus: String) -> [String] {
        guard let text = try? String(contentsOfFile: corpus + "/Regressions/KNOWN_FAILURES", encoding: .utf8) else { return [] }
        var found: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let path = line.split(separator: " ").first, let file = path.split(separator: "/").last else { continue }
            let symptom = symptom(ofRegressionFile: String(file))
            if !found.contains(symptom) { found.append(symptom) }
        }
        return found
    }

    /// "smtputf8-flag-without-keyword-bd30a2b5" → "smtputf8-flag-without-keyword".
    public static func symptom(ofRegressionFile name: String) -> String {
        guard let dash = name.lastIndex(of: "-") else { return name }
        let hash = name[name.index(after: dash)...]
        return hash.count == 8 && hash.allSatisfy(\.isHexDigit) ? String(name[..<dash]) : name
    }
}
