// The mutation report: report.json (for tools and the verification record)
// and report.md (for people), in the run's report folder.

import Foundation
import MutationCatalog

public struct MutationReport: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var mutant: Mutant
        public var status: MutantResult.Status
        public var check: String?
        public var detail: String?
        /// Mutation/EQUIVALENT's reason, or the compiler's message for a mutant left out.
        public var note: String?
    }

    public struct CheckSummary: Codable, Sendable {
        public var check: String
        public var seconds: Double
        public var reaches: Int
        public var kills: Int
    }

    /// The instrumented modules: the parser, then the modules it depends on.
    public var modules: [String]
    public var date: String
    public var sourceDigest: String
    /// Named as the mutants name them (`LineFramer.swift`, `SMTPParserRuntime/Automaton.swift`).
    public var instrumentedFiles: [String]
    public var generatedFiles: [String]
    public var testTargets: [String]
    public var fuzzTargets: [String]
    public var fuzzSeconds: Int
    public var sample: Int?
    public var seed: UInt64
    public var workers: Int
    public var entries: [Entry]
    public var checks: [CheckSummary]
    /// Checks that failed with no mutant on, and why (left out).
    public var excludedChecks: [String: String]
    /// Mutation/EQUIVALENT keys that match no mutant any more.
    public var staleEquivalents: [String]
    public var buildSeconds: Double
    public var baselineSeconds: Double
    public var mutantSeconds: Double
    /// CPU seconds (user + system) of the checks run for the mutants: the work, whatever
    /// else the machine was doing.
    public var mutantCPUSeconds: Double
    /// The 1-minute load average when the run ended.
    public var loadAverage: Double?
    /// Mutants run by this invocation (the rest came from --resume).
    public var mutantsRunNow: Int
    public var wallSeconds: Double
    public var reportFolder: String

    init(
        modules: [String], date: String, sourceDigest: String, catalog: MutantCatalog, selected: [Mutant],
        results: [String: MutantResult], notCompiled: [String: String], equivalents: EquivalentMutants,
        checks baseline: BaselineChecks,
        testTargets: [String], fuzzTargets: [String], fuzzSeconds: Int, sample: Int?, seed: UInt64, workers: Int,
        buildSeconds: Double, baselineSeconds: Double, mutantSeconds: Double, mutantCPUSeconds: Double, loadAverage: Double?,
        mutantsRunNow: Int, wallSeconds: Double, reportFolder: String
    ) {
        self.modules = modules
        self.date = date
        self.sourceDigest = sourceDigest
        instrumentedFiles = catalog.instrumentedFiles
        generatedFiles = catalog.generatedFiles
        self.testTargets = testTargets
        self.fuzzTargets = fuzzTargets
        self.fuzzSeconds = fuzzSeconds
        self.sample = sample
        self.seed = seed
        self.workers = workers
        var entries: [Entry] = []
        for m in selected {
            guard let r = results[m.key] else { continue }
            entries.append(
                Entry(mutant: m, status: r.status, check: r.check, detail: r.detail, note: equivalents.reasons[m.key]))
        }
        // Left out for not compiling: listed with the compiler's message (no id: not in the build).
        for (key, message) in notCompiled.sorted(by: { $0.key < $1.key }) where sample == nil {
            let file = String(key.split(separator: ":").first ?? "")
            let mutant = Mutant(
                id: 0, key: key, module: catalog.module(ofFile: file)?.name ?? "", file: file, line: 0, column: 0,
                operator: .deleteStatement, declaration: "", declarationStart: 0,
                declarationEnd: 0, original: "", mutated: "", sourceLine: "")
            entries.append(Entry(mutant: mutant, status: .notCompiled, check: nil, detail: nil, note: message))
        }
        self.entries = entries
        self.checks = baseline.usable.map { e in
            CheckSummary(
                check: e.check.label, seconds: e.seconds, reaches: e.reached.count,
                kills: results.values.filter { $0.status == .killed && $0.check == e.check.label }.count)
        }
        excludedChecks = baseline.excluded
        let keys = Set(catalog.mutants.map(\.key))
        staleEquivalents = equivalents.reasons.keys.filter { !keys.contains($0) }.sorted()
        self.buildSeconds = buildSeconds
        self.baselineSeconds = baselineSeconds
        self.mutantSeconds = mutantSeconds
        self.mutantCPUSeconds = mutantCPUSeconds
        self.loadAverage = loadAverage
        self.mutantsRunNow = mutantsRunNow
        self.wallSeconds = wallSeconds
        self.reportFolder = reportFolder
    }

    public func count(_ status: MutantResult.Status) -> Int { entries.filter { $0.status == status }.count }

    /// Killed and not killed among the mutants that count: not equivalent, compiled.
    public var killed: Int { count(.killed) }
    public var scored: Int { count(.killed) + count(.survived) + count(.notReached) }
    /// Killed share of the non-equivalent mutants, in percent.
    public var score: Double { scored == 0 ? 100 : 100 * Double(killed) / Double(scored) }
    /// Mutants listed as equivalent that a check killed: their note is wrong.
    public var wronglyEquivalent: [Entry] { entries.filter { $0.status == .killed && $0.note != nil } }
    public var survivors: [Entry] { entries.filter { $0.status == .survived || $0.status == .notReached } }

    /// Mutants run per minute of the mutant phase (build and baseline not counted).
    public var mutantsPerMinute: Double { mutantSeconds > 0 ? Double(mutantsRunNow) / (mutantSeconds / 60) : 0 }

    /// "98.7% (1,517 of 1,537 non-equivalent mutants killed; 41 equivalent)".
    public var scoreLine: String {
        String(format: "%.1f%%", score)
            + " (\(killed) of \(scored) non-equivalent mutants killed; \(count(.equivalent)) equivalent, \(count(.notCompiled)) not compilable\(sample.map { "; a sample of \($0)" } ?? ""))"
    }

    public func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: reportFolder + "/report.json"))
        try Data(markdown().utf8).write(to: URL(fileURLWithPath: reportFolder + "/report.md"))
    }

    public static func minutes(_ seconds: Double) -> String {
        seconds >= 120 ? String(format: "%.1f min", seconds / 60) : String(format: "%.0f s", seconds)
    }

    public func markdown() -> String {
        var md = """
            # Mutation testing of \(Self.list(modules)), \(date)

            Score: **\(scoreLine)**.

            Mutation switching: every mutant of the hand-written files (\(instrumentedFiles.joined(separator: ", "))) \
            is compiled into one instrumented copy of its module and chosen at run time (`SMTP_MUTANT`). \
            Generated files (\(generatedFiles.joined(separator: ", "))) are not mutated: `abnfc verify` \
            and `abnfc prove` check them against the grammar files, so any change to them is caught by construction.

            Checks: the XCTest classes of \(testTargets.joined(separator: ", ")) one at a time, and a \(fuzzSeconds) s \
            libFuzzer run (seed 1; corpus and regressions replayed first) of \(fuzzTargets.joined(separator: ", ")); \
            each mutant runs only the checks that reach it, and stops at the first failure.

            | | |
            | --- | ---: |
            | mutants\(sample.map { " (sample of \($0), seed \(seed))" } ?? "") | \(entries.count) |
            | killed | \(count(.killed)) |
            | survived (reached by a check) | \(count(.survived)) |
            | survived (no check reaches it) | \(count(.notReached)) |
            | equivalent (Mutation/EQUIVALENT) | \(count(.equivalent)) |
            | not compilable (left out) | \(count(.notCompiled)) |
            | build (instrument, test bundle, harnesses) | \(Self.minutes(buildSeconds)) |
            | baseline (every check once) | \(Self.minutes(baselineSeconds)) |
            | mutants (\(mutantsRunNow) run now, \(workers) at a time) | \(Self.minutes(mutantSeconds)), \(String(format: "%.1f", mutantsPerMinute)) mutants/min |
            | CPU time of the mutants' checks | \(Self.minutes(mutantCPUSeconds)) (load average at the end: \(loadAverage.map { String(format: "%.1f", $0) } ?? "?")) |
            | whole run | \(Self.minutes(wallSeconds)) |

            Source digest: `\(sourceDigest)`.

            ## By module

            | module | mutants | killed | survived | not reached | equivalent | score |
            | --- | ---: | ---: | ---: | ---: | ---: | ---: |

            """
        for module in modules { md += Self.row(module, entries.filter { $0.mutant.module == module }) }
        md += """

            ## By file

            | file | mutants | killed | survived | not reached | equivalent | score |
            | --- | ---: | ---: | ---: | ---: | ---: | ---: |

            """
        // In module order, then by name.
        let compiled = entries.filter { $0.status != .notCompiled }
        let files = Array(Set(compiled.map { [$0.mutant.module, $0.mutant.file] })).sorted { a, b in
            let (i, j) = (modules.firstIndex(of: a[0]) ?? modules.count, modules.firstIndex(of: b[0]) ?? modules.count)
            return i != j ? i < j : a[1] < b[1]
        }
        for f in files { md += Self.row(f[1], entries.filter { $0.mutant.file == f[1] }) }
        md += "\n## By operator\n\n| operator | mutants | killed | score |\n| --- | ---: | ---: | ---: |\n"
        for op in MutationOperator.allCases {
            let e = entries.filter { $0.mutant.operator == op && $0.status != .notCompiled && $0.status != .equivalent }
            guard !e.isEmpty else { continue }
            let k = e.filter { $0.status == .killed }.count
            md += "| \(op.rawValue) | \(e.count) | \(k) | \(String(format: "%.1f%%", 100 * Double(k) / Double(e.count))) |\n"
        }
        md += "\n## Survivors\n\n"
        if survivors.isEmpty {
            md += "None.\n"
        } else {
            md += "Each needs a test or fixture that kills it, or a line in Mutation/EQUIVALENT (`<key> <why>`).\n\n"
            for e in survivors { md += Self.item(e, note: e.status == .notReached ? "no check reaches it" : nil) }
        }
        if !wronglyEquivalent.isEmpty {
            md += "\n## Listed as equivalent but killed\n\nRemove their lines from Mutation/EQUIVALENT.\n\n"
            for e in wronglyEquivalent { md += Self.item(e, note: "killed by \(e.check ?? "?"): \(e.detail ?? "")") }
        }
        md += "\n## Checks\n\n| check | seconds (no mutant) | mutants reached | kills |\n| --- | ---: | ---: | ---: |\n"
        for c in checks.sorted(by: { $0.kills > $1.kills }) {
            md += "| \(c.check) | \(String(format: "%.2f", c.seconds)) | \(c.reaches) | \(c.kills) |\n"
        }
        if !excludedChecks.isEmpty {
            md += "\nLeft out, failing with no mutant on:\n\n"
            for (check, why) in excludedChecks.sorted(by: { $0.key < $1.key }) { md += "- \(check): \(why)\n" }
        }
        let equivalents = entries.filter { $0.status == .equivalent }
        if !equivalents.isEmpty {
            md += "\n## Equivalent (Mutation/EQUIVALENT)\n\n"
            for e in equivalents { md += Self.item(e, note: e.note) }
        }
        if !staleEquivalents.isEmpty {
            md += "\n## Stale lines in Mutation/EQUIVALENT\n\nThese keys match no mutant of the current code: remove them.\n\n"
            for k in staleEquivalents { md += "- `\(k)`\n" }
        }
        let notCompiled = entries.filter { $0.status == .notCompiled }
        if !notCompiled.isEmpty {
            md += "\n## Not compilable (left out, not scored)\n\n"
            for e in notCompiled { md += "- `\(e.mutant.key)`: \(e.note ?? "")\n" }
        }
        return md
    }

    /// "SMTPCommandParser and SMTPParserRuntime".
    static func list(_ names: [String]) -> String {
        names.count <= 2 ? names.joined(separator: " and ") : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// A table row of figures for some mutants (not-compilable ones are counted as mutants, not scored).
    static func row(_ title: String, _ e: [Entry]) -> String {
        let k = e.filter { $0.status == .killed }.count
        let s = e.filter { $0.status == .survived }.count
        let n = e.filter { $0.status == .notReached }.count
        let q = e.filter { $0.status == .equivalent }.count
        let score = k + s + n == 0 ? "–" : String(format: "%.1f%%", 100 * Double(k) / Double(k + s + n))
        return "| \(title) | \(e.count) | \(k) | \(s) | \(n) | \(q) | \(score) |\n"
    }

    static func item(_ e: Entry, note: String?) -> String {
        let m = e.mutant
        var s = "- `\(m.key)` \(m.file):\(m.line) `\(m.declaration)` \(m.operator.rawValue): `\(m.original)` → `\(m.mutated)`"
        if let note { s += " — \(note)" }
        return s + "\n  - line: `\(m.sourceLine)`\n"
    }
}
