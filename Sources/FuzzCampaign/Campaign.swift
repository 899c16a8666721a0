// A fuzzing campaign: build the harnesses with sanitizers, fuzz every target
// (in parallel, restarting after crashes), triage and minimise the crashes
// into Corpus/Regressions, merge new inputs into the corpus, measure the
// parser module's line coverage with llvm-cov, and write the report.

import Foundation
import FuzzProperties

public final class Campaign {
    public let configuration: CampaignConfiguration
    /// Progress and step messages (the CLI prints them to standard error).
    let say: (String) -> Void
    let interactive: Bool

    public init(_ configuration: CampaignConfiguration, interactive: Bool = false, say: @escaping (String) -> Void) {
        self.configuration = configuration
        self.interactive = interactive
        self.say = say
    }

    var c: CampaignConfiguration { configuration }

    /// Environment for every harness process.
    var harnessEnvironment: [String: String] {
        var env = [
            "SWIFT_BACKTRACE": "enable=no",  // Swift's backtracer confuses ASan (docs/toolchain.md)
            "SMTP_FUZZ_PACKAGE_ROOT": c.packageRoot,
            "SMTP_FUZZ_IGNORE": KnownFailures.symptoms(corpus: c.corpus).joined(separator: ","),
            "ASAN_OPTIONS": "symbolize=1:detect_leaks=\(c.detectLeaks ? 1 : 0):abort_on_error=0",
        ]
        if let symbolizer = Toolchain.tool("llvm-symbolizer") { env["ASAN_SYMBOLIZER_PATH"] = symbolizer }
        return env
    }

    public func binary(_ target: FuzzTarget, scratch: String) -> String { "\(scratch)/release/\(target.harness)" }

    // MARK: Build

    /// The sanitizer build (docs/toolchain.md: both forms of the flag, or SwiftPM passes only one).
    public static func sanitizerBuildArguments(_ c: CampaignConfiguration, _ target: FuzzTarget) -> [String] {
        [
            "build", "-c", "release", "--package-path", c.fuzzPackage, "--scratch-path", c.sanitizerScratch,
            "--sanitize=fuzzer", "--sanitize=address", "-Xswiftc", "-sanitize=fuzzer,address", "--product", target.harness,
        ]
    }

    public static func coverageBuildArguments(_ c: CampaignConfiguration, _ target: FuzzTarget) -> [String] {
        [
            "build", "-c", "release", "--package-path", c.fuzzPackage, "--scratch-path", c.coverageScratch,
            "--sanitize=fuzzer", "-Xswiftc", "-sanitize=fuzzer",
            "-Xswiftc", "-profile-generate", "-Xswiftc", "-profile-coverage-mapping", "--product", target.harness,
        ]
    }

    func build(_ arguments: [String], what: String) throws {
        say("$ swift \(arguments.joined(separator: " "))")
        let started = Date()
        var result: (status: Int32, output: String) = (0, "")
        // Others editing the sources while we build make SwiftPM stop with
        // "was modified during the build": build again, like a person would.
        for attempt in 1...3 {
            result = try runTool(
                Toolchain.swift, arguments,
                echo: { line in
                    if line.contains("error") || line.contains("Compiling") || line.contains("Linking") || line.contains("Build")
                    {
                        self.say("  | \(line)")
                    }
                })
            guard result.status != 0, result.output.contains("was modified during the build"), attempt < 3 else { break }
            say("  sources changed during the build; building again")
            Thread.sleep(forTimeInterval: 5)
        }
        guard result.status == 0 else {
            throw CampaignError("building \(what) failed (exit \(result.status)):\n\(result.output.suffix(4000))")
        }
        say("  built \(what) in \(Int(Date().timeIntervalSince(started))) s")
    }

    // MARK: Run

    public func run() throws -> CampaignReport {
        let campaignStart = Date()
        try FileManager.default.createDirectory(atPath: c.report, withIntermediateDirectories: true)
        say("Report folder: \(c.report)")
        if c.build {
            say("== build the harnesses with libFuzzer and ASan")
            for target in c.targets { try build(Self.sanitizerBuildArguments(c, target), what: target.harness) }
        }
        for target in c.targets where !FileManager.default.isExecutableFile(atPath: binary(target, scratch: c.sanitizerScratch)) {
            throw CampaignError("no harness at \(binary(target, scratch: c.sanitizerScratch)): build it first (drop --no-build)")
        }

        let mode = c.forkJobs.map { ", each with \($0) libFuzzer workers (-fork=\($0))" } ?? ""
        say("== fuzz \(c.targets.map(\.rawValue).joined(separator: ", ")) for \(c.duration) s each, \(c.jobs) at a time\(mode)")
        let fuzzStart = Date()
        let runs = c.targets.map { target in
            let seeds = "\(c.corpus)/\(target.rawValue)"
            try? FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
            let dict = "\(c.corpus)/\(target.rawValue).dict"
            return TargetRun(
                target: target, binary: binary(target, scratch: c.sanitizerScratch),
                workDirectory: "\(c.report)/\(target.rawValue)", seeds: seeds,
                dictionary: FileManager.default.fileExists(atPath: dict) ? dict : nil,
                duration: c.duration, detectLeaks: c.detectLeaks, environment: harnessEnvironment,
                campaignStart: fuzzStart, forkJobs: c.forkJobs)
        }
        try fuzz(runs)

        say("== triage crashes")
        var uniques: [FuzzTarget: [UniqueCrash]] = [:]
        for r in runs { uniques[r.target] = try triage(r) }

        var merged: [FuzzTarget: Int] = [:]
        if c.merge {
            say("== merge new inputs into \(c.corpus)/<target> (-merge=1)")
            for r in runs { merged[r.target] = try mergeCorpus(r) }
        }

        var coverage: [FuzzTarget: ModuleCoverage] = [:]
        var all: ModuleCoverage?
        if c.coverage {
            say("== line coverage of Sources/SMTPCommandParser (llvm-cov)")
            (coverage, all) = try measureCoverage(runs)
        }

        let report = CampaignReport(
            started: CampaignConfiguration.timestamp(campaignStart), secondsPerTarget: c.duration, jobs: c.jobs,
            workersPerTarget: c.forkJobs,
            wallSeconds: Date().timeIntervalSince(campaignStart),
            targets: runs.map { r in
                let s = r.snapshot
                return TargetReport(
                    target: r.target.rawValue, seconds: s.elapsed, executions: s.status.executions,
                    execsPerSecond: s.elapsed > 0 ? Int(Double(s.status.executions) / s.elapsed) : 0,
                    edges: s.status.coverage, features: s.status.features, corpusFiles: s.status.corpusFiles,
                    mergedIntoCorpus: merged[r.target], crashArtifacts: s.crashes,
                    firstCrashSeconds: r.firstCrash, restarts: r.restarts,
                    uniqueCrashes: uniques[r.target] ?? [], stoppedEarly: r.stoppedEarly,
                    parserModuleCoverage: coverage[r.target], timeline: r.samples)
            },
            parserModuleCoverage: all, reportFolder: c.report)
        try report.write()
        say("== record the verification (abnfc verify and prove, this campaign's figures)")
        let record = VerificationRecord.make(packageRoot: c.packageRoot, campaign: report)
        try record.write(packageRoot: c.packageRoot)
        say("  Sources/SMTPCommandParser/VERIFICATION.md: \(record.markdown.split(separator: "\n").dropFirst(2).first ?? "")")
        return report
    }

    func fuzz(_ runs: [TargetRun]) throws {
        var queue = runs
        var active: [TargetRun] = []
        var lastPrint = Date.distantPast
        var printedLines = 0
        while !queue.isEmpty || !active.isEmpty {
            while active.count < max(1, c.jobs), !queue.isEmpty {
                let next = queue.removeFirst()
                try next.launch()
                active.append(next)
            }
            var stillActive: [TargetRun] = []
            for r in active where try !r.poll() { stillActive.append(r) }
            active = stillActive
            if Date().timeIntervalSince(lastPrint) >= (interactive ? 1 : 15) || (active.isEmpty && queue.isEmpty) {
                let table = progressTable(runs)
                if interactive && printedLines > 0 { say("\u{1B}[\(printedLines)A\u{1B}[J" + table) } else { say(table) }
                printedLines = table.split(separator: "\n", omittingEmptySubsequences: false).count
                lastPrint = Date()
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    func progressTable(_ runs: [TargetRun]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [
            pad("target", 20) + pad("time", 12) + pad("execs", 10) + pad("exec/s", 9) + pad("cov", 8) + pad("ft", 8)
                + pad("corpus", 8) + "crashes"
        ]
        for r in runs {
            let s = r.snapshot
            let state = s.running ? "" : (s.elapsed > 0 ? " done" : " queued")
            let time = "\(Int(s.elapsed))/\(r.duration)s"
            lines.append(
                pad(r.target.rawValue + state, 20) + pad(time, 12) + pad(CampaignReport.count(s.status.executions), 10)
                    + pad("\(s.status.execsPerSecond)", 9) + pad("\(s.status.coverage)", 8) + pad("\(s.status.features)", 8)
                    + pad("\(s.status.corpusFiles)", 8) + "\(s.crashes)")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Crashes

    /// Reproduces each artifact, groups them by symptom and top frames, minimises
    /// one input per group and saves it as Corpus/Regressions/<target>/<symptom>-<hash>.
    func triage(_ r: TargetRun) throws -> [UniqueCrash] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: r.artifacts)) ?? []).sorted()
        let artifacts = names.filter { ["crash-", "leak-", "timeout-", "oom-"].contains(where: $0.hasPrefix) }
        guard !artifacts.isEmpty else { return [] }
        let folder = "\(c.corpus)/Regressions/\(r.target.rawValue)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var seen: [String: UniqueCrash] = [:]
        var order: [String] = []
        for name in artifacts {
            let path = "\(r.artifacts)/\(name)"
            let kind = String(name.prefix(while: { $0 != "-" }))
            guard let signature = try reproduce(r, path, kind: kind) else {
                say("  \(r.target.rawValue): \(name) does not reproduce (flaky); kept in \(r.artifacts)")
                continue
            }
            let key = signature.regressionName
            guard seen[key] == nil else { continue }
            var input = path
            if c.minimizeCrashes && kind == "crash" {
                let minimized = "\(r.workDirectory)/minimized-\(key)"
                _ = try? runTool(
                    r.binary,
                    ["-minimize_crash=1", "-runs=20000", "-max_total_time=60", "-exact_artifact_path=\(minimized)", path],
                    environment: harnessEnvironment, timeout: 120)
                // Keep the smaller input only if it still fails the same way.
                if FileManager.default.fileExists(atPath: minimized),
                    try reproduce(r, minimized, kind: kind)?.regressionName == key
                {
                    input = minimized
                }
            }
            let destination = "\(folder)/\(key)"
            let isNew = !FileManager.default.fileExists(atPath: destination)
            if isNew { try FileManager.default.copyItem(atPath: input, toPath: destination) }
            let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
            seen[key] = UniqueCrash(
                symptom: signature.symptom, hash: signature.hash, frames: demangle(signature.frames),
                regressionFile: "Corpus/Regressions/\(r.target.rawValue)/\(key)", inputBytes: size, newRegression: isNew)
            order.append(key)
            say("  \(r.target.rawValue): \(signature.symptom) → \(destination)\(isNew ? "" : " (already saved)")")
        }
        return order.map { seen[$0]! }
    }

    func reproduce(_ r: TargetRun, _ path: String, kind: String) throws -> CrashSignature? {
        let result = try runTool(
            r.binary, ["-timeout=10", "-detect_leaks=\(kind == "leak" ? 1 : 0)", path], environment: harnessEnvironment,
            timeout: 120)
        guard result.status != 0 else { return nil }
        return CrashSignature.parse(result.output, artifactKind: kind)
    }

    func demangle(_ symbols: [String]) -> [String] {
        guard !symbols.isEmpty, let tool = Toolchain.tool("swift-demangle"),
            let result = try? runTool(tool, ["--simplified", "--compact"] + symbols), result.status == 0
        else { return symbols }
        let lines = result.output.split(separator: "\n").map(String.init)
        return lines.count == symbols.count ? lines : symbols
    }

    // MARK: Corpus

    /// Adds the inputs of this run that reach new coverage to the corpus folder.
    func mergeCorpus(_ r: TargetRun) throws -> Int {
        let destination = "\(c.corpus)/\(r.target.rawValue)"
        let before = ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []).count
        let result = try runTool(
            r.binary,
            [
                "-merge=1", "-max_len=\(CampaignConfiguration.maxLength(r.target))", "-timeout=10",
                "-merge_control_file=\(r.workDirectory)/merge.control", destination, r.newCorpus,
            ],
            environment: harnessEnvironment, timeout: 900)
        try Data(result.output.utf8).write(to: URL(fileURLWithPath: "\(r.workDirectory)/merge.log"))
        let after = ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []).count
        say(
            "  \(r.target.rawValue): +\(after - before) inputs (\(after) in \(destination))\(result.status == 0 ? "" : " — merge exited \(result.status), see merge.log")"
        )
        return after - before
    }

    // MARK: Coverage

    func measureCoverage(_ runs: [TargetRun]) throws -> ([FuzzTarget: ModuleCoverage], ModuleCoverage?) {
        guard let profdata = Toolchain.tool("llvm-profdata"), let cov = Toolchain.tool("llvm-cov") else {
            say("  skipped: no llvm-profdata/llvm-cov beside swiftc")
            return ([:], nil)
        }
        let folder = "\(c.report)/coverage"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var results: [FuzzTarget: ModuleCoverage] = [:]
        var binaries: [String] = []
        var profiles: [String] = []
        let module = "\(c.packageRoot)/Sources/SMTPCommandParser"
        for r in runs {
            if r.target == .serverPipeline {
                // Its coverage build would compile SwiftNIO and BoringSSL once more, for a
                // harness that reaches the parser only through the session (which the
                // session target measures).
                say("  \(r.target.rawValue): skipped (the parser is reached through the session: see the session target)")
                continue
            }
            try build(Self.coverageBuildArguments(c, r.target), what: "\(r.target.harness) with coverage")
            let bin = binary(r.target, scratch: c.coverageScratch)
            let raw = "\(folder)/\(r.target.rawValue).profraw"
            try? FileManager.default.removeItem(atPath: raw)
            var env = harnessEnvironment
            env["LLVM_PROFILE_FILE"] = raw
            env["SMTP_FUZZ_IGNORE"] = "*"  // measure, don't stop at a known or new bug
            var dirs = ["\(c.corpus)/\(r.target.rawValue)"]
            if !c.merge { dirs.append(r.newCorpus) }
            _ = try runTool(
                bin, ["-runs=0", "-max_len=\(CampaignConfiguration.maxLength(r.target))", "-timeout=10"] + dirs, environment: env,
                timeout: 900)
            let data = "\(folder)/\(r.target.rawValue).profdata"
            guard FileManager.default.fileExists(atPath: raw),
                try runTool(profdata, ["merge", "-sparse", raw, "-o", data]).status == 0
            else {
                say("  \(r.target.rawValue): no profile written")
                continue
            }
            let report = try runTool(cov, ["report", bin, "-instr-profile=\(data)", module])
            try Data(report.output.utf8).write(to: URL(fileURLWithPath: "\(folder)/report-\(r.target.rawValue).txt"))
            if let parsed = Self.parseCoverageReport(report.output) {
                results[r.target] = parsed
                say(
                    "  \(r.target.rawValue): \(parsed.lineCover) of \(parsed.lines) lines, \(parsed.regionCover) of \(parsed.regions) regions"
                )
            }
            binaries.append(bin)
            profiles.append(raw)
        }
        guard let first = binaries.first else { return (results, nil) }
        let merged = "\(folder)/all.profdata"
        guard try runTool(profdata, ["merge", "-sparse"] + profiles + ["-o", merged]).status == 0 else { return (results, nil) }
        let report = try runTool(
            cov, ["report", first] + binaries.dropFirst().flatMap { ["-object", $0] } + ["-instr-profile=\(merged)", module])
        try Data(report.output.utf8).write(to: URL(fileURLWithPath: "\(folder)/report-all.txt"))
        let all = Self.parseCoverageReport(report.output)
        if let all { say("  all targets: \(all.lineCover) of \(all.lines) lines, \(all.regionCover) of \(all.regions) regions") }
        return (results, all)
    }

    /// Reads the TOTAL row of `llvm-cov report`, by the header's column names.
    public static func parseCoverageReport(_ text: String) -> ModuleCoverage? {
        let lines = text.split(separator: "\n")
        guard let header = lines.first(where: { $0.hasPrefix("Filename") }),
            let total = lines.last(where: { $0.hasPrefix("TOTAL") })
        else { return nil }
        // Header words: "Filename Regions Missed Regions Cover Functions Missed Functions Executed Lines Missed Lines Cover Branches Missed Branches Cover"
        let columns = header.replacingOccurrences(of: "Missed ", with: "Missed").split(separator: " ").dropFirst().map(
            String.init)
        let values = total.split(separator: " ").dropFirst().map(String.init)
        guard values.count >= columns.count - 0, !columns.isEmpty else { return nil }
        var table: [String: String] = [:]
        for (i, name) in columns.enumerated() where i < values.count {
            // Each "Cover"/"Executed" column belongs to the group before it.
            table[name + "#\(columns[..<i].filter { $0 == name }.count)"] = values[i]
        }
        func int(_ key: String) -> Int? { table[key].flatMap { Int($0) } }
        // Groups in order: Regions, MissedRegions, Cover#0, Functions, MissedFunctions, Executed#0, Lines, MissedLines, Cover#1, Branches, MissedBranches, Cover#2
        guard let lineCount = int("Lines#0"), let missedLines = int("MissedLines#0") else { return nil }
        return ModuleCoverage(
            lines: lineCount, missedLines: missedLines, lineCover: table["Cover#1"] ?? "-",
            regions: int("Regions#0") ?? 0, missedRegions: int("MissedRegions#0") ?? 0, regionCover: table["Cover#0"] ?? "-",
            functions: int("Functions#0") ?? 0, missedFunctions: int("MissedFunctions#0") ?? 0,
            branches: int("Branches#0"), missedBranches: int("MissedBranches#0"),
            branchCover: table["Cover#2"].flatMap { $0 == "-" ? nil : $0 })
    }
}

public struct CampaignError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
