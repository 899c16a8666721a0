// Line and region coverage of the hand-written files of the parser module and
// of the local modules it depends on (ParserSources.swiftModules: today
// SMTPParserRuntime) from the campaign's corpora and the test suite together
// (llvm-cov; Swift emits line and region coverage, no branch regions), with
// every region no input and no test reaches listed by file and line.
//
// The test suite: every test target of the package that reaches one of the
// modules through local targets only (the NIO-backed ones are not built), built with
// -profile-generate -profile-coverage-mapping in a workspace package
// (VerificationWorkspace) under .build-coverage/. Its profiles are merged with
// the harnesses' corpus profiles.

import Foundation

public struct FileCoverage: Codable, Sendable {
    /// Named as mutant keys name it: `LineFramer.swift`, `SMTPParserRuntime/Automaton.swift`.
    public var file: String
    public var lines: Int
    public var coveredLines: Int
    public var regions: Int
    public var coveredRegions: Int
    public var functions: Int
    public var coveredFunctions: Int
}

public struct UncoveredRegion: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var endLine: Int
    public var endColumn: Int
    /// The source line where the region starts, trimmed.
    public var text: String
    /// Why nothing reaches it, from Fuzz/UNCOVERED (nil: not explained yet).
    public var why: String?
}

/// Fuzz/UNCOVERED: regions of the hand-written parser files that no input and
/// no test reaches, each with the reason. A record is two lines: the file and
/// the trimmed source line where the region starts (`LineFramer.swift: code`,
/// `SMTPParserRuntime/Automaton.swift: code` for a module the parser depends on),
/// then the reason, indented. Keyed by the code, not the line number, so a
/// note survives edits elsewhere in the file.
public struct UncoveredNotes: Sendable {
    public var reasons: [String: String]

    public init(reasons: [String: String] = [:]) { self.reasons = reasons }

    static func key(_ file: String, _ text: String) -> String { file + ": " + text.trimmingCharacters(in: .whitespaces) }

    public static func parse(_ text: String) throws -> UncoveredNotes {
        var reasons: [String: String] = [:]
        var current: String?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                guard let key = current else {
                    throw CampaignError("Fuzz/UNCOVERED:\(number + 1): a reason with no code line above it")
                }
                let reason = line.trimmingCharacters(in: .whitespaces)
                reasons[key] = reasons[key].map { $0 + " " + reason } ?? reason
            } else {
                guard let colon = line.range(of: ": ") else {
                    throw CampaignError("Fuzz/UNCOVERED:\(number + 1): expected \"File.swift: code\", got \"\(line)\"")
                }
                current = key(String(line[..<colon.lowerBound]), String(line[colon.upperBound...]))
            }
        }
        for (key, reason) in reasons where reason.isEmpty { throw CampaignError("Fuzz/UNCOVERED: \(key) has no reason") }
        return UncoveredNotes(reasons: reasons)
    }

    public static func load(_ path: String) throws -> UncoveredNotes {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return UncoveredNotes() }
        return try parse(text)
    }

    public func reason(_ region: UncoveredRegion) -> String? { reasons[Self.key(region.file, region.text)] }
}

public struct ParserCoverageReport: Codable, Sendable {
    /// The modules whose hand-written files are measured: the parser, then the modules it depends on.
    public var modules: [String]
    /// What ran: "fuzz corpus: parser, framer, ..." and "tests: ...".
    public var sources: [String]
    public var files: [FileCoverage]
    public var uncovered: [UncoveredRegion]

    public var lines: Int { files.reduce(0) { $0 + $1.lines } }
    public var coveredLines: Int { files.reduce(0) { $0 + $1.coveredLines } }
    public var regions: Int { files.reduce(0) { $0 + $1.regions } }
    public var coveredRegions: Int { files.reduce(0) { $0 + $1.coveredRegions } }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "–" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
    }

    public var lineCover: String { Self.percent(coveredLines, lines) }
    public var regionCover: String { Self.percent(coveredRegions, regions) }

    public func markdown() -> String {
        var md = """
            Line and region coverage of the hand-written files of \(MutationReport.list(modules)) by \(sources.joined(separator: "; ")) \
            (llvm-cov; Swift has no branch regions): **\(lineCover) of \(lines) lines, \(regionCover) of \(regions) regions**.

            | file | lines | regions | functions |
            | --- | ---: | ---: | ---: |

            """
        for f in files {
            md +=
                "| \(f.file) | \(Self.percent(f.coveredLines, f.lines)) of \(f.lines) | \(Self.percent(f.coveredRegions, f.regions)) of \(f.regions) | \(f.coveredFunctions) of \(f.functions) |\n"
        }
        let unexplained = uncovered.filter { $0.why == nil }
        md +=
            "\nRegions no input and no test reaches: \(uncovered.count), \(uncovered.count - unexplained.count) explained in Fuzz/UNCOVERED.\n\n"
        if uncovered.isEmpty { md += "None.\n" }
        for r in unexplained {
            md += "- \(r.file):\(r.line):\(r.column)–\(r.endLine):\(r.endColumn) `\(r.text)` — **not explained**\n"
        }
        for r in uncovered where r.why != nil {
            md += "- \(r.file):\(r.line):\(r.column)–\(r.endLine):\(r.endColumn) `\(r.text)` — \(r.why!)\n"
        }
        return md
    }
}

public enum ParserCoverage {
    /// Builds the package's tests that reach any of `modules` with coverage instrumentation
    /// and runs them once; returns the test bundle (for llvm-cov) and its merged profile.
    public static func testSuiteProfile(
        packageRoot: String, modules: [String], folder: String, say: (String) -> Void
    ) throws -> (bundle: String, profile: String, targets: [String]) {
        guard let profdata = Toolchain.tool("llvm-profdata") else {
            throw CampaignError("no llvm-profdata beside swiftc: the toolchain's own LLVM tools are needed")
        }
        let definitions = try VerificationWorkspace.Definitions.load(packageRoot: packageRoot)
        let reaching = Set(modules.flatMap { definitions.testTargets(reaching: $0) })
        let targets = definitions.root.order.filter(reaching.contains)
        let workspace = VerificationWorkspace(folder: folder, packageRoot: packageRoot)
        try workspace.write(definitions, targets: targets)
        let arguments =
            [
                "build", "-c", "release", "--package-path", folder, "--build-tests",
                "-Xswiftc", "-profile-generate", "-Xswiftc", "-profile-coverage-mapping",
            ] + MutationRun.testable
        say("$ swift \(arguments.joined(separator: " "))")
        let started = Date()
        let build = try runTool(Toolchain.swift, arguments)
        guard build.status == 0 else {
            throw CampaignError("building the tests with coverage failed:\n\(build.output.suffix(4000))")
        }
        say("  built the tests (\(targets.joined(separator: ", "))) in \(Int(Date().timeIntervalSince(started))) s")
        let bundle = "\(folder)/.build/release/\(workspace.testBundle)"
        let profiles = folder + "/profiles"
        try? FileManager.default.removeItem(atPath: profiles)
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        let run = try runTool(
            bundle, [], environment: ["LLVM_PROFILE_FILE": profiles + "/tests-%p.profraw", "SWIFT_BACKTRACE": "enable=no"],
            directory: folder, timeout: 3600)
        let summary = run.output.split(separator: "\n").last { $0.contains("Executed") } ?? ""
        say(
            "  ran them: \(summary.trimmingCharacters(in: .whitespaces))\(run.status == 0 ? "" : " (some failed; coverage still counts)")"
        )
        let raws = (try FileManager.default.contentsOfDirectory(atPath: profiles)).filter { $0.hasSuffix(".profraw") }
            .map { profiles + "/" + $0 }
        let merged = folder + "/tests.profdata"
        guard !raws.isEmpty, try runTool(profdata, ["merge", "-sparse"] + raws + ["-o", merged]).status == 0 else {
            throw CampaignError("the test run wrote no coverage profile")
        }
        return (bundle, merged, targets)
    }

    /// llvm-cov over the hand-written files of `modules`, for these binaries and their
    /// profiles together. The profiles are merged (counters are keyed by function, so
    /// every binary then sees every run's counts); each binary is exported on its own and
    /// the results are joined by file and source position, because a workspace build
    /// records its files under the workspace's linked path, not the module's own.
    /// `root`: the package root as each binary saw it (the checkout, or a workspace).
    public static func report(
        packageRoot: String, modules: [SourceModule], binaries: [(binary: String, root: String)], profiles: [String],
        sources: [String], work: String
    ) throws -> ParserCoverageReport {
        guard let profdata = Toolchain.tool("llvm-profdata"), let cov = Toolchain.tool("llvm-cov"), !binaries.isEmpty else {
            throw CampaignError("no llvm-profdata/llvm-cov beside swiftc, or nothing to measure")
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let merged = work + "/parser-all.profdata"
        let merge = try runTool(profdata, ["merge", "-sparse"] + profiles + ["-o", merged])
        guard merge.status == 0 else { throw CampaignError("llvm-profdata merge failed:\n\(merge.output.suffix(2000))") }
        let files = ParserSources.handWrittenFiles(packageRoot: packageRoot, modules: modules)
        var joined = CoverageCounts()
        for (binary, root) in binaries {
            let arguments = [binary, "-instr-profile=\(merged)"] + files.map { root + "/" + $0.path }
            let json = try runTool(cov, ["export", "-format=text"] + arguments, timeout: 900)
            let lcov = try runTool(cov, ["export", "-format=lcov"] + arguments, timeout: 900)
            guard json.status == 0, lcov.status == 0, let start = json.output.firstIndex(of: "{") else {
                throw CampaignError(
                    "llvm-cov export of \(binary) failed:\n\(json.output.suffix(1000))\n\(lcov.output.suffix(1000))")
            }
            let name: (String) -> String? = { path in files.first { path == root + "/" + $0.path }?.name }
            try joined.add(json: Data(json.output[start...].utf8), lcov: lcov.output, file: name)
        }
        var report = joined.report(
            modules: modules.map(\.target), files: files.map { ($0.name, packageRoot + "/" + $0.path) }, sources: sources)
        let notes = try UncoveredNotes.load(packageRoot + "/Fuzz/UNCOVERED")
        for i in report.uncovered.indices { report.uncovered[i].why = notes.reason(report.uncovered[i]) }
        return report
    }
}

/// Counts per source position of several llvm-cov exports, joined by taking the
/// largest count (every export saw the same merged profile).
struct CoverageCounts {
    /// file → [lineStart, colStart, lineEnd, colEnd] of each code region → executions.
    var regions: [String: [[Int]: Int]] = [:]
    /// file → line → executions (lcov DA records).
    var lines: [String: [Int: Int]] = [:]
    /// file → function name → executions (lcov FN/FNDA records).
    var functions: [String: [String: Int]] = [:]

    /// `json`: `llvm-cov export -format=text`; regions are
    /// [lineStart, colStart, lineEnd, colEnd, count, fileID, expandedFileID, kind], kind 0 is code.
    mutating func add(json: Data, lcov: String, file: (String) -> String?) throws {
        guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any],
            let data = (object["data"] as? [[String: Any]])?.first
        else { throw CampaignError("llvm-cov export: unexpected JSON") }
        for function in data["functions"] as? [[String: Any]] ?? [] {
            let names = function["filenames"] as? [String] ?? []
            for region in function["regions"] as? [[Int]] ?? [] where region.count >= 8 && region[7] == 0 {
                guard region[5] < names.count, let f = file(names[region[5]]) else { continue }
                let key = Array(region[0..<4])
                regions[f, default: [:]][key] = max(regions[f]?[key] ?? 0, region[4])
            }
        }
        var current: String?
        for line in lcov.split(separator: "\n") {
            if line.hasPrefix("SF:") {
                current = file(String(line.dropFirst(3)))
            } else if let f = current, line.hasPrefix("DA:") {
                let parts = line.dropFirst(3).split(separator: ",")
                guard parts.count >= 2, let number = Int(parts[0]), let count = Int(parts[1]) else { continue }
                lines[f, default: [:]][number] = max(lines[f]?[number] ?? 0, count)
            } else if let f = current, line.hasPrefix("FNDA:") {
                let parts = line.dropFirst(5).split(separator: ",", maxSplits: 1)
                guard parts.count == 2, let count = Int(parts[0]) else { continue }
                functions[f, default: [:]][String(parts[1])] = max(functions[f]?[String(parts[1])] ?? 0, count)
            }
        }
    }

    /// Per-file figures, and the code regions nothing executed (outermost only: an
    /// unreached function is one region, not each of its statements). `files`: each
    /// file's name and where to read its source lines.
    func report(modules: [String], files: [(name: String, path: String)], sources: [String]) -> ParserCoverageReport {
        var result: [FileCoverage] = []
        var uncovered: [UncoveredRegion] = []
        for (file, path) in files {
            let r = regions[file] ?? [:]
            let l = lines[file] ?? [:]
            let fn = functions[file] ?? [:]
            result.append(
                FileCoverage(
                    file: file, lines: l.count, coveredLines: l.values.filter { $0 > 0 }.count, regions: r.count,
                    coveredRegions: r.values.filter { $0 > 0 }.count, functions: fn.count,
                    coveredFunctions: fn.values.filter { $0 > 0 }.count))
            let text =
                (try? String(contentsOfFile: path, encoding: .utf8))?.split(
                    separator: "\n", omittingEmptySubsequences: false) ?? []
            var outer: [[Int]] = []
            for z in r.filter({ $0.value == 0 }).map(\.key).sorted(by: {
                ($0[0], $0[1], -$0[2], -$0[3]) < ($1[0], $1[1], -$1[2], -$1[3])
            }) {
                if !outer.contains(where: { o in (o[0], o[1]) <= (z[0], z[1]) && (z[2], z[3]) <= (o[2], o[3]) }) {
                    outer.append(z)
                }
            }
            for z in outer {
                let line = z[0] - 1 < text.count ? text[z[0] - 1].trimmingCharacters(in: .whitespaces) : ""
                uncovered.append(
                    UncoveredRegion(
                        file: file, line: z[0], column: z[1], endLine: z[2], endColumn: z[3], text: line, why: nil))
            }
        }
        return ParserCoverageReport(
            modules: modules, sources: sources, files: result.filter { $0.regions > 0 || $0.lines > 0 }, uncovered: uncovered)
    }
}
