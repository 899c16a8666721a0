// VERIFICATION.md in the parser module's folder: what was verified, when,
// on which sources, with which figures. `abnfc vendor` copies its
// "Last verified:" line into every vendored file's provenance header, so a
// vendored parser says how it was checked. Written by `smtp-fuzz record`
// (a campaign on every target with coverage of corpora and tests, the full
// mutation run, `abnfc verify` and `abnfc prove`); `smtp-fuzz check-record`
// fails when the sources no longer match the digest it carries.

import ABNFCompiler
import ABNFProof
import Foundation

public struct VerificationRecord {
    public var date: String
    public var commit: String?
    public var sourceDigest: String
    public var sourceFiles: Int
    /// The folders the digest covers: the parser's, then those of the local targets it depends on.
    public var sourceFolders: [String]
    public var generatedInSync: Bool
    public var staleFiles: [String]
    public var proofEquivalent: Int
    public var proofTotal: Int
    public var proofSeconds: Double
    public var campaign: CampaignReport
    public var mutation: MutationReport
    /// The whole `smtp-fuzz record` run, for the README's "how long".
    public var recordSeconds: Double
    /// The mutation run came from `--mutation-report` (an earlier full run of the same
    /// sources), so `recordSeconds` leaves its time out.
    public var mutationReused = false
    public var machine: String

    /// The line `smtp-fuzz check-record` reads.
    static let digestPrefix = "Sources digest (SHA-256): "

    /// Checks generated code and the proof now, for the campaign and mutation run just done.
    public static func make(
        packageRoot: String, campaign: CampaignReport, mutation: MutationReport, recordSeconds: Double,
        mutationReused: Bool = false, date: Date = Date()
    ) throws -> VerificationRecord {
        let stale = (try? PackageGenerator(packagePath: packageRoot).staleFiles()) ?? ["(could not regenerate)"]
        let proofStart = Date()
        let proof = try? PackageProof.run(packagePath: packageRoot)
        let rules = proof?.allRules ?? []
        let folders = try ParserSources.folders(packageRoot: packageRoot, module: "SMTPCommandParser")
        let files = try ParserSources.files(packageRoot: packageRoot, folders: folders)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        let commit = try? runTool("/usr/bin/env", ["git", "-C", packageRoot, "rev-parse", "--short=12", "HEAD"])
        return VerificationRecord(
            date: formatter.string(from: date),
            commit: commit.flatMap { $0.status == 0 ? $0.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil },
            sourceDigest: try ParserSources.digest(packageRoot: packageRoot, files: files), sourceFiles: files.count,
            sourceFolders: folders,
            generatedInSync: stale.isEmpty, staleFiles: stale,
            proofEquivalent: rules.filter(\.holds).count, proofTotal: rules.count,
            proofSeconds: Date().timeIntervalSince(proofStart), campaign: campaign, mutation: mutation,
            recordSeconds: recordSeconds, mutationReused: mutationReused,
            machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
    }

    var differentialDisagreements: Int {
        campaign.targets.first { $0.target == "differential" }.map { $0.uniqueCrashes.count } ?? 0
    }

    var executions: Int { campaign.targets.reduce(0) { $0 + $1.executions } }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// The summary line (`abnfc vendor` copies it).
    public var summary: String {
        let coverage =
            campaign.handWrittenCoverage.map {
                "hand-written code \($0.regionCover) of regions and \($0.lineCover) of lines covered"
            }
            ?? "coverage not measured"
        return "\(date)\(commit.map { " (\($0))" } ?? ""), sources \(sourceDigest.prefix(12)); generated code "
            + "\(generatedInSync ? "in sync" : "OUT OF DATE"); \(proofEquivalent)/\(proofTotal) automata proved equivalent; "
            + "\(campaign.targets.count) fuzz targets × \(campaign.secondsPerTarget) s, \(Self.grouped(executions)) executions, "
            + "\(campaign.crashCount) crashes; \(coverage); mutation score \(String(format: "%.1f%%", mutation.score)) "
            + "(\(mutation.killed) of \(mutation.scored) mutants killed)"
    }

    public var markdown: String {
        var md = """
            # Verification of this parser module

            Last verified: \(summary)

            \(Self.digestPrefix)`\(sourceDigest)` over \(sourceFiles) files (the folders \(sourceFolders.map { "`\($0)`" }.joined(separator: " and ")), the module's and those of the targets it depends on, but this file and documentation catalogues; `smtp-fuzz check-record` compares it with the sources).

            Written by `swift run -c release smtp-fuzz record`, which took \(MutationReport.minutes(recordSeconds)) on \(machine)\(
                mutationReused ? " plus the mutation run's own time below (an earlier full run of the same sources, given with `--mutation-report`)" : ""); \
            `abnfc vendor` copies the "Last verified" line into every vendored file. CI fails \
            (`scripts/check-verification-record.sh`) when the module's sources no longer match the digest above: \
            regenerate this file after changing them. `swift test` (fixtures, property suites, differential \
            tests of every rule) runs on every change, not only here.

            | check | result |
            | --- | --- |
            | generated code matches the grammar files (`abnfc verify`) | \(generatedInSync ? "yes" : "no: " + staleFiles.joined(separator: ", ")) |
            | automata proved equivalent to their rules (`abnfc prove`) | \(proofEquivalent) of \(proofTotal) (\(String(format: "%.1f", proofSeconds)) s) |
            | differential disagreements (generated vs interpreter, fuzzed) | \(differentialDisagreements) |
            | fuzzing | \(campaign.targets.count) targets, \(campaign.secondsPerTarget) s each, \(Self.grouped(executions)) executions, \(campaign.crashCount) unique crashes |
            | coverage of the hand-written files\(campaign.handWrittenCoverage.map { " of " + MutationReport.list($0.modules) } ?? "") (corpora and tests) | \(campaign.handWrittenCoverage.map { "\($0.regionCover) of \($0.regions) regions, \($0.lineCover) of \($0.lines) lines" } ?? "not measured") |
            | mutation score (killed share of non-equivalent mutants) | \(mutation.scoreLine) |

            ## Fuzzing

            Exec/s is wall-clock over the target's run (targets ran \(campaign.jobs) at a time); exec per CPU-second \
            divides by the harness process's own CPU time, so it is the speed of one core.

            | target | executions | exec/s | exec per CPU-second | edges | corpus | crashes |
            | --- | ---: | ---: | ---: | ---: | ---: | ---: |

            """
        for t in campaign.targets {
            md +=
                "| \(t.target) | \(t.executions) | \(t.execsPerSecond) | \(t.execsPerCPUSecond.map(String.init) ?? "–") | \(t.edges) | \(t.corpusFiles) | \(t.uniqueCrashes.count) |\n"
        }
        if let h = campaign.handWrittenCoverage {
            md += "\n## Coverage\n\n" + h.markdown()
        }
        md += """

            ## Mutation testing

            `smtp-fuzz mutants` (mutation switching; Mutation/README.md): \(mutation.entries.count) mutants of \
            \(mutation.instrumentedFiles.count) hand-written files of \(MutationReport.list(mutation.modules)), \(String(format: "%.1f", mutation.mutantsPerMinute)) \
            mutants per minute (\(MutationReport.minutes(mutation.mutantSeconds)) for the mutants, \
            \(MutationReport.minutes(mutation.wallSeconds)) with builds). Generated files are not mutated: \
            `abnfc verify` and `abnfc prove` (above) check them against the grammar.

            | killed | survived | not reached | equivalent (Mutation/EQUIVALENT) | not compilable |
            | ---: | ---: | ---: | ---: | ---: |
            | \(mutation.count(.killed)) | \(mutation.count(.survived)) | \(mutation.count(.notReached)) | \(mutation.count(.equivalent)) | \(mutation.count(.notCompiled)) |

            """
        if !mutation.survivors.isEmpty {
            md += "\nSurvivors:\n\n"
            for e in mutation.survivors {
                md +=
                    "- `\(e.mutant.key)` \(e.mutant.file):\(e.mutant.line) \(e.mutant.operator.rawValue): `\(e.mutant.original)` → `\(e.mutant.mutated)`\n"
            }
        }
        return md
    }

    public func write(packageRoot: String) throws {
        try Data(markdown.utf8).write(to: URL(fileURLWithPath: packageRoot + "/Sources/SMTPCommandParser/VERIFICATION.md"))
    }

    /// Nil when VERIFICATION.md carries the digest of the sources as they are; else why not.
    public static func staleness(packageRoot: String) throws -> String? {
        let path = packageRoot + "/Sources/SMTPCommandParser/VERIFICATION.md"
        return staleness(
            record: try? String(contentsOfFile: path, encoding: .utf8),
            current: try ParserSources.digest(packageRoot: packageRoot))
    }

    static func staleness(record text: String?, current: String) -> String? {
        guard let text else { return "there is no Sources/SMTPCommandParser/VERIFICATION.md" }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(digestPrefix) })?.dropFirst(digestPrefix.count),
            let open = line.firstIndex(of: "`").map({ line.index(after: $0) }),
            let close = line[open...].firstIndex(of: "`")
        else {
            return
                "Sources/SMTPCommandParser/VERIFICATION.md has no \"\(digestPrefix.trimmingCharacters(in: .whitespaces))\" line (written by an older smtp-fuzz)"
        }
        let recorded = String(line[open..<close])
        return recorded == current
            ? nil
            : "the parser's sources changed since VERIFICATION.md was written (recorded \(recorded.prefix(12)), now \(current.prefix(12)))"
    }
}
