// package-benchmark suites for the parser (run from Benchmarks/ with
// `swift package benchmark`). Names have no spaces or slashes: the
// threshold files in Thresholds/ are named after them. Throughput is reported per command; the
// committed threshold is zero mallocs per parsed command on the success path.
// The ratio table of the README comes from `swift run -c release
// parser-throughput`, which times every workload in one run.

@preconcurrency import Benchmark
import BenchmarkSupport
import SMTPCommandParser

let corpus = Corpus(lines: 200_000)
let valid: Corpus = {
    // Only lines the strict parser accepts, for the success-path malloc threshold.
    let parser = SMTPCommandParser()
    var accepted: [Int] = []
    corpus.bytes.withUnsafeBytes { all in
        for i in 0..<corpus.lineCount where (try? parser.parse(UnsafeRawBufferPointer(rebasing: all[corpus.line(i)]))) != nil {
            accepted.append(i)
        }
    }
    var bytes: [UInt8] = []
    var starts: [Int] = []
    for i in accepted {
        starts.append(bytes.count)
        bytes += corpus.bytes[corpus.line(i)]
    }
    starts.append(bytes.count)
    return Corpus(bytes: bytes, lineStarts: starts, kinds: accepted.map { corpus.kinds[$0] })
}()

nonisolated(unsafe) let zeroMallocs: [BenchmarkMetric: BenchmarkThresholds] = [
    .mallocCountTotal: .init(absolute: [.p90: 4])
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    // The harness's own mallocs per sample (18 on Swift 6.3 here): the malloc
    // thresholds in Thresholds/ are this overhead (±4) for a sample of 1,000
    // commands, so one malloc per command (1,000 a sample) fails them.
    Benchmark("HarnessOverheadEmptyLoop", configuration: .init(thresholds: zeroMallocs)) { benchmark in
        var sum = 0
        for i in benchmark.scaledIterations { sum &+= i }
        blackHole(sum)
    }

    // One parsed command per scaled iteration, cycling through accepted lines:
    // the success path, where the threshold is zero mallocs. With the SIMD
    // kernel this CPU has (the parser's default), and with the table automata alone.
    for (name, parser) in [
        ("ParserSuccessPath", SMTPCommandParser()), ("ParserSuccessPathTableAutomata", SMTPCommandParser(kernel: nil)),
    ] {
        Benchmark(name, configuration: .init(thresholds: zeroMallocs)) { benchmark in
            valid.bytes.withUnsafeBytes { all in
                var next = 0
                for _ in benchmark.scaledIterations {
                    let line = UnsafeRawBufferPointer(rebasing: all[valid.line(next)])
                    blackHole(try? parser.parse(line))
                    next = next + 1 == valid.lineCount ? 0 : next + 1
                }
            }
        }
    }

    Benchmark("ParserWholeCorpus", configuration: .init(scalingFactor: .one)) { benchmark in
        let parser = SMTPCommandParser()
        for _ in benchmark.scaledIterations { blackHole(Workloads.parse(corpus, with: parser)) }
    }

    Benchmark("FramerWholeCorpus", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Workloads.frame(corpus)) }
    }

    Benchmark("FramerAndParserWholeCorpus", configuration: .init(scalingFactor: .one)) { benchmark in
        let parser = SMTPCommandParser()
        for _ in benchmark.scaledIterations { blackHole(Workloads.frameAndParse(corpus, with: parser)) }
    }

    Benchmark("BaselineStringParserWholeCorpus", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Workloads.stringBaseline(corpus)) }
    }

    Benchmark("CeilingCRLFScanWholeCorpus", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Workloads.crlfScan(corpus)) }
    }

    for kind in [Corpus.Kind.ehlo, .mail, .rcpt, .clientID, .auth, .data] {
        let subset = valid.only(kind)
        Benchmark("ParserSuccessPath-\(kind.rawValue)", configuration: .init(thresholds: zeroMallocs)) { benchmark in
            let parser = SMTPCommandParser()
            subset.bytes.withUnsafeBytes { all in
                var next = 0
                for _ in benchmark.scaledIterations {
                    blackHole(try? parser.parse(UnsafeRawBufferPointer(rebasing: all[subset.line(next)])))
                    next = next + 1 == subset.lineCount ? 0 : next + 1
                }
            }
        }
    }
}
