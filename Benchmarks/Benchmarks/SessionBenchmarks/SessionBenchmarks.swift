// package-benchmark suites for the SMTP session (run from Benchmarks/ with
// `swift package benchmark`): command lines through `SMTPSession.receive` as a
// server sees them, pipelined (RFC 2920), the replies' actions collected in one
// reused array as the server's driver does. Committed threshold: zero mallocs per
// command on this path (the lines are parsed where the read holds them, the
// envelope's addresses go into a buffer the session reuses, and the replies are
// made once).

@preconcurrency import Benchmark
import SMTPSession

/// A session after the greeting, EHLO and a successful AUTH on an implicit-TLS
/// connection: ready for mail transactions.
func authenticatedSession() -> SMTPSession {
    var configuration = SMTPSession.Configuration()
    configuration.hostname = "mx.example.com"
    configuration.implicitTLS = true
    // NOOP and RSET count against the junk-command limit, which would end the session
    // after 100 of them: it is not what is measured here.
    configuration.maxJunkCommands = .max
    var session = SMTPSession(configuration: configuration)
    var out: [Action] = []
    func feed(_ text: String) { out += session.receive(Array(text.utf8)) }
    do {
        out += try session.start()
        feed("EHLO client.example.net\r\n")
        feed("AUTH PLAIN AHNlbmRlcgBzZWNyZXQ=\r\n")
        out += try session.credentialsChecked(.accepted)
    } catch {
        fatalError("benchmark set-up: \(error)")
    }
    precondition(session.authenticatedUser == "sender", "benchmark set-up: not authenticated: \(out)")
    return session
}

/// One pipelined group per scaled iteration: MAIL, RCPT, NOOP, RSET in one read.
let group = Array(
    "MAIL FROM:<sender@example.net> SIZE=1200\r\nRCPT TO:<friend@example.com>\r\nNOOP\r\nRSET\r\n".utf8)
let commandsPerGroup = 4

nonisolated(unsafe) let harnessOnly: [BenchmarkMetric: BenchmarkThresholds] = [
    .mallocCountTotal: .init(absolute: [.p90: 4])
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    // 1,000 groups (4,000 commands) a sample. The threshold is the harness's own
    // mallocs (see ParserBenchmarks' HarnessOverheadEmptyLoop): one malloc per
    // command would be 4,000 more.
    Benchmark("SessionReceivePipelined", configuration: .init(thresholds: harnessOnly)) { benchmark in
        var session = authenticatedSession()
        var actions: [Action] = []
        actions.reserveCapacity(32)
        group.withUnsafeBytes { session.receive($0, into: &actions) }  // the address buffer grows once
        actions.removeAll(keepingCapacity: true)
        benchmark.startMeasurement()  // the set-up above is not the path measured
        group.withUnsafeBytes { read in
            for _ in benchmark.scaledIterations {
                session.receive(read, into: &actions)
                precondition(actions.count >= commandsPerGroup, "a reply per command")
                actions.removeAll(keepingCapacity: true)
            }
        }
        blackHole(session)
    }

    // The same commands, one read per command line (a client that does not pipeline).
    Benchmark("SessionReceiveOneLinePerRead", configuration: .init(thresholds: harnessOnly)) { benchmark in
        var session = authenticatedSession()
        var actions: [Action] = []
        actions.reserveCapacity(32)
        let lines = group.split(separator: 0x0A).map { Array($0) + [0x0A] }
        for line in lines { line.withUnsafeBytes { session.receive($0, into: &actions) } }
        actions.removeAll(keepingCapacity: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for line in lines { line.withUnsafeBytes { session.receive($0, into: &actions) } }
            precondition(actions.count >= commandsPerGroup, "a reply per command")
            actions.removeAll(keepingCapacity: true)
        }
        blackHole(session)
    }
}
