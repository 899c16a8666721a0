// parser-throughput: every workload over the same corpus in one run, and the
// ratios the README reports. Wall-clock noise on a shared VM is about ±10%,
// so figures are compared only as ratios measured together.
//
//   swift run -c release parser-throughput [--lines N] [--repeat R]

import ABNF
import BenchmarkSupport
import Foundation
import SMTPCommandParser

var lines = 1_000_000
var repeatCount = 5
var profileRounds = 1
var automataAlone = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--lines": lines = Int(arguments.next() ?? "") ?? lines
    case "--repeat": repeatCount = Int(arguments.next() ?? "") ?? repeatCount
    case "--profile-rounds": profileRounds = Int(arguments.next() ?? "") ?? profileRounds
    case "--profile-parser":
        // For valgrind/perf: only the framer + parser workload, once (or --profile-rounds
        // times, given first, so that a sampling profiler sees more parsing than corpus building).
        let corpus = Corpus(lines: lines)
        for _ in 0..<profileRounds { print(Workloads.frameAndParse(corpus, with: SMTPCommandParser())) }
        exit(0)
    case "--automata-alone": automataAlone = true
    case "--profile-kind":
        // For perf: the parser alone over the lines of one kind, --profile-rounds times.
        let name = arguments.next() ?? ""
        guard let kind = Corpus.Kind(rawValue: name) else {
            let kinds = Corpus.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("--profile-kind: no kind \(name); kinds: \(kinds)\n".utf8))
            exit(2)
        }
        let subset = Corpus(lines: lines).only(kind)
        var accepted = 0
        for _ in 0..<profileRounds { accepted &+= Workloads.parse(subset, with: SMTPCommandParser()) }
        print(accepted)
        exit(0)
    case "-h", "--help":
        print(
            "usage: parser-throughput [--lines N (default 1000000)]"
                + " [--repeat R (default 5 interleaved rounds, best of each workload kept)]"
                + " [--profile-rounds K --profile-parser (framer + parser only, K times, for profilers)]"
                + " [--profile-rounds K --profile-kind KIND (the parser alone on one kind's lines, e.g. mail, K times)]"
                + " [--automata-alone (instead of the ratio table: the parser's time per line beside its line"
                + " automata's alone, overall and per command kind)]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument); see --help\n".utf8))
        exit(2)
    }
}

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

log("generating \(lines) lines...")
let corpus = Corpus(lines: lines)
let megabytes = Double(corpus.bytes.count) / 1_000_000
let strict = SMTPCommandParser()
let repeats = repeatCount

/// Best of `repeats` runs, in seconds.
@MainActor func time(_ name: String, _ body: () -> Int) -> (seconds: Double, result: Int) {
    var best = Double.infinity
    var result = 0
    for _ in 0..<repeats {
        let start = ContinuousClock.now
        result = body()
        let elapsed = ContinuousClock.now - start
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    log("  \(name): \(String(format: "%.4f", best)) s")
    return (best, result)
}

struct Row {
    var name: String
    var megabytes: Double
    var commands: Int
    var seconds: Double
    var mbps: Double { megabytes / seconds }
    var commandsPerSecond: Double { Double(commands) / seconds }
}

/// Best of `repeats` rounds, where each round runs every workload once in
/// turn: a burst of load from another process then slows all of them alike
/// instead of all the runs of one, which would skew the ratios.
@MainActor func timeInterleaved(_ workloads: [(name: String, body: () -> Int)]) -> [(seconds: Double, result: Int)] {
    var best = [(seconds: Double, result: Int)](repeating: (.infinity, 0), count: workloads.count)
    for _ in 0..<repeats {
        for (i, workload) in workloads.enumerated() {
            let start = ContinuousClock.now
            let result = workload.body()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best[i] = (min(best[i].seconds, seconds), result)
        }
    }
    for (i, workload) in workloads.enumerated() { log("  \(workload.name): \(String(format: "%.4f", best[i].seconds)) s") }
    return best
}

/// Nanoseconds per line of each workload, best of `repeats` interleaved rounds.
@MainActor func nanosecondsPerLine(_ corpus: Corpus, _ workloads: [(name: String, body: () -> Int)]) -> [Double] {
    timeInterleaved(workloads).map { $0.seconds / Double(corpus.lineCount) * 1e9 }
}

if automataAlone {
    log("timing the parser and its line automata alone (best of \(repeats) interleaved rounds)...")
    print("| lines | count | parser, ns/line | line automaton alone, ns/line | the rest, ns/line |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in [nil] + Corpus.Kind.allCases {
        let name = kind?.rawValue ?? "all"
        let subset = kind.map { corpus.only($0) } ?? corpus
        let alone = LineAutomataAlone(subset)
        let ns = nanosecondsPerLine(
            subset,
            [
                ("parser, \(name)", { Workloads.parse(subset, with: strict) }),
                ("line automata alone, \(name)", { alone.run(subset) }),
            ])
        print(
            "| \(name) | \(subset.lineCount) | \(String(format: "%.1f", ns[0])) | \(String(format: "%.1f", ns[1])) | \(String(format: "%.1f", ns[0] - ns[1])) |"
        )
    }
    exit(0)
}

log("timing (best of \(repeats) interleaved rounds)...")
let timed = timeInterleaved([
    ("CRLF scan", { Workloads.crlfScan(corpus) }),
    ("framer", { Workloads.frame(corpus) }),
    ("parser", { Workloads.parse(corpus, with: strict) }),
    ("framer + parser", { Workloads.frameAndParse(corpus, with: strict) }),
    ("String baseline", { Workloads.stringBaseline(corpus) }),
])
let (scan, framer, parser, both, string) = (timed[0], timed[1], timed[2], timed[3], timed[4])
let sample = Corpus(lines: 20_000, seed: 0x5EED_C0DE)
let grammar = try PackageGrammar.load()
let interpreter = Interpreter(grammar)
let interpreted = time("interpreter (20,000 lines)") { Workloads.interpret(sample, with: interpreter) }

let rows = [
    Row(name: "CRLF scan (memchr), the ceiling", megabytes: megabytes, commands: corpus.lineCount, seconds: scan.seconds),
    Row(name: "line framer alone", megabytes: megabytes, commands: corpus.lineCount, seconds: framer.seconds),
    Row(name: "generated parser alone", megabytes: megabytes, commands: corpus.lineCount, seconds: parser.seconds),
    Row(name: "framer + generated parser", megabytes: megabytes, commands: corpus.lineCount, seconds: both.seconds),
    Row(name: "String-based parser (baseline)", megabytes: megabytes, commands: corpus.lineCount, seconds: string.seconds),
    Row(
        name: "reference interpreter (baseline)", megabytes: Double(sample.bytes.count) / 1_000_000, commands: sample.lineCount,
        seconds: interpreted.seconds),
]

print(
    "Corpus: \(corpus.lineCount) lines, \(String(format: "%.1f", megabytes)) MB; accepted by the parser: \(parser.result) (\(String(format: "%.1f", 100 * Double(parser.result) / Double(corpus.lineCount)))%)"
)
print("")
print("| workload | MB/s | commands/s | vs CRLF scan | vs String baseline |")
print("| --- | ---: | ---: | ---: | ---: |")
let stringRow = rows[4]
for row in rows {
    print(
        "| \(row.name) | \(String(format: "%.0f", row.mbps)) | \(String(format: "%.2fM", row.commandsPerSecond / 1e6)) | \(String(format: "%.1f%%", 100 * row.mbps / rows[0].mbps)) | \(String(format: "%.1f×", row.mbps / stringRow.mbps)) |"
    )
}
print("")
print("Per command kind (generated parser alone):")
print("| kind | lines | MB/s | commands/s |")
print("| --- | ---: | ---: | ---: |")
for kind in Corpus.Kind.allCases {
    let subset = corpus.only(kind)
    guard subset.lineCount > 0 else { continue }
    let t = time("parser, \(kind.rawValue)") { Workloads.parse(subset, with: strict) }
    print(
        "| \(kind.rawValue) | \(subset.lineCount) | \(String(format: "%.0f", Double(subset.bytes.count) / 1e6 / t.seconds)) | \(String(format: "%.2fM", Double(subset.lineCount) / t.seconds / 1e6)) |"
    )
}
print("")
let ceilingRatio = rows[3].mbps / rows[0].mbps
let stringRatio = rows[3].mbps / stringRow.mbps
print(
    "Targets: framer + parser at least 25% of the CRLF scan: \(String(format: "%.1f%%", 100 * ceilingRatio)) \(ceilingRatio >= 0.25 ? "PASS" : "FAIL"); at least 30x the String baseline: \(String(format: "%.1f×", stringRatio)) \(stringRatio >= 30 ? "PASS" : "FAIL")"
)
