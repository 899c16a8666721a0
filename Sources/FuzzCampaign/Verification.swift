// VERIFICATION.md in the parser module's folder: what was verified, when,
// with which figures. `abnfc vendor` copies its "Last verified:" line into
// every vendored file's provenance header, so a vendored parser says how it
// was checked. Written at the end of a campaign.

import ABNFCompiler
import ABNFProof
import Foundation

public struct VerificationRecord {
    public var date: String
    public var generatedInSync: Bool
    public var staleFiles: [String]
    public var proofEquivalent: Int
    public var proofTotal: Int
    public var proofSeconds: Double
    public var campaign: CampaignReport

    /// Checks generated code and the proof now, for the campaign just run.
    public static func make(packageRoot: String, campaign: CampaignReport, date: Date = Date()) -> VerificationRecord {
        let stale = (try? PackageGenerator(packagePath: packageRoot).staleFiles()) ?? ["(could not regenerate)"]
        let proofStart = Date()
        let proof = try? PackageProof.run(packagePath: packageRoot)
        let rules = proof?.allRules ?? []
        return VerificationRecord(
            date: CampaignConfiguration.timestamp(date), generatedInSync: stale.isEmpty, staleFiles: stale,
            proofEquivalent: rules.filter(\.holds).count, proofTotal: rules.count,
            proofSeconds: Date().timeIntervalSince(proofStart), campaign: campaign)
    }

    var differentialDisagreements: Int {
        campaign.targets.first { $0.target == "differential" }.map { $0.uniqueCrashes.count } ?? 0
    }

    var executions: Int { campaign.targets.reduce(0) { $0 + $1.executions } }

    public var markdown: String {
        let coverage = campaign.parserModuleCoverage.map { "\($0.lineCover) of lines" } ?? "not measured"
        var md = """
            # Verification of this parser module

            Last verified: \(date); generated code \(generatedInSync ? "in sync" : "OUT OF DATE"); \
            \(proofEquivalent)/\(proofTotal) automata proved equivalent; \
            \(executions) fuzz executions, \(campaign.crashCount) crashes, \
            \(differentialDisagreements) differential disagreements; parser line coverage \(coverage)

            Written by `smtp-fuzz` at the end of a campaign; `abnfc vendor` copies the line above
            into every vendored file. The test suite (`swift test`, including the property suites
            and the differential tests of every rule) is run by CI on every change, not here.

            | check | result |
            | --- | --- |
            | generated code matches the grammar files (`abnfc verify`) | \(generatedInSync ? "yes" : "no: " + staleFiles.joined(separator: ", ")) |
            | automata proved equivalent to their rules (`abnfc prove`) | \(proofEquivalent) of \(proofTotal) (\(String(format: "%.1f", proofSeconds)) s) |
            | differential disagreements (generated vs interpreter, fuzzed) | \(differentialDisagreements) |
            | fuzzing | \(campaign.targets.count) targets, \(campaign.secondsPerTarget) s each, \(executions) executions, \(campaign.crashCount) unique crashes |
            | line coverage of Sources/SMTPCommandParser | \(coverage) |

            | target | executions | exec/s | edges | corpus | crashes |
            | --- | ---: | ---: | ---: | ---: | ---: |

            """
        for t in campaign.targets {
            md +=
                "| \(t.target) | \(t.executions) | \(t.execsPerSecond) | \(t.edges) | \(t.corpusFiles) | \(t.uniqueCrashes.count) |\n"
        }
        return md
    }

    public func write(packageRoot: String) throws {
        try Data(markdown.utf8).write(to: URL(fileURLWithPath: packageRoot + "/Sources/SMTPCommandParser/VERIFICATION.md"))
    }
}
