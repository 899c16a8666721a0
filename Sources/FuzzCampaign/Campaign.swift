// A fuzzing campaign: build the harnesses with sanitizers (each target starts
// fuzzing as soon as its own harness is built), fuzz every target (in
// parallel, restarting after crashes), triage and minimise the crashes into
// Corpus/Regressions, merge new inputs into the corpus, measure the line and
// region coverage of the parser module and of the Swift modules it depends on
// (ParserSources.swiftModules) with llvm-cov, and write the report.
// `smtp-fuzz record` adds the test suite's coverage and the mutation run and
// writes the module's VERIFICATION.md.

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
        let mode = c.forkJobs.map { ", each with \($0) libFuzzer workers (-fork=\($0))" } ?? ""
        var builds: HarnessBuilds?
        if c.build {
            // Each target starts as soon as its own harness is built (cheapest first);
            // the rest build meanwhile, one SwiftPM build at a time (one scratch folder).
            say(
                "== build the harnesses with libFuzzer and ASan, one at a time (logs: \(c.report)/build-<target>.log), fuzzing each as soon as it is built"
            )
            say(
                "$ swift \(Self.sanitizerBuildArguments(c, c.targets[0]).joined(separator: " ").replacingOccurrences(of: c.targets[0].harness, with: "fuzz-<target>"))"
            )
            builds = HarnessBuilds(targets: c.targets, logFolder: c.report) { Self.sanitizerBuildArguments(self.c, $0) }
            builds?.start()
        } else {
            for target in c.targets
            where !FileManager.default.isExecutableFile(atPath: binary(target, scratch: c.sanitizerScratch)) {
                throw CampaignError(
                    "no harness at \(binary(target, scratch: c.sanitizerScratch)): build it first (drop --no-build)")
            }
        }
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
        try fuzz(runs, builds: builds)

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
        var handWritten: ParserCoverageReport?
        var parserFolders: [String] = []
        if c.coverage {
            let modules = try ParserSources.swiftModules(packageRoot: c.packageRoot)
            parserFolders = modules.map(\.path)
            say("== line and region coverage of \(parserFolders.joined(separator: " and ")) (llvm-cov)")
            let measured = try measureCoverage(runs, folders: parserFolders)
            (coverage, all) = (measured.perTarget, measured.all)
            handWritten = try handWrittenCoverage(
                modules, measured.binaries, measured.profiles, targets: runs.map(\.target))
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
                    cpuSeconds: s.cpuSeconds,
                    execsPerCPUSecond: s.cpuSeconds.flatMap { $0 > 0.5 ? Int(Double(s.status.executions) / $0) : nil },
                    edges: s.status.coverage, features: s.status.features, corpusFiles: s.status.corpusFiles,
                    mergedIntoCorpus: merged[r.target], crashArtifacts: s.crashes,
                    firstCrashSeconds: r.firstCrash, restarts: r.restarts,
                    uniqueCrashes: uniques[r.target] ?? [], stoppedEarly: r.stoppedEarly,
                    parserModuleCoverage: coverage[r.target], timeline: r.samples)
            },
            parserModuleCoverage: all, parserFolders: parserFolders, handWrittenCoverage: handWritten, reportFolder: c.report)
        try report.write()
        return report
    }

    func fuzz(_ runs: [TargetRun], builds: HarnessBuilds?) throws {
        let display = ProgressDisplay(interactive: interactive, say: say)
        var active: [TargetRun] = []
        var lastUpdate = Date.distantPast
        let started = Date()
        func ready(_ r: TargetRun) -> Bool {
            guard let builds else { return true }
            if case .built = builds.state(r.target) { return true }
            return false
        }
        while runs.contains(where: { !$0.finished }) {
            // Targets whose harness failed to build never start.
            if let builds {
                for r in runs where !r.hasStarted && !r.finished {
                    if case .failed(let why) = builds.state(r.target) {
                        r.abandon("harness did not build: \(why)")
                        display.note("\(r.target.rawValue): harness did not build: \(why)")
                    }
                }
            }
            // In target order, as slots free up and harnesses appear.
            for r in runs where active.count < max(1, c.jobs) && !r.hasStarted && !r.finished && ready(r) {
                try r.launch()
                active.append(r)
                display.note(String(format: "[%4.0fs] %@: fuzzing", Date().timeIntervalSince(started), r.target.rawValue))
            }
            var stillActive: [TargetRun] = []
            for r in active {
                if try r.poll() {
                    let s = r.snapshot
                    display.note(
                        String(format: "[%4.0fs] %@: done, ", Date().timeIntervalSince(started), r.target.rawValue)
                            + "\(s.status.executions) executions, \(s.crashes) crash(es)\(r.stoppedEarly.map { "; \($0)" } ?? "")"
                    )
                } else {
                    stillActive.append(r)
                }
            }
            active = stillActive
            if Date().timeIntervalSince(lastUpdate) >= 1 {
                if interactive {
                    display.update(progressTable(runs, builds: builds))
                } else {
                    // Not a terminal (CI, a file): a plain line per running target every 15 s.
                    display.update(progressLines(runs, builds: builds, seconds: Date().timeIntervalSince(started)))
                }
                lastUpdate = Date()
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        display.finish()
        if !interactive { say(progressTable(runs, builds: builds)) }
    }

    /// A target's state for the table: building, waiting, fuzzing, done.
    func state(_ r: TargetRun, builds: HarnessBuilds?) -> String {
        let s = r.snapshot
        if s.running { return "fuzzing" }
        if r.finished { return r.stoppedEarly != nil ? "stopped" : "done" }
        if let builds {
            switch builds.state(r.target) {
            case .waiting: return "waiting for build"
            case .building(let line):
                let step = Self.buildStep(line)
                return step.isEmpty ? "building" : "building " + step
            case .built: return "built, queued"
            case .failed: return "build failed"
            }
        }
        return "queued"
    }

    /// "[812/1404] Compiling NIOCore Channel.swift" → "812/1404".
    static func buildStep(_ line: String) -> String {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return "" }
        return String(line[line.index(after: line.startIndex)..<close])
    }

    /// The live table; columns as wide as their widest cell, so long names and states keep them aligned.
    func progressTable(_ runs: [TargetRun], builds: HarnessBuilds?) -> String {
        var rows = [["target", "state", "time", "execs", "exec/s", "per core", "cov", "ft", "corpus", "crashes"]]
        for r in runs {
            let s = r.snapshot
            let perCore = s.cpuSeconds.map { $0 > 0.5 ? "\(Int(Double(s.status.executions) / $0))" : "–" } ?? "–"
            rows.append([
                r.target.rawValue, state(r, builds: builds), "\(Int(s.elapsed))/\(r.duration)s",
                CampaignReport.count(s.status.executions), "\(s.status.execsPerSecond)", perCore, "\(s.status.coverage)",
                "\(s.status.features)", "\(s.status.corpusFiles)", "\(s.crashes)",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset] + 2, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces)
        }
        if let builds, !builds.allDone,
            let building = runs.first(where: { if case .building = builds.state($0.target) { return true } else { return false } }
            ),
            case .building(let line) = builds.state(building.target)
        {
            lines.append("building \(building.target.harness): \(line)")
        }
        return lines.joined(separator: "\n")
    }

    /// One plain line per target that is building or fuzzing (for logs).
    func progressLines(_ runs: [TargetRun], builds: HarnessBuilds?, seconds: Double) -> String {
        runs.compactMap { r -> String? in
            let s = r.snapshot
            let state = state(r, builds: builds)
            guard s.running || state.hasPrefix("building") else { return nil }
            guard s.running else { return String(format: "[%4.0fs] %@: %@", seconds, r.target.rawValue, state) }
            let perCore = s.cpuSeconds.map { $0 > 0.5 ? ", \(Int(Double(s.status.executions) / $0)) per CPU-second" : "" } ?? ""
            return String(format: "[%4.0fs] %@: ", seconds, r.target.rawValue)
                + "\(Int(s.elapsed))/\(r.duration)s, \(s.status.executions) executions (\(s.status.execsPerSecond)/s\(perCore)), cov \(s.status.coverage), ft \(s.status.features), corpus \(s.status.corpusFiles), crashes \(s.crashes)"
        }.joined(separator: "\n")
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

    /// The coverage of the parser's folders (generated code included) per target and for
    /// all corpora, and the binaries and raw profiles it was measured with.
    func measureCoverage(_ runs: [TargetRun], folders: [String]) throws -> (
        perTarget: [FuzzTarget: ModuleCoverage], all: ModuleCoverage?, binaries: [String], profiles: [String]
    ) {
        guard let profdata = Toolchain.tool("llvm-profdata"), let cov = Toolchain.tool("llvm-cov") else {
            say("  skipped: no llvm-profdata/llvm-cov beside swiftc")
            return ([:], nil, [], [])
        }
        let folder = "\(c.report)/coverage"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var results: [FuzzTarget: ModuleCoverage] = [:]
        var binaries: [String] = []
        var profiles: [String] = []
        let sourceFolders = folders.map { "\(c.packageRoot)/\($0)" }
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
            let report = try runTool(cov, ["report", bin, "-instr-profile=\(data)"] + sourceFolders)
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
        guard let first = binaries.first else { return (results, nil, [], []) }
        let merged = "\(folder)/all.profdata"
        guard try runTool(profdata, ["merge", "-sparse"] + profiles + ["-o", merged]).status == 0 else {
            return (results, nil, binaries, profiles)
        }
        let report = try runTool(
            cov,
            ["report", first] + binaries.dropFirst().flatMap { ["-object", $0] } + ["-instr-profile=\(merged)"] + sourceFolders)
        try Data(report.output.utf8).write(to: URL(fileURLWithPath: "\(folder)/report-all.txt"))
        let all = Self.parseCoverageReport(report.output)
        if let all { say("  all targets: \(all.lineCover) of \(all.lines) lines, \(all.regionCover) of \(all.regions) regions") }
        return (results, all, binaries, profiles)
    }

    /// The hand-written files' coverage from the corpora, plus the test suite when
    /// `testCoverage` is on (a build of the tests with coverage: several minutes).
    func handWrittenCoverage(_ modules: [SourceModule], _ binaries: [String], _ profiles: [String], targets: [FuzzTarget])
        throws -> ParserCoverageReport?
    {
        guard !binaries.isEmpty else { return nil }
        var objects = binaries.map { (binary: $0, root: c.packageRoot) }
        var allProfiles = profiles
        var sources = ["the corpora of \(targets.filter { $0 != .serverPipeline }.map(\.rawValue).joined(separator: ", "))"]
        if c.testCoverage {
            let folder = "\(c.packageRoot)/.build-coverage/tests"
            let tests = try ParserCoverage.testSuiteProfile(
                packageRoot: c.packageRoot, modules: modules.map(\.target), folder: folder, say: say)
            // The workspace links the checkout's folders: its bundle saw the files under it.
            objects.append((tests.bundle, folder))
            allProfiles.append(tests.profile)
            sources.append("the tests of \(tests.targets.joined(separator: ", "))")
        }
        let report = try ParserCoverage.report(
            packageRoot: c.packageRoot, modules: modules, binaries: objects, profiles: allProfiles, sources: sources,
            work: "\(c.report)/coverage")
        try Data(report.markdown().utf8).write(
            to: URL(fileURLWithPath: "\(c.report)/coverage/hand-written.md"))
        say(
            "  hand-written files: \(report.lineCover) of \(report.lines) lines, \(report.regionCover) of \(report.regions) regions; \(report.uncovered.count) regions not reached (the report folder's coverage/hand-written.md)"
        )
        return report
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
