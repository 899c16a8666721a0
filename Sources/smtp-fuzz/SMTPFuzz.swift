// smtp-fuzz: the fuzzing campaign runner. A thin shell over FuzzCampaign.

import ArgumentParser
import Foundation
import FuzzCampaign
import FuzzProperties

@main
struct SMTPFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-fuzz",
        abstract: "Fuzz the SMTP parser, framer, automata, grammar front end, session and server pipeline with libFuzzer.",
        discussion: """
            With no arguments, runs the default campaign from the package folder: builds every \
            harness of Fuzz/ with libFuzzer and AddressSanitizer (Fuzz/.build-fuzz), fuzzes each \
            target for 90 s, as many at once as there are cores, and shows executions/s, coverage, \
            corpus size and crashes as it goes. Then it reproduces every crash, groups them by \
            symptom and stack, minimises one input per group into \
            Corpus/Regressions/<target>/<symptom>-<hash> (commit those: `swift test` replays them), \
            merges the inputs that found new coverage into Corpus/<target>/, measures line \
            coverage of Sources/SMTPCommandParser and Sources/SMTPParserRuntime with llvm-cov \
            (Fuzz/.build-cov), and writes \
            report.md, report.json and coverage.svg into the report folder.

            Targets (Fuzz/README.md lists every property):
            \(FuzzTarget.allCases.map { "  \($0.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))\($0.shortSummary)" }.joined(separator: "\n"))

            Options (`smtp-fuzz run --help` has them all):
              --target NAME     fuzz only this target (repeatable)
              --duration TIME   per target: seconds, 90s, 5m, 2h (default 90s)
              --jobs N          N libFuzzer workers per target (fork mode), one shared corpus
              --parallel N      targets at once (default: the cores, or cores / N with --jobs)
              --corpus DIR      seeds, dictionaries, Regressions/ (default Corpus)
              --report DIR      default .fuzz-reports/<timestamp>/
              --no-coverage, --no-merge, --no-minimize, --no-build: skip a step

            Which to use: by default every target is one libFuzzer process and the \
            targets run side by side, one per core: right for a laptop or CI, where there \
            are about as many cores as targets. On a big machine, or to search one target \
            hard, give --jobs N: each target then runs in libFuzzer's fork mode with N \
            worker processes whose finds are merged into one corpus as they come, and \
            the report counts executions, coverage and crashes over all workers. \
            Targets then run cores / N at a time (--parallel overrides it). Fork mode \
            keeps going after a crash; the single-process mode restarts the harness.

            The server-pipeline harness builds SwiftNIO, BoringSSL and the server with \
            the sanitizers: the first build takes long (see Fuzz/README.md).

            Examples:
              swift run -c release smtp-fuzz
              swift run -c release smtp-fuzz --target parser --duration 10m
              swift run -c release smtp-fuzz --target session --jobs 32 --duration 2h
              swift run -c release smtp-fuzz --duration 60 --no-coverage --no-merge
              swift run -c release smtp-fuzz seeds      # regenerate the seeds

            Known open bugs (Corpus/Regressions/KNOWN_FAILURES) are passed to the \
            harnesses in SMTP_FUZZ_IGNORE, so a campaign keeps finding new ones. To run \
            one harness by hand, see Fuzz/README.md.
            """,
        subcommands: [Run.self, Mutants.self, Record.self, CheckRecord.self, Seeds.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a fuzzing campaign (the default subcommand).")

    @Option(name: .customLong("target"), help: ArgumentHelp("A target to fuzz (repeatable; default: all).", valueName: "name"))
    var targets: [String] = []

    @Option(help: ArgumentHelp("Fuzzing time per target: seconds, or 90s, 5m, 2h.", valueName: "time"))
    var duration = "90s"

    @Option(
        help: ArgumentHelp(
            "Worker processes per target: libFuzzer fork mode (-fork=N), one merged corpus and one report per target. Default: one process per target.",
            valueName: "n"))
    var jobs: Int?

    @Option(
        help: ArgumentHelp(
            "Targets fuzzed at once (default: the number of cores, divided by --jobs when given).", valueName: "n"))
    var parallel: Int?

    @Option(
        help: ArgumentHelp(
            "Seed corpus folder: <dir>/<target>/ seeds, <dir>/<target>.dict, <dir>/Regressions/.", valueName: "dir"))
    var corpus: String?

    @Option(help: ArgumentHelp("Report folder (default: .fuzz-reports/<timestamp>/).", valueName: "dir"))
    var report: String?

    @Option(name: .customLong("package-path"), help: "The root package folder (default: the current folder).")
    var packagePath = "."

    @Flag(help: "Skip the llvm-cov line coverage step (and its extra build).")
    var noCoverage = false

    @Flag(
        help:
            "Add the test suite's coverage of the hand-written parser files to the corpora's (a coverage build of the tests that reach the parser; `record` always does)."
    )
    var testCoverage = false

    @Flag(help: "Do not merge new inputs into the corpus folder.")
    var noMerge = false

    @Flag(help: "Save crashing inputs without minimising them.")
    var noMinimize = false

    @Flag(help: "Use the harnesses already in Fuzz/.build-fuzz.")
    var noBuild = false

    @Flag(help: "Report memory leaks (LeakSanitizer) as crashes.")
    var detectLeaks = false

    @Flag(help: "Exit 1 if any crash was found.")
    var failOnCrash = false

    func validate() throws {
        for t in targets where FuzzTarget(rawValue: t) == nil {
            throw ValidationError(
                "unknown target \"\(t)\"; targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard CampaignConfiguration.parseDuration(duration) != nil else {
            throw ValidationError("--duration \"\(duration)\": give seconds, or a number with s, m or h (90s, 5m, 2h)")
        }
        var probe = CampaignConfiguration(packageRoot: packagePath)
        do throws(CampaignError) {
            try probe.setParallelism(jobs: jobs, parallel: parallel, cores: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw ValidationError(error.description)
        }
        guard FileManager.default.fileExists(atPath: packagePath + "/Fuzz/Package.swift") else {
            throw ValidationError(
                "no Fuzz/Package.swift under \(packagePath): run from the package folder or give --package-path")
        }
    }

    func run() throws {
        var c = CampaignConfiguration(packageRoot: packagePath, corpus: corpus, report: report)
        if !targets.isEmpty { c.targets = targets.compactMap(FuzzTarget.init(rawValue:)) }
        c.duration = CampaignConfiguration.parseDuration(duration)!
        try c.setParallelism(jobs: jobs, parallel: parallel, cores: ProcessInfo.processInfo.activeProcessorCount)
        c.coverage = !noCoverage
        c.testCoverage = testCoverage && !noCoverage
        c.merge = !noMerge
        c.minimizeCrashes = !noMinimize
        c.build = !noBuild
        c.detectLeaks = detectLeaks
        let interactive = isatty(STDERR_FILENO) != 0
        let campaign = Campaign(c, interactive: interactive) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let result = try campaign.run()
        print("")
        print(result.markdown())
        print("Report: \(c.report)/report.md (also report.json, coverage.svg)")
        if failOnCrash && result.crashCount > 0 { throw ExitCode(1) }
    }
}

struct Seeds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the seed corpus (Corpus/<target>/seed-*) from the grammar; deterministic.",
        discussion: "scripts/make-corpus.sh runs this and `abnfc dict` for the dictionaries.")

    @Option(help: ArgumentHelp("Corpus folder (default: <package>/Corpus).", valueName: "dir"))
    var corpus: String?

    @Option(name: .customLong("package-path"), help: "The root package folder (default: the current folder).")
    var packagePath = "."

    func run() throws {
        let root = URL(fileURLWithPath: packagePath).standardizedFileURL.path
        let seeds = try SeedCorpus(packageRoot: root)
        let counts = try seeds.write(corpus: corpus ?? root + "/Corpus")
        for target in FuzzTarget.allCases { print("\(target.rawValue): \(counts[target] ?? 0) seeds") }
    }
}

struct Mutants: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mutation testing of the hand-written files of the parser and its runtime (mutation switching).",
        discussion: """
            Plants small bugs in the hand-written files of Sources/SMTPCommandParser and of \
            every Swift module it depends on, read from Package.swift (today \
            Sources/SMTPParserRuntime, whose files are named SMTPParserRuntime/<file>) (boundary \
            < <= > >=, integer constants ±1, negated/true/false conditions, && ↔ ||, removed \
            assignments, throws and error returns, swapped byte literals such as CR ↔ LF) and \
            checks that the project's own checks notice each one. Generated files are not \
            mutated: `abnfc verify` and `abnfc prove` check them against the grammar.

            Every mutant is compiled into one instrumented copy of its module (Mutation/'s \
            smtp-mutate, on swift-syntax), each behind SMTP_MUTANT=<id>, so a mutant costs a \
            run of the checks, not a build. The checks: the XCTest classes of the parser's test \
            targets, one at a time, and a short libFuzzer run (corpus and regressions replayed \
            first) of the parser, framer, differential and kernel harnesses. A mutant runs only the \
            checks that reach it and stops at the first that fails (killed). Mutants no check \
            kills are listed as survivors: kill each with a test, or add it to \
            Mutation/EQUIVALENT with the reason it changes nothing.

            Output: report.md and report.json in the report folder (default \
            .mutation-reports/<timestamp>/), with the score, the survivors, each check's kills \
            and the mutants per minute. Results are saved per mutant: after an interruption, \
            --resume FOLDER continues. Mutation/README.md has the details.

            Examples:
              swift run -c release smtp-fuzz mutants                         # the full run
              swift run -c release smtp-fuzz mutants --sample 30 --seed 7    # CI's sample
              swift run -c release smtp-fuzz mutants --only LineFramer.swift
              swift run -c release smtp-fuzz mutants --only SMTPParserRuntime/Automaton.swift
            """)

    @Option(help: ArgumentHelp("Run this many mutants, chosen by --seed (default: all).", valueName: "n"))
    var sample: Int?

    @Option(help: "Seed of the --sample choice.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Only mutants whose file name contains this, or with this key (repeatable).", valueName: "text"))
    var only: [String] = []

    @Option(
        name: .customLong("test-target"),
        help: ArgumentHelp(
            "A test target whose classes are checks (repeatable; default: \(MutationConfiguration.defaultTestTargets.joined(separator: ", "))).",
            valueName: "name"))
    var testTargets: [String] = []

    @Option(
        name: .customLong("fuzz-target"),
        help: ArgumentHelp(
            "A harness to run per mutant (repeatable; default: parser, framer, differential, kernel).", valueName: "name"))
    var fuzzTargets: [String] = []

    @Option(help: ArgumentHelp("Seconds of fuzzing per harness per mutant (after the corpus replay).", valueName: "s"))
    var fuzzSeconds = 2

    @Flag(help: "Run the mutants listed in Mutation/EQUIVALENT too: a kill shows that a note is wrong.")
    var verifyEquivalents = false

    @Option(help: ArgumentHelp("Mutants run at once (default: the number of cores).", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp("Report folder (default: .mutation-reports/<timestamp>/).", valueName: "dir"))
    var report: String?

    @Option(help: ArgumentHelp("Continue the run saved in this report folder.", valueName: "dir"))
    var resume: String?

    @Option(
        help: ArgumentHelp(
            "Build configuration of the test bundle: release (faster checks) or debug (faster build).", valueName: "c"))
    var configuration = "release"

    @Option(
        help: ArgumentHelp(
            "Exit 1 when the score (killed share of non-equivalent mutants) is below this percentage.", valueName: "p"))
    var minimumScore: Double?

    @Option(name: .customLong("package-path"), help: "The root package folder (default: the current folder).")
    var packagePath = "."

    func validate() throws {
        for t in fuzzTargets where FuzzTarget(rawValue: t) == nil || t == "server-pipeline" {
            throw ValidationError("--fuzz-target \(t): one of parser, framer, differential, grammar, session, kernel")
        }
        guard ["release", "debug"].contains(configuration) else { throw ValidationError("--configuration: release or debug") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard fuzzSeconds >= 1 else { throw ValidationError("--fuzz-seconds must be at least 1") }
        guard FileManager.default.fileExists(atPath: packagePath + "/Mutation/Package.swift") else {
            throw ValidationError(
                "no Mutation/Package.swift under \(packagePath): run from the package folder or give --package-path")
        }
        if let resume, !FileManager.default.fileExists(atPath: resume + "/state.json") {
            throw ValidationError("--resume \(resume): no state.json there (not a mutation report folder)")
        }
    }

    func run() throws {
        var c = MutationConfiguration(packageRoot: packagePath, report: resume ?? report)
        c.resume = resume != nil
        c.sample = sample
        c.seed = seed
        c.only = only
        if !testTargets.isEmpty { c.testTargets = testTargets }
        if !fuzzTargets.isEmpty { c.fuzzTargets = fuzzTargets.compactMap(FuzzTarget.init(rawValue:)) }
        c.fuzzSeconds = fuzzSeconds
        c.verifyEquivalents = verifyEquivalents
        if let workers { c.workers = workers }
        c.configuration = configuration
        let run = MutationRun(c, interactive: isatty(STDERR_FILENO) != 0) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let result = try run.run()
        print("")
        print("Mutation score: \(result.scoreLine)")
        print(
            "Mutants per minute: \(String(format: "%.1f", result.mutantsPerMinute)); whole run \(MutationReport.minutes(result.wallSeconds))"
        )
        for e in result.survivors.prefix(30) { print("  survivor \(e.mutant.key) \(e.mutant.summary)") }
        if result.survivors.count > 30 { print("  ... \(result.survivors.count - 30) more in the report") }
        for e in result.wronglyEquivalent { print("  listed as equivalent but killed: \(e.mutant.key) by \(e.check ?? "?")") }
        print("Report: \(c.report)/report.md (also report.json)")
        if let minimumScore, result.score < minimumScore {
            print("FAILED: score \(String(format: "%.1f", result.score))% is below \(minimumScore)%")
            throw ExitCode(1)
        }
        if !result.wronglyEquivalent.isEmpty {
            print("FAILED: Mutation/EQUIVALENT lists mutants that a check kills")
            throw ExitCode(1)
        }
    }
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the parser module and write Sources/SMTPCommandParser/VERIFICATION.md.",
        discussion: """
            The record a user reads before vendoring the parser, and whose summary line \
            `abnfc vendor` copies into every vendored file. One command runs all of it:

              1. a campaign on every target for --duration each (the default campaign), with \
                 line and region coverage of the hand-written parser files from the corpora \
                 and the test suite (a coverage build of the tests that reach the parser);
              2. the full mutation run (`smtp-fuzz mutants`), unless --mutation-report names \
                 a full run of the same sources;
              3. `abnfc verify` and `abnfc prove`;
              4. VERIFICATION.md with the figures, the date, the commit and a digest of the \
                 module's sources, which `smtp-fuzz check-record` (CI) compares with the \
                 sources as they are.

            Run it on a quiet machine, on the commit the record describes, and commit \
            VERIFICATION.md with any new corpus inputs. Expect about an hour on 2 cores \
            from a fresh clone (most of it the server-pipeline harness's first build and the \
            mutation run); the README has the current figure.
            """)

    @Option(help: ArgumentHelp("Fuzzing time per target: seconds, or 90s, 5m, 2h.", valueName: "time"))
    var duration = "90s"

    @Option(help: ArgumentHelp("Targets fuzzed at once (default: the number of cores).", valueName: "n"))
    var parallel: Int?

    @Option(help: ArgumentHelp("Use this finished full mutation run (a report folder) instead of running one.", valueName: "dir"))
    var mutationReport: String?

    @Option(name: .customLong("package-path"), help: "The root package folder (default: the current folder).")
    var packagePath = "."

    func validate() throws {
        guard CampaignConfiguration.parseDuration(duration) != nil else {
            throw ValidationError("--duration \"\(duration)\": give seconds, or a number with s, m or h (90s, 5m, 2h)")
        }
        guard FileManager.default.fileExists(atPath: packagePath + "/Fuzz/Package.swift") else {
            throw ValidationError(
                "no Fuzz/Package.swift under \(packagePath): run from the package folder or give --package-path")
        }
    }

    func run() throws {
        let started = Date()
        let interactive = isatty(STDERR_FILENO) != 0
        let say: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let root = URL(fileURLWithPath: packagePath).standardizedFileURL.path
        let digest = try ParserSources.digest(packageRoot: root)
        var mutation: MutationReport?
        let mutationReused = mutationReport != nil
        if let mutationReport {
            let report: MutationReport
            do {
                report = try JSONDecoder().decode(
                    MutationReport.self, from: Data(contentsOf: URL(fileURLWithPath: mutationReport + "/report.json")))
            } catch {
                throw ValidationError(
                    "--mutation-report \(mutationReport): cannot read its report.json (missing, or written by an older smtp-fuzz): \(error)"
                )
            }
            guard report.sourceDigest == digest, report.sample == nil else {
                throw ValidationError(
                    "--mutation-report \(mutationReport): \(report.sample != nil ? "a sample, not a full run" : "made from other sources than the current ones")"
                )
            }
            mutation = report
        }

        say("==== 1. campaign on every target, coverage of corpora and tests")
        var c = CampaignConfiguration(packageRoot: root)
        c.duration = CampaignConfiguration.parseDuration(duration)!
        try c.setParallelism(jobs: nil, parallel: parallel, cores: ProcessInfo.processInfo.activeProcessorCount)
        c.testCoverage = true
        let campaign = try Campaign(c, interactive: interactive, say: say).run()

        if mutation == nil {
            say("==== 2. mutation testing")
            let m = MutationConfiguration(packageRoot: root, report: c.report + "/mutation")
            mutation = try MutationRun(m, interactive: interactive, say: say).run()
        }
        guard try ParserSources.digest(packageRoot: root) == digest else {
            throw ValidationError("the parser's sources changed during the run: start again on a quiet checkout")
        }

        say("==== 3. abnfc verify and prove; VERIFICATION.md")
        let record = try VerificationRecord.make(
            packageRoot: root, campaign: campaign, mutation: mutation!, recordSeconds: Date().timeIntervalSince(started),
            mutationReused: mutationReused)
        try record.write(packageRoot: root)
        print("")
        print("Sources/SMTPCommandParser/VERIFICATION.md written:")
        print("Last verified: \(record.summary)")
        print("Campaign report: \(c.report)/report.md; mutation report: \(mutation!.reportFolder)/report.md")
        print("Took \(MutationReport.minutes(Date().timeIntervalSince(started))).")
    }
}

struct CheckRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-record",
        abstract: "Exit 1 when Sources/SMTPCommandParser/VERIFICATION.md does not describe the sources as they are.",
        discussion: """
            Compares the digest VERIFICATION.md carries with the digest of the module's \
            sources now (every file of Sources/SMTPCommandParser but the record and its \
            documentation catalogue, and of the local targets it depends on). CI runs it \
            (scripts/check-verification-record.sh); after changing the parser, regenerate \
            the record with `swift run -c release smtp-fuzz record`.
            """)

    @Option(name: .customLong("package-path"), help: "The root package folder (default: the current folder).")
    var packagePath = "."

    func run() throws {
        let root = URL(fileURLWithPath: packagePath).standardizedFileURL.path
        if let why = try VerificationRecord.staleness(packageRoot: root) {
            print("VERIFICATION.md is out of date: \(why).")
            print(
                "Regenerate it on a quiet machine: swift run -c release smtp-fuzz record (see README.md for how long it takes),")
            print("then commit Sources/SMTPCommandParser/VERIFICATION.md.")
            throw ExitCode(1)
        }
        print("VERIFICATION.md matches the parser's sources.")
    }
}
