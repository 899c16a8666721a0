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
            coverage of Sources/SMTPCommandParser with llvm-cov (Fuzz/.build-cov), and writes \
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
        subcommands: [Run.self, Seeds.self],
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
