// parser-throughput: every workload over the same corpus in one run, and the
// ratios the README reports. Wall-clock noise on a shared VM is about ±10%
// and more, so figures are compared only as ratios measured together, timed
// by SliceTimer (interleaved slices, the thread's CPU time, best of rounds).
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
var profileTables = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func count(_ text: String?, _ option: String) -> Int {
    guard let text, let value = Int(text), value > 0 else { fail("\(option) takes a positive number; see --help") }
    return value
}

/// The parser the profiling options run.
@MainActor func profiled() -> SMTPCommandParser { profileTables ? SMTPCommandParser(kernel: nil) : SMTPCommandParser() }

while let argument = arguments.next() {
    switch argument {
    case "--lines": lines = count(arguments.next(), argument)
    case "--repeat": repeatCount = count(arguments.next(), argument)
    case "--profile-rounds": profileRounds = count(arguments.next(), argument)
    case "--tables": profileTables = true
    case "--profile-parser":
        // For valgrind/perf: only the framer + parser workload, once (or --profile-rounds
        // times, given first, so that a sampling profiler sees more parsing than corpus building).
        let corpus = Corpus(lines: lines)
        for _ in 0..<profileRounds { print(Workloads.frameAndParse(corpus, with: profiled())) }
        exit(0)
    case "--automata-alone": automataAlone = true
    case "--profile-kind":
        // For perf: the parser alone over the lines of one kind, --profile-rounds times.
        let name = arguments.next() ?? ""
        guard let kind = Corpus.Kind(rawValue: name) else {
            fail("--profile-kind: no kind \(name); kinds: \(Corpus.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let subset = Corpus(lines: lines).only(kind)
        var accepted = 0
        for _ in 0..<profileRounds { accepted &+= Workloads.parse(subset, with: profiled()) }
        print(accepted)
        exit(0)
    case "-h", "--help":
        print(
            """
            usage: parser-throughput [--lines N] [--repeat R] [--automata-alone]
                   parser-throughput [--tables] --profile-rounds K (--profile-parser | --profile-kind KIND)

              --lines N           corpus lines (default 1000000)
              --repeat R          interleaved rounds; each slice of each workload keeps its best (default 5)
              --automata-alone    instead of the ratio table: per command kind, the parser with the SIMD
                                  kernel and with the table automata beside each line's automaton alone
              --profile-parser    framer + parser only, K times (for valgrind or perf)
              --profile-kind KIND the parser alone on one kind's lines (e.g. mail), K times (for perf)
              --tables            with the profiling options: the table automata alone, no kernel
            """)
        exit(0)
    default:
        fail("unknown argument \(argument); see --help")
    }
}

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

/// The kernel the parser uses on this CPU, for the table headers.
let kernel = SMTPCommandParser().kernel
let kernelName = kernel?.rawValue ?? "none"
let supported = ShuffleKernel.allCases.filter(\.isSupported).map(\.rawValue)
let withKernel = SMTPCommandParser()
let tablesOnly = SMTPCommandParser(kernel: nil)

log("generating \(lines) lines...")
let corpus = Corpus(lines: lines)
let megabytes = Double(corpus.bytes.count) / 1_000_000
print(
    "SIMD kernel chosen by the CPU check: \(kernelName) (this CPU runs: \(supported.isEmpty ? "none" : supported.joined(separator: ", ")))"
)

func perLine(_ seconds: Double, _ c: Corpus) -> String { String(format: "%.1f", seconds / Double(c.lineCount) * 1e9) }

if automataAlone {
    log("timing the parser and each line's automaton alone, per kind (\(repeatCount) interleaved rounds)...")
    print("")
    print(
        "| lines | count | parser, kernel (\(kernelName)), ns/line | parser, table automata, ns/line | shuffle form alone, ns/line | table automaton alone, ns/line |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in [nil] + Corpus.Kind.allCases {
        let subset = kind.map { corpus.only($0) } ?? corpus
        let alone = LineAutomataAlone(subset)
        let t = SliceTimer.time(
            subset, rounds: repeatCount,
            [
                { Workloads.parse(subset, lines: $0, with: withKernel) },
                { Workloads.parse(subset, lines: $0, with: tablesOnly) },
                { alone.runShuffle(subset, lines: $0, kernel: kernel) },
                { alone.run(subset, lines: $0) },
            ])
        print(
            "| \(kind?.rawValue ?? "all") | \(subset.lineCount) | \(perLine(t[0], subset)) | \(perLine(t[1], subset)) | \(kernel == nil ? "–" : perLine(t[2], subset)) | \(perLine(t[3], subset)) |"
        )
    }
    exit(0)
}

log("timing (\(repeatCount) interleaved rounds)...")
let t = SliceTimer.time(
    corpus, rounds: repeatCount,
    [
        { Workloads.crlfScan(corpus, lines: $0) },
        { Workloads.frame(corpus, lines: $0) },
        { Workloads.parse(corpus, lines: $0, with: withKernel) },
        { Workloads.parse(corpus, lines: $0, with: tablesOnly) },
        { Workloads.frameAndParse(corpus, lines: $0, with: withKernel) },
        { Workloads.frameAndParse(corpus, lines: $0, with: tablesOnly) },
        { Workloads.stringBaseline(corpus, lines: $0) },
    ])
let sample = Corpus(lines: 20_000, seed: 0x5EED_C0DE)
let interpreter = Interpreter(try PackageGrammar.load())
let interpreted = SliceTimer.time(
    sample, slice: 1_000, rounds: 1, [{ Workloads.interpret(sample, lines: $0, with: interpreter) }])

struct Row {
    var name: String
    var megabytes: Double
    var commands: Int
    var seconds: Double
    var mbps: Double { megabytes / seconds }
}

let rows = [
    Row(name: "CRLF scan (memchr), the ceiling", megabytes: megabytes, commands: corpus.lineCount, seconds: t[0]),
    Row(name: "line framer alone", megabytes: megabytes, commands: corpus.lineCount, seconds: t[1]),
    Row(name: "parser alone, kernel (\(kernelName))", megabytes: megabytes, commands: corpus.lineCount, seconds: t[2]),
    Row(name: "parser alone, table automata", megabytes: megabytes, commands: corpus.lineCount, seconds: t[3]),
    Row(name: "framer + parser, kernel (\(kernelName))", megabytes: megabytes, commands: corpus.lineCount, seconds: t[4]),
    Row(name: "framer + parser, table automata", megabytes: megabytes, commands: corpus.lineCount, seconds: t[5]),
    Row(name: "String-based parser (baseline)", megabytes: megabytes, commands: corpus.lineCount, seconds: t[6]),
    Row(
        name: "reference interpreter (baseline)", megabytes: Double(sample.bytes.count) / 1_000_000, commands: sample.lineCount,
        seconds: interpreted[0]),
]

print(
    "Corpus: \(corpus.lineCount) lines, \(String(format: "%.1f", megabytes)) MB; accepted by the parser: \(Workloads.parse(corpus, with: tablesOnly)) of \(corpus.lineCount)"
)
print("")
print("| workload | MB/s | ns/line | commands/s | vs CRLF scan | vs String baseline |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
let stringRow = rows[6]
for row in rows {
    print(
        "| \(row.name) | \(String(format: "%.0f", row.mbps)) | \(String(format: "%.1f", row.seconds / Double(row.commands) * 1e9)) | \(String(format: "%.2fM", Double(row.commands) / row.seconds / 1e6)) | \(String(format: "%.1f%%", 100 * row.mbps / rows[0].mbps)) | \(String(format: "%.1f×", row.mbps / stringRow.mbps)) |"
    )
}

log("timing each command kind...")
print("")
print("Per command kind (parser alone):")
print(
    "| kind | lines | bytes/line | kernel (\(kernelName)), MB/s | ns/line | share of the time | table automata, MB/s | kernel ÷ tables |"
)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for kind in Corpus.Kind.allCases {
    let subset = corpus.only(kind)
    guard subset.lineCount > 0 else { continue }
    let k = SliceTimer.time(
        subset, rounds: repeatCount,
        [{ Workloads.parse(subset, lines: $0, with: withKernel) }, { Workloads.parse(subset, lines: $0, with: tablesOnly) }])
    let mb = Double(subset.bytes.count) / 1e6
    // The kind's share of the whole corpus's time with the kernel: where a saving pays most.
    let share = k[0] / t[2]
    print(
        "| \(kind.rawValue) | \(subset.lineCount) | \(String(format: "%.1f", Double(subset.bytes.count) / Double(subset.lineCount))) | \(String(format: "%.0f", mb / k[0])) | \(String(format: "%.1f", k[0] / Double(subset.lineCount) * 1e9)) | \(String(format: "%.1f%%", 100 * share)) | \(String(format: "%.0f", mb / k[1])) | \(String(format: "%.2f", k[1] / k[0])) |"
    )
}
print("")
let ratio = rows[4].mbps / rows[0].mbps
print(
    "Target: framer + parser (kernel) at least 20% of the CRLF scan (stretch 25%): \(String(format: "%.1f%%", 100 * ratio)) \(ratio >= 0.25 ? "PASS (stretch too)" : ratio >= 0.20 ? "PASS" : "FAIL"); with the table automata alone: \(String(format: "%.1f%%", 100 * rows[5].mbps / rows[0].mbps))"
)
