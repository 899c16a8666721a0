// `smtp-fuzz mutants`: mutation testing of the hand-written files of the
// parser module and of every local module it depends on that holds Swift
// (ParserSources.swiftModules: today SMTPParserRuntime), with mutation
// switching. One instrumented copy of each module (Mutation/'s smtp-mutate,
// on swift-syntax) holds its mutants behind SMTP_MUTANT, with ids unique
// across the modules; the copies are built once into a test bundle and into
// the libFuzzer harnesses, and each mutant then costs runs of the checks, not
// a build:
//
//  1. instrument; build; a mutant whose code does not compile is left out and
//     the copy is written again (listed in the report, not scored);
//  2. run every check once with no mutant on, recording which mutants' sites it
//     reaches (SMTP_MUTANT_TRACE) and how long it takes; a check that fails
//     here is left out (and listed);
//  3. per mutant, run the checks that reach it, the most successful so far
//     for its declaration first, and stop at the first failure: killed by
//     that check. None failing: survived. None reaching it: survived (not
//     reached). Listed in Mutation/EQUIVALENT: equivalent (still run: a kill
//     means the note is wrong).
//
// Results are appended to results.jsonl as each mutant finishes, so an
// interrupted run continues with --resume.

import Foundation
import FuzzProperties
import MutationCatalog

public struct MutationConfiguration: Sendable {
    public var packageRoot: String
    /// The module whose hand-written files are mutated, with those of the local modules it depends on.
    public var module = "SMTPCommandParser"
    /// Test targets whose classes are checks (nil: the default suite).
    public var testTargets: [String]?
    /// `kernel` holds the SIMD path to the table automata, so a mutant on either path that
    /// changes a verdict or a field is seen there too.
    public var fuzzTargets: [FuzzTarget] = [.parser, .framer, .differential, .kernel]
    public var fuzzSeconds = 2
    /// Run the mutants listed in Mutation/EQUIVALENT too (a kill shows a wrong note).
    public var verifyEquivalents = false
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Run only this many mutants, chosen by `seed` (CI).
    public var sample: Int?
    public var seed: UInt64 = 1
    /// Only mutants whose file or key contains one of these.
    public var only: [String] = []
    public var report: String
    public var resume = false
    /// The build configuration of the test bundle (the harnesses are always release + ASan).
    public var configuration = "release"
    public var corpus: String

    /// The parser's own checks (Fuzz/README.md, issue "verification you can vendor"):
    /// fixtures, framer tests and the differential tests against the interpreter
    /// (SMTPCommandParserTests), the property suites (PropertyTests), the generated
    /// automata and recursive descent against the interpreter (ABNFCompilerTests).
    public static let defaultTestTargets = ["SMTPCommandParserTests", "PropertyTests", "ABNFCompilerTests"]

    public init(packageRoot: String, report: String? = nil, now: Date = Date()) {
        let root = URL(fileURLWithPath: packageRoot).standardizedFileURL.path
        self.packageRoot = root
        self.report = report ?? root + "/.mutation-reports/" + CampaignConfiguration.timestamp(now)
        corpus = root + "/Corpus"
    }

    /// Whether `--only` chooses a mutant of this file with this key (everything without `--only`).
    func selects(file: String, key: String) -> Bool { only.isEmpty || only.contains { file.contains($0) || key == $0 } }

    public var scratch: String { packageRoot + "/.build-mutants" }
    public var equivalentFile: String { packageRoot + "/Mutation/EQUIVALENT" }
}

/// One mutant's result, one line of results.jsonl.
public struct MutantResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case killed, survived
        case notReached = "not-reached"
        case equivalent
        case notCompiled = "not-compiled"
    }
    public var key: String
    public var status: Status
    /// The check that killed it.
    public var check: String?
    public var detail: String?
    public var seconds: Double
    /// Checks run for it.
    public var checksRun: Int
}

public final class MutationRun: @unchecked Sendable {
    public let c: MutationConfiguration
    let say: (String) -> Void
    let progress: ProgressDisplay

    public init(_ configuration: MutationConfiguration, interactive: Bool, say: @escaping (String) -> Void) {
        c = configuration
        self.say = say
        progress = ProgressDisplay(interactive: interactive, say: say)
    }

    /// One folder per module: `<this>/<module folder's name>`.
    var instrumentedRoot: String { "\(c.scratch)/Instrumented" }
    var testsWorkspace: VerificationWorkspace { VerificationWorkspace(folder: "\(c.scratch)/tests", packageRoot: c.packageRoot) }
    var fuzzWorkspace: VerificationWorkspace { VerificationWorkspace(folder: "\(c.scratch)/fuzz", packageRoot: c.packageRoot) }

    // MARK: Steps

    public func run() throws -> MutationReport {
        let start = Date()
        let fm = FileManager.default
        try fm.createDirectory(atPath: c.report, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: c.scratch, withIntermediateDirectories: true)
        say("Report folder: \(c.report)")
        let digest = try ParserSources.digest(packageRoot: c.packageRoot, module: c.module)
        var previous: [String: MutantResult] = [:]
        if c.resume {
            let state = try? JSONDecoder().decode(
                MutationState.self, from: Data(contentsOf: URL(fileURLWithPath: c.report + "/state.json")))
            guard let state, state.sourceDigest == digest else {
                throw CampaignError(
                    "--resume \(c.report): the parser's sources changed since that run (or it has no state.json); start a new run"
                )
            }
            previous = MutationState.results(in: c.report)
            say("Resuming: \(previous.count) mutants already done")
        }
        try JSONEncoder().encode(MutationState(sourceDigest: digest, module: c.module)).write(
            to: URL(fileURLWithPath: c.report + "/state.json"))

        let modules = try ParserSources.swiftModules(packageRoot: c.packageRoot, module: c.module)
        say("== instrument \(modules.map(\.target).joined(separator: ", ")) (Mutation/ smtp-mutate, swift-syntax)")
        let buildStart = Date()
        let mutate = try buildMutateTool()
        let definitions = try VerificationWorkspace.Definitions.load(packageRoot: c.packageRoot)
        let testTargets = try chooseTestTargets(definitions)
        let instrumented = Dictionary(uniqueKeysWithValues: modules.map { ($0.target, "Instrumented/\($0.name)") })
        for ws in [testsWorkspace, fuzzWorkspace] {
            try fm.createDirectory(atPath: ws.folder, withIntermediateDirectories: true)
            let link = ws.folder + "/Instrumented"
            if (try? fm.destinationOfSymbolicLink(atPath: link)) == nil {
                try fm.createSymbolicLink(atPath: link, withDestinationPath: c.scratch + "/Instrumented")
            }
        }
        try testsWorkspace.write(definitions, targets: testTargets, instrumented: instrumented)
        try fuzzWorkspace.write(definitions, targets: [], harnesses: c.fuzzTargets.map(\.harness), instrumented: instrumented)

        var notCompiled: [String: String] = [:]
        if c.resume, let text = try? String(contentsOfFile: c.report + "/not-compiled.txt", encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if let key = parts.first { notCompiled[String(key)] = parts.count > 1 ? String(parts[1]) : "" }
            }
        }
        var catalog = try instrument(mutate, modules: modules, excluding: notCompiled)
        for m in catalog.modules {
            say(
                "  \(m.name): \(m.mutantCount) mutants (ids \(m.firstID)–\(m.firstID + m.mutantCount - 1)) in \(m.instrumentedFiles.count) hand-written files: \(m.instrumentedFiles.joined(separator: ", "))"
            )
        }
        say(
            "  generated files left alone (abnfc verify and abnfc prove check them against the grammar): \(catalog.generatedFiles.joined(separator: ", "))"
        )

        say("== build the instrumented modules (\(c.configuration))")
        for round in 1...12 {
            let errors = try buildModule(catalog)
            guard !errors.isEmpty else { break }
            let dropped = Self.mutantsToDrop(errors, catalog: catalog)
            guard !dropped.isEmpty, round < 12 else {
                throw CampaignError(
                    "the instrumented module does not compile and the errors name no mutant:\n"
                        + errors.prefix(10).map { "\($0.file):\($0.line): \($0.message)" }.joined(separator: "\n"))
            }
            for (key, message) in dropped { notCompiled[key] = message }
            say("  \(dropped.count) mutants do not compile; leaving them out and instrumenting again")
            try writeNotCompiled(notCompiled)
            catalog = try instrument(mutate, modules: modules, excluding: Set(notCompiled.keys))
        }
        try writeNotCompiled(notCompiled)

        say(
            "== build the checks: test bundle (\(testTargets.joined(separator: ", "))) and harnesses (\(c.fuzzTargets.map(\.harness).joined(separator: ", ")))"
        )
        try buildChecks()
        let buildSeconds = Date().timeIntervalSince(buildStart)

        say("== baseline: every check once with no mutant on (timing, and which mutants each reaches)")
        let baselineStart = Date()
        let runner = CheckRunner(
            testBundle: "\(testsWorkspace.folder)/.build/\(c.configuration)/\(testsWorkspace.testBundle)",
            harnesses: Dictionary(
                uniqueKeysWithValues: c.fuzzTargets.map { ($0.rawValue, "\(fuzzWorkspace.folder)/.build/release/\($0.harness)") }),
            packageRoot: c.packageRoot, corpus: c.corpus, fuzzSeconds: c.fuzzSeconds, scratch: c.scratch + "/runs")
        let tests = try listTests(runner.testBundle, targets: testTargets)
        let checks =
            tests.map { MutationCheck(kind: .xctest, name: $0) }
            + c.fuzzTargets.map { MutationCheck(kind: .fuzz, name: $0.rawValue) }
        let baseline = try runBaseline(checks, runner: runner, mutantCount: catalog.mutants.count)
        let baselineSeconds = Date().timeIntervalSince(baselineStart)

        // Which mutants to run.
        let equivalents = try EquivalentMutants.load(c.equivalentFile)
        var mutants = catalog.mutants
        if !c.only.isEmpty { mutants = mutants.filter { c.selects(file: $0.file, key: $0.key) } }
        if let sample = c.sample { mutants = Self.sample(mutants, count: sample, seed: c.seed) }
        let todo = mutants.filter { previous[$0.key] == nil }
        say(
            "== \(todo.count) mutants to run\(c.sample.map { " (a sample of \($0), seed \(c.seed))" } ?? ""), \(c.workers) at a time; checks: \(baseline.usable.count) (\(baseline.excluded.count) left out)"
        )
        let mutantStart = Date()
        let cpuBefore = Self.childrenCPUSeconds()
        let scheduler = MutantScheduler(
            mutants: todo, checks: baseline, runner: runner, equivalents: equivalents, runEquivalents: c.verifyEquivalents,
            resultsFile: c.report + "/results.jsonl",
            workers: c.workers, progress: progress, total: mutants.count, alreadyDone: mutants.count - todo.count)
        scheduler.run()
        let mutantSeconds = Date().timeIntervalSince(mutantStart)
        let mutantCPUSeconds = Self.childrenCPUSeconds() - cpuBefore
        progress.finish()

        let results = MutationState.results(in: c.report)
        let report = MutationReport(
            modules: catalog.moduleNames, date: CampaignConfiguration.timestamp(start), sourceDigest: digest,
            catalog: catalog, selected: mutants, results: results,
            // Those of the files --only chose (a not-compilable mutant's key names its file first).
            notCompiled: notCompiled.filter { c.selects(file: String($0.key.prefix { $0 != ":" }), key: $0.key) },
            equivalents: equivalents,
            checks: baseline, testTargets: testTargets, fuzzTargets: c.fuzzTargets.map(\.rawValue), fuzzSeconds: c.fuzzSeconds,
            sample: c.sample, seed: c.seed, workers: c.workers,
            buildSeconds: buildSeconds, baselineSeconds: baselineSeconds, mutantSeconds: mutantSeconds,
            mutantCPUSeconds: mutantCPUSeconds, loadAverage: Self.loadAverage(),
            mutantsRunNow: todo.count, wallSeconds: Date().timeIntervalSince(start), reportFolder: c.report)
        try report.write()
        return report
    }

    /// Tests may `@testable import` the parser (a debug build allows that by default; a
    /// release build of the checks needs it asked for). The module's build uses the same
    /// flags so that the test bundle's build reuses it.
    static let testable = ["-Xswiftc", "-enable-testing"]

    func chooseTestTargets(_ definitions: VerificationWorkspace.Definitions) throws -> [String] {
        let reaching = definitions.testTargets(reaching: c.module)
        if let chosen = c.testTargets {
            for t in chosen where !reaching.contains(t) {
                throw CampaignError(
                    "test target \(t) does not reach \(c.module) through local targets only; possible: \(reaching.joined(separator: ", "))"
                )
            }
            return chosen
        }
        return MutationConfiguration.defaultTestTargets.filter(reaching.contains)
    }

    func buildMutateTool() throws -> String {
        let package = c.packageRoot + "/Mutation"
        try build(["build", "--package-path", package, "--product", "smtp-mutate"], what: "smtp-mutate", package: package)
        return package + "/.build/debug/smtp-mutate"
    }

    func instrument(_ tool: String, modules: [SourceModule], excluding: [String: String]) throws -> MutantCatalog {
        try instrument(tool, modules: modules, excluding: Set(excluding.keys))
    }

    /// One smtp-mutate run over every module, so ids continue from one module to the next.
    func instrument(_ tool: String, modules: [SourceModule], excluding: Set<String>) throws -> MutantCatalog {
        let excludeFile = c.scratch + "/exclude.txt"
        try Data(excluding.sorted().joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: excludeFile))
        let catalogFile = c.report + "/mutants.json"
        let result = try runTool(
            tool,
            modules.flatMap { ["--module", c.packageRoot + "/" + $0.path] }
                + ["--output", instrumentedRoot, "--catalog", catalogFile, "--exclude-file", excludeFile])
        guard result.status == 0 else { throw CampaignError("smtp-mutate failed:\n\(result.output.suffix(3000))") }
        let catalog = try JSONDecoder().decode(MutantCatalog.self, from: Data(contentsOf: URL(fileURLWithPath: catalogFile)))
        guard catalog.moduleNames == modules.map(\.name) else {
            throw CampaignError("smtp-mutate instrumented \(catalog.moduleNames), not \(modules.map(\.name))")
        }
        return catalog
    }

    func writeNotCompiled(_ notCompiled: [String: String]) throws {
        let text =
            "# Mutants left out because their code does not compile: <key> <compiler message>\n"
            + notCompiled.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: c.report + "/not-compiled.txt"))
    }

    /// Builds the instrumented module (and the instrumented modules it depends on) alone;
    /// returns their compile errors.
    func buildModule(_ catalog: MutantCatalog) throws -> [CompileError] {
        let result = try runBuild(
            ["build", "-c", c.configuration, "--package-path", testsWorkspace.folder, "--target", c.module] + Self.testable)
        if result.status == 0 { return [] }
        let errors = CompileError.parse(result.output, modules: catalog.modules)
        if errors.isEmpty { throw CampaignError("building the instrumented \(c.module) failed:\n\(result.output.suffix(4000))") }
        return errors
    }

    func buildChecks() throws {
        try build(
            ["build", "-c", c.configuration, "--package-path", testsWorkspace.folder, "--build-tests"] + Self.testable,
            what: "the test bundle", package: testsWorkspace.folder)
        for target in c.fuzzTargets {
            try build(
                [
                    "build", "-c", "release", "--package-path", fuzzWorkspace.folder, "--sanitize=fuzzer", "--sanitize=address",
                    "-Xswiftc", "-sanitize=fuzzer,address", "--product", target.harness,
                ], what: target.harness, package: fuzzWorkspace.folder)
        }
    }

    func runBuild(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var result: (status: Int32, output: String) = (0, "")
        for attempt in 1...3 {
            result = try runTool(Toolchain.swift, arguments)
            // Others editing the sources while we build: build again.
            guard result.status != 0, result.output.contains("was modified during the build"), attempt < 3 else { break }
            Thread.sleep(forTimeInterval: 5)
        }
        return result
    }

    func build(_ arguments: [String], what: String, package: String) throws {
        say("$ swift \(arguments.joined(separator: " "))")
        let started = Date()
        let result = try runBuild(arguments)
        guard result.status == 0 else { throw CampaignError("building \(what) failed:\n\(result.output.suffix(4000))") }
        say("  built \(what) in \(Int(Date().timeIntervalSince(started))) s")
    }

    /// Every test method of the chosen targets, `Module.Class/testMethod`: a check each,
    /// so a mutant runs only the tests that reach it.
    func listTests(_ bundle: String, targets: [String]) throws -> [String] {
        let result = try runTool(bundle, ["--list-tests"], environment: ["SWIFT_BACKTRACE": "enable=no"])
        var tests: [String] = []
        for line in result.output.split(separator: "\n") {
            // "PropertyTests.BoundaryProperties/testClientIDTokenLengths"
            let name = line.trimmingCharacters(in: .whitespaces)
            guard name.contains("/"), let module = name.split(separator: ".").first, targets.contains(String(module)),
                !tests.contains(name)
            else { continue }
            tests.append(name)
        }
        guard !tests.isEmpty else { throw CampaignError("\(bundle) --list-tests listed no test of \(targets)") }
        return tests
    }

    func runBaseline(_ checks: [MutationCheck], runner: CheckRunner, mutantCount: Int) throws -> BaselineChecks {
        try FileManager.default.createDirectory(atPath: c.scratch + "/runs", withIntermediateDirectories: true)
        let traces = c.scratch + "/traces"
        try? FileManager.default.removeItem(atPath: traces)
        try FileManager.default.createDirectory(atPath: traces, withIntermediateDirectories: true)
        let collected = BaselineCollector(checks)
        DispatchQueue.concurrentPerform(iterations: max(1, c.workers)) { _ in
            while let check = collected.take() {
                let trace = "\(traces)/\(check.label.replacingOccurrences(of: "/", with: "_")).trace"
                let timeout = check.kind == .fuzz ? Double(c.fuzzSeconds) + 300 : 600
                let outcome = try? runner.run(check, mutant: 0, timeout: timeout, trace: trace)
                let reached = (try? Data(contentsOf: URL(fileURLWithPath: trace))).map(Self.reachedMutants) ?? []
                if let outcome, !outcome.failed {
                    collected.add(BaselineChecks.Entry(check: check, seconds: outcome.seconds, reached: reached))
                    say(String(format: "  %@: %.2f s, reaches %d mutants", check.label, outcome.seconds, reached.count))
                } else {
                    collected.exclude(check.label, outcome?.detail ?? "could not start")
                    say("  \(check.label): FAILS WITHOUT A MUTANT (\(outcome?.detail ?? "could not start")): left out")
                }
            }
        }
        var usable = collected.usable
        let excluded = collected.excluded
        usable.sort { $0.check.label < $1.check.label }
        return BaselineChecks(usable: usable, excluded: excluded)
    }

    /// The ids a trace file marks: byte <id> is 1 when mutant <id>'s site ran. Each
    /// instrumented module writes its own ids in place at exit (`__MutantSwitch.swift`), so
    /// the bytes of a module that was never reached are a hole or missing: not reached.
    static func reachedMutants(_ trace: Data) -> Set<Int> {
        Set(trace.enumerated().compactMap { $0.element != 0 && $0.offset > 0 ? $0.offset : nil })
    }

    /// Mutants to leave out for these compile errors: those on an error's line. Where
    /// the error is about control flow ("missing return", a constant "used before being
    /// initialized": a removed `throw` lets a path fall through), or no mutant is on that
    /// line, the removed `throw`s and `return`s of the declaration around it; failing
    /// that, its other statement deletions; failing that, all its mutants.
    static func mutantsToDrop(_ errors: [CompileError], catalog: MutantCatalog) -> [(String, String)] {
        var dropped: [(String, String)] = []
        var seen: Set<String> = []
        for error in errors {
            let inFile = catalog.mutants.filter { $0.file == error.file }
            let controlFlow =
                error.message.contains("missing return") || error.message.contains("before being initialized")
                || error.message.contains("must not fall through")
            var hits = controlFlow ? [] : inFile.filter { $0.line == error.line }
            if hits.isEmpty {
                // The innermost declaration around the line.
                let enclosing = inFile.filter { $0.declarationStart <= error.line && error.line <= $0.declarationEnd }
                let span = enclosing.map { $0.declarationEnd - $0.declarationStart }.min()
                let around = enclosing.filter { $0.declarationEnd - $0.declarationStart == span }
                let deletions = around.filter { $0.operator == .deleteStatement }
                hits = deletions.filter { $0.original.hasPrefix("throw ") || $0.original.hasPrefix("return ") }
                if hits.isEmpty { hits = deletions }
                if hits.isEmpty { hits = around }
            }
            for m in hits where seen.insert(m.key).inserted {
                dropped.append((m.key, "\(error.file):\(error.line): \(error.message)"))
            }
        }
        return dropped
    }

    /// User + system seconds of every child process that has ended (the checks).
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        let children = RUSAGE_CHILDREN.rawValue
        #else
        let children = RUSAGE_CHILDREN
        #endif
        guard getrusage(children, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The 1-minute load average at the end of the run (how busy the machine was), if known.
    static func loadAverage() -> Double? {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) > 0 ? loads[0] : nil
    }

    /// A deterministic choice of `count` mutants for `seed`.
    public static func sample(_ mutants: [Mutant], count: Int, seed: UInt64) -> [Mutant] {
        func rank(_ m: Mutant) -> UInt64 {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
            for b in m.key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
            return h
        }
        return Array(mutants.sorted { rank($0) < rank($1) }.prefix(count)).sorted { $0.id < $1.id }
    }
}

final class BaselineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [MutationCheck]
    private(set) var usable: [BaselineChecks.Entry] = []
    private(set) var excluded: [String: String] = [:]

    init(_ checks: [MutationCheck]) { queue = checks.reversed() }

    func take() -> MutationCheck? {
        lock.lock()
        defer { lock.unlock() }
        return queue.popLast()
    }

    func add(_ entry: BaselineChecks.Entry) {
        lock.lock()
        usable.append(entry)
        lock.unlock()
    }

    func exclude(_ label: String, _ why: String) {
        lock.lock()
        excluded[label] = why
        lock.unlock()
    }
}

/// What the baseline found: the checks that pass with no mutant on, how long
/// each takes, and which mutants' sites each reaches.
public struct BaselineChecks: Sendable {
    public struct Entry: Sendable {
        public var check: MutationCheck
        public var seconds: Double
        public var reached: Set<Int>
    }
    public var usable: [Entry]
    /// Checks that fail with no mutant on, and why.
    public var excluded: [String: String]
}

public struct CompileError: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var message: String

    /// `/path/Instrumented/SMTPParserRuntime/Automaton.swift:12:5: error: message`, files
    /// named as the mutants name them (`MutantCatalog.Module.fileName`: here
    /// `SMTPParserRuntime/Automaton.swift`); errors outside the instrumented copies are skipped.
    public static func parse(_ output: String, modules: [MutantCatalog.Module]) -> [CompileError] {
        var errors: [CompileError] = []
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: ": error: ") else { continue }
            let location = line[..<range.lowerBound].split(separator: ":")
            guard location.count >= 3, let number = Int(location[location.count - 2]) else { continue }
            let path = location.dropLast(2).joined(separator: ":")
            // The copy the path is in: the last "/Instrumented/<module>/" in it.
            let copies = modules.compactMap { m in
                path.range(of: "/Instrumented/\(m.name)/", options: .backwards).map { (m, $0) }
            }
            guard let (module, at) = copies.max(by: { $0.1.lowerBound < $1.1.lowerBound }) else { continue }
            let file = module.fileName(String(path[at.upperBound...]))
            let error = CompileError(file: file, line: number, message: String(line[range.upperBound...]))
            if !errors.contains(error) { errors.append(error) }
        }
        return errors
    }
}

/// Written at the start of a run: what --resume checks before reusing results.
struct MutationState: Codable {
    var sourceDigest: String
    var module: String

    static func results(in folder: String) -> [String: MutantResult] {
        guard let text = try? String(contentsOfFile: folder + "/results.jsonl", encoding: .utf8) else { return [:] }
        var results: [String: MutantResult] = [:]
        let decoder = JSONDecoder()
        for line in text.split(separator: "\n") {
            if let r = try? decoder.decode(MutantResult.self, from: Data(line.utf8)) { results[r.key] = r }
        }
        return results
    }
}
