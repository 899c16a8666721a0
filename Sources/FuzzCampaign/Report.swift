// The campaign report: JSON (for tools), Markdown (for people) and an SVG
// chart of coverage over time, all written into the report folder.

import Foundation
import FuzzProperties

public struct ModuleCoverage: Codable, Sendable {
    public var lines: Int
    public var missedLines: Int
    public var lineCover: String
    public var regions: Int
    public var missedRegions: Int
    public var regionCover: String
    public var functions: Int
    public var missedFunctions: Int
    public var branches: Int?
    public var missedBranches: Int?
    public var branchCover: String?
}

public struct UniqueCrash: Codable, Sendable {
    public var symptom: String
    public var hash: String
    public var frames: [String]
    /// The minimised input, under Corpus/Regressions/<target>/.
    public var regressionFile: String
    public var inputBytes: Int
    public var newRegression: Bool
}

public struct TargetReport: Codable, Sendable {
    public var target: String
    public var seconds: Double
    public var executions: Int
    public var execsPerSecond: Int
    /// CPU seconds of the harness process(es) (nil where /proc is missing), and
    /// executions per CPU-second: the speed per core, whatever else the machine did.
    public var cpuSeconds: Double?
    public var execsPerCPUSecond: Int?
    /// libFuzzer's edge coverage (cov:) and features (ft:).
    public var edges: Int
    public var features: Int
    public var corpusFiles: Int
    /// Inputs `-merge=1` added to the corpus folder (nil: merge skipped).
    public var mergedIntoCorpus: Int?
    public var crashArtifacts: Int
    /// Seconds of fuzzing before the first crash (nil: none).
    public var firstCrashSeconds: Double?
    public var restarts: Int
    public var uniqueCrashes: [UniqueCrash]
    public var stoppedEarly: String?
    /// llvm-cov over the parser's folders (`CampaignReport.parserFolders`) for this harness's corpus (nil: --no-coverage).
    public var parserModuleCoverage: ModuleCoverage?
    public var timeline: [TimelineSample]
}

public struct CampaignReport: Codable, Sendable {
    public var started: String
    public var secondsPerTarget: Int
    public var jobs: Int
    /// libFuzzer fork mode's workers per target (`--jobs`); nil: one process per target.
    public var workersPerTarget: Int?
    public var wallSeconds: Double
    public var targets: [TargetReport]
    /// All harnesses' corpora together.
    public var parserModuleCoverage: ModuleCoverage?
    /// The folders `parserModuleCoverage` measures: the parser's and those of the Swift modules it depends on.
    public var parserFolders: [String]
    /// The hand-written files: corpora (and the test suite, for the verification record).
    public var handWrittenCoverage: ParserCoverageReport?
    public var reportFolder: String

    public var crashCount: Int { targets.reduce(0) { $0 + $1.uniqueCrashes.count } }

    public func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: reportFolder + "/report.json"))
        try Data(markdown().utf8).write(to: URL(fileURLWithPath: reportFolder + "/report.md"))
        try Data(coverageChart().utf8).write(to: URL(fileURLWithPath: reportFolder + "/coverage.svg"))
    }

    static func count(_ n: Int) -> String {
        n >= 10_000_000 ? "\(n / 1_000_000)M" : n >= 10_000 ? "\(n / 1000)k" : "\(n)"
    }

    public func markdown() -> String {
        var md = """
            # Fuzzing campaign \(started)

            \(targets.count) target(s), \(secondsPerTarget) s each, \(jobs) at a time\(workersPerTarget.map { ", each in libFuzzer fork mode with \($0) workers sharing one corpus (executions, coverage and crashes are the totals over all workers)" } ?? ""); wall time \(Int(wallSeconds)) s.
            Coverage over time: [coverage.svg](coverage.svg). Raw numbers: [report.json](report.json).

            | target | executions | exec/s | exec per CPU-second | edges (cov) | features (ft) | corpus | merged | crashes (unique) | parser lines | regions |
            | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |

            """
        for t in targets {
            let lines = t.parserModuleCoverage.map { "\($0.lineCover) of \($0.lines)" } ?? "–"
            let regions = t.parserModuleCoverage.map { "\($0.regionCover) of \($0.regions)" } ?? "–"
            md +=
                "| \(t.target) | \(Self.count(t.executions)) | \(t.execsPerSecond) | \(t.execsPerCPUSecond.map(String.init) ?? "–") | \(t.edges) | \(t.features) | \(t.corpusFiles) | "
            md +=
                "\(t.mergedIntoCorpus.map { "+\($0)" } ?? "–") | \(t.crashArtifacts) (\(t.uniqueCrashes.count)) | \(lines) | \(regions) |\n"
        }
        if let all = parserModuleCoverage {
            md +=
                "\nAll corpora together cover \(all.lineCover) of \(all.lines) lines, \(all.regionCover) of \(all.regions) regions"
            md += all.branchCover.map { " and \($0) of \(all.branches ?? 0) branches" } ?? ""
            md += " of \(parserFolders.joined(separator: " and ")) (llvm-cov; coverage/report-all.txt has the per-file table).\n"
        }
        if let h = handWrittenCoverage {
            md += "\n## Coverage of the hand-written files\n\n" + h.markdown()
        }
        let stopped = targets.filter { $0.stoppedEarly != nil }
        if !stopped.isEmpty {
            md += "\n## Stopped early\n\n"
            for t in stopped { md += "- \(t.target): \(t.stoppedEarly!)\n" }
        }
        md += "\n## Crashes\n\n"
        for t in targets {
            if let first = t.firstCrashSeconds { md += "\(t.target): first crash after \(Int(first)) s of fuzzing.\n" }
        }
        if crashCount == 0 {
            md += "None.\n"
        } else {
            md += "Each unique crash (by symptom and top stack frames) was minimised and saved; replay with\n"
            md += "`swift run --package-path Fuzz fuzz-replay TARGET FILE` or `swift test --filter FuzzRegressionTests`.\n\n"
            for t in targets {
                for c in t.uniqueCrashes {
                    md +=
                        "- **\(t.target)** `\(c.symptom)` → `\(c.regressionFile)` (\(c.inputBytes) bytes\(c.newRegression ? ", new" : ", already saved"))\n"
                    for f in c.frames { md += "  - `\(f)`\n" }
                }
            }
        }
        return md
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// Edges covered (libFuzzer's cov:) against seconds since the campaign started, one line per target.
    public func coverageChart() -> String {
        let width = 760.0, height = 380.0, left = 70.0, right = 150.0, top = 30.0, bottom = 50.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxT = max(1, targets.flatMap { $0.timeline.map(\.seconds) }.max() ?? 1)
        let maxC = max(1, targets.flatMap { $0.timeline.map(\.coverage) }.max() ?? 1)
        func x(_ t: Double) -> Double { left + plotW * t / maxT }
        func y(_ c: Int) -> Double { top + plotH * (1 - Double(c) / Double(maxC)) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="18" font-size="14">Coverage over time (libFuzzer edges, cov:)</text>
            <line x1="\(f(left))" y1="\(f(top + plotH))" x2="\(f(left + plotW))" y2="\(f(top + plotH))" stroke="black"/>
            <line x1="\(f(left))" y1="\(f(top))" x2="\(f(left))" y2="\(f(top + plotH))" stroke="black"/>

            """
        for i in 0...4 {
            let c = maxC * i / 4
            let t = maxT * Double(i) / 4
            svg += "<line x1=\"\(f(left - 4))\" y1=\"\(f(y(c)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(c)))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y(c) + 4))\" text-anchor=\"end\">\(c)</text>\n"
            svg += "<text x=\"\(f(x(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Int(t)) s</text>\n"
        }
        svg +=
            "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">seconds since the campaign started</text>\n"
        for (i, t) in targets.enumerated() {
            let color = Self.colors[i % Self.colors.count]
            let points = t.timeline.map { "\(f(x($0.seconds))),\(f(y($0.coverage)))" }.joined(separator: " ")
            if !points.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            }
            let ly = top + 10 + Double(i) * 20
            svg +=
                "<line x1=\"\(f(left + plotW + 15))\" y1=\"\(f(ly))\" x2=\"\(f(left + plotW + 35))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(f(left + plotW + 40))\" y=\"\(f(ly + 4))\">\(t.target) (\(t.edges))</text>\n"
        }
        return svg + "</svg>\n"
    }
}
