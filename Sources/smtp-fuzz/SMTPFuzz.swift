// smtp-fuzz: the fuzzing campaign runner. A thin shell over FuzzCampaign.

import ArgumentParser
import Foundation
import FuzzCampaign
import FuzzProperties

@main
struct SMTPFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-fuzz",
        abstract: "Fuzz the SMTP parser, framer, automata and grammar front end with libFuzzer.",
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
              --jobs N          harnesses at once (default: the cores)
              --corpus DIR      seeds, dictionaries, Regressions/ (default Corpus)
              --report DIR      default .fuzz-reports/<timestamp>/
              --no-coverage, --no-merge, --no-minimize, --no-build: skip a step

            Examples:
              swift run -c release smtp-fuzz
              swift run -c release smtp-fuzz --target parser --duration 10m
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

    @Option(help: "Harness processes at once (default: the number of cores).")
    var jobs: Int?

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
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard FileManager.default.fileExists(atPath: packagePath + "/Fuzz/Package.swift") else {
            throw ValidationError(
                "no Fuzz/Package.swift under \(packagePath): run from the package folder or give --package-path")
        }
    }

    func run() throws {
        var c = CampaignConfiguration(packageRoot: packagePath, corpus: corpus, report: report)
        if !targets.isEmpty { c.targets = targets.compactMap(FuzzTarget.init(rawValue:)) }
        c.duration = CampaignConfiguration.parseDuration(duration)!
        if let jobs { c.jobs = jobs }
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
