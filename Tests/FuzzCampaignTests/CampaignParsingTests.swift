// The pieces of smtp-fuzz that read other tools' output, and the duration syntax.

import FuzzProperties
import XCTest

@testable import FuzzCampaign

final class CampaignParsingTests: XCTestCase {
    func testDurations() {
        let table: [(String, Int?, UInt)] = [
            ("90", 90, #line), ("90s", 90, #line), ("5m", 300, #line), ("2h", 7200, #line), ("1h30m", 5400, #line),
            ("0", nil, #line), ("", nil, #line), ("5x", nil, #line), ("m", nil, #line), ("-3", nil, #line),
        ]
        for (text, expected, line) in table {
            XCTAssertEqual(CampaignConfiguration.parseDuration(text), expected, text, line: line)
        }
    }

    func testStatusLines() {
        let line = "#131072\tpulse  cov: 1058 ft: 2475 corp: 294/13394b lim: 405 exec/s: 43690 rss: 222Mb"
        let status = LibFuzzerStatus.parse(line[...])
        XCTAssertEqual(
            status,
            LibFuzzerStatus(
                executions: 131_072, event: "pulse", coverage: 1058, features: 2475, corpusFiles: 294, execsPerSecond: 43690))
        let new = LibFuzzerStatus.parse("#7 NEW    cov: 61 ft: 62 corp: 2/10b lim: 4 exec/s: 0 rss: 69Mb L: 1/1 MS: 1 ChangeBit-")
        XCTAssertEqual(new?.coverage, 61)
        XCTAssertEqual(new?.corpusFiles, 2)
        XCTAssertNil(LibFuzzerStatus.parse("#0 READ units: 12"))
        XCTAssertNil(LibFuzzerStatus.parse("INFO: Seed: 123"))
    }

    func testPropertyViolationSignature() throws {
        let output = """
            FuzzProperties/FuzzTarget.swift:39: Fatal error: PROPERTY VIOLATED [parser] round-trip-mismatch: lenient=true ...
            ==1234== ERROR: libFuzzer: deadly signal
                #0 0x5647 in __sanitizer_print_stack_trace /llvm/asan_stack.cpp:87:3
                #1 0x5648 in fuzzer::PrintStackTrace() /llvm/FuzzerUtil.cpp:210:5
                #4 0x7f0c in $ss17_assertionFailure__4file4line5flagss5NeverOs12StaticStringV_SSAHSus6UInt32VtF (/usr/lib/swift/linux/libswiftCore.so+0x2f9360)
                #5 0x5649 in $s14FuzzProperties0A6TargetO9runOrTrapyySWF /src/smtp-clientid-toolkit/Sources/FuzzProperties/FuzzTarget.swift:39:13
                #6 0x5650 in $s14FuzzProperties06ParserB0O14checkRoundTripyyF /src/smtp-clientid-toolkit/Sources/FuzzProperties/ParserProperties.swift:10:1
                #7 0x5651 in LLVMFuzzerTestOneInput /<compiler-generated>:8:13

            """
        let signature = try XCTUnwrap(CrashSignature.parse(output))
        XCTAssertEqual(signature.symptom, "round-trip-mismatch")
        XCTAssertEqual(signature.frames, ["$s14FuzzProperties06ParserB0O14checkRoundTripyyF"])
        XCTAssertEqual(signature.hash.count, 8)
        XCTAssertEqual(signature.regressionName, "round-trip-mismatch-\(signature.hash)")
    }

    func testSanitizerAndRuntimeSymptoms() {
        XCTAssertEqual(
            CrashSignature.parse("==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1")?.symptom,
            "heap-buffer-overflow")
        XCTAssertEqual(
            CrashSignature.parse("x.swift:3: Fatal error: Index out of range\n==1== ERROR: libFuzzer: deadly signal")?.symptom,
            "index-out-of-range")
        XCTAssertEqual(CrashSignature.parse("==1== ERROR: libFuzzer: timeout after 10 seconds")?.symptom, "timeout")
        XCTAssertNil(CrashSignature.parse("Done 1 runs in 0 second(s)"))
    }

    func testKnownFailureSymptoms() {
        XCTAssertEqual(
            KnownFailures.symptom(ofRegressionFile: "smtputf8-flag-without-keyword-bd30a2b5"), "smtputf8-flag-without-keyword")
        XCTAssertEqual(KnownFailures.symptom(ofRegressionFile: "handmade"), "handmade")
    }

    func testCoverageReportTotals() throws {
        let text = """
            Filename                      Regions    Missed Regions     Cover   Functions  Missed Functions  Executed       Lines      Missed Lines     Cover    Branches   Missed Branches     Cover
            -----------------------------------------------------------------------------------------------------------------------------------------------------------------------------
            CommandParser.swift               200                20    90.00%          20                 1    95.00%         300                30    90.00%           0                 0         -
            -----------------------------------------------------------------------------------------------------------------------------------------------------------------------------
            TOTAL                            1000               100    90.00%         100                 5    95.00%        2000               150    92.50%           0                 0         -
            """
        let c = try XCTUnwrap(Campaign.parseCoverageReport(text))
        XCTAssertEqual(c.lines, 2000)
        XCTAssertEqual(c.missedLines, 150)
        XCTAssertEqual(c.lineCover, "92.50%")
        XCTAssertEqual(c.regions, 1000)
        XCTAssertEqual(c.regionCover, "90.00%")
        XCTAssertEqual(c.functions, 100)
        XCTAssertEqual(c.branches, 0)
        XCTAssertNil(c.branchCover)
    }
}

/// `--jobs N` (libFuzzer fork mode) and `--parallel N`, and reading fork mode's output.
final class ForkModeTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testParallelismDefaults() throws {
        var c = CampaignConfiguration(packageRoot: "/tmp/p")
        try c.setParallelism(jobs: nil, parallel: nil, cores: 8)
        XCTAssertNil(c.forkJobs)
        XCTAssertEqual(c.jobs, 8, "default: one process per target, as many targets as cores")
        try c.setParallelism(jobs: 4, parallel: nil, cores: 8)
        XCTAssertEqual(c.forkJobs, 4)
        XCTAssertEqual(c.jobs, 2, "with --jobs, targets at once = cores / workers")
        try c.setParallelism(jobs: 16, parallel: nil, cores: 8)
        XCTAssertEqual(c.jobs, 1, "never fewer than one target at a time")
        try c.setParallelism(jobs: 2, parallel: 3, cores: 8)
        XCTAssertEqual(c.jobs, 3, "--parallel wins")
        XCTAssertThrowsError(try c.setParallelism(jobs: 0, parallel: nil, cores: 8))
        XCTAssertThrowsError(try c.setParallelism(jobs: nil, parallel: 0, cores: 8))
    }

    func testForkArguments() {
        let single = TargetRun.arguments(
            target: .session, workDirectory: "/r/session", seeds: "/c/session", dictionary: "/c/session.dict",
            detectLeaks: false, forkJobs: nil)
        XCTAssertEqual(Array(single.prefix(2)), ["/r/session/corpus", "/c/session"], "new inputs go to the first folder")
        XCTAssertFalse(single.contains { $0.hasPrefix("-fork") })
        XCTAssertTrue(single.contains("-dict=/c/session.dict"))
        XCTAssertTrue(single.contains("-max_len=4096"))
        let fork = TargetRun.arguments(
            target: .parser, workDirectory: "/r/parser", seeds: "/c/parser", dictionary: nil, detectLeaks: false,
            forkJobs: 6)
        XCTAssertTrue(fork.contains("-fork=6"))
        XCTAssertTrue(fork.contains("-ignore_crashes=1"), "fork mode keeps fuzzing after a crash")
        XCTAssertTrue(fork.contains("-artifact_prefix=/r/parser/artifacts/"), "workers inherit the artifact folder")
    }

    func testForkStatusLine() throws {
        let line = "#1863920: cov: 1510 ft: 6201 corp: 1322 exec/s: 26484 oom/timeout/crash: 0/1/2 time: 63s job: 21 dft_time: 0"
        let status = try XCTUnwrap(LibFuzzerForkStatus.parse(line[...]))
        XCTAssertEqual(
            status,
            LibFuzzerForkStatus(
                executions: 1_863_920, coverage: 1510, features: 6201, corpusFiles: 1322, lastJobExecsPerSecond: 26484,
                ooms: 0, timeouts: 1, crashes: 2, seconds: 63, job: 21))
        XCTAssertEqual(status.execsPerSecond, 1_863_920 / 63, "all workers together, not the last job")
        XCTAssertEqual(status.failures, 3)
        // Older libFuzzers: "exec/s" without a colon, no dft_time.
        let old = LibFuzzerForkStatus.parse("#500: cov: 10 ft: 12 corp: 3 exec/s 250 oom/timeout/crash: 0/0/0 time: 2s job: 1")
        XCTAssertEqual(old?.lastJobExecsPerSecond, 250)
        XCTAssertEqual(old?.executions, 500)
        // Not fork lines: the single-process status, libFuzzer's INFO lines.
        XCTAssertNil(LibFuzzerForkStatus.parse("#131072\tpulse  cov: 1058 ft: 2475 corp: 294/13394b exec/s: 43690 rss: 222Mb"))
        XCTAssertNil(LibFuzzerForkStatus.parse("INFO: -fork=2: 57 seed inputs, starting to fuzz in /tmp/x"))
        XCTAssertNil(LibFuzzerStatus.parse(line[...]), "the single-process parser must not misread a fork line")
    }

    /// Output captured from a real run: `fuzz-session -fork=2 -ignore_crashes=1` (Fixtures/README.md).
    func testCapturedForkModeOutput() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("fork-mode.txt"), encoding: .utf8)
        let statuses = text.split(separator: "\n").compactMap { LibFuzzerForkStatus.parse($0) }
        XCTAssertGreaterThanOrEqual(statuses.count, 3, "one line per finished job")
        for (a, b) in zip(statuses, statuses.dropFirst()) {
            XCTAssertLessThanOrEqual(a.executions, b.executions, "executions are totals over all jobs")
            XCTAssertLessThanOrEqual(a.coverage, b.coverage, "coverage is the merged total")
            XCTAssertLessThanOrEqual(a.failures, b.failures)
            XCTAssertLessThan(a.job, b.job + 2)
        }
        var tally = ForkModeTally()
        for line in text.split(separator: "\n") { _ = tally.read(line) }
        let last = try XCTUnwrap(tally.status)
        XCTAssertEqual(last, statuses.last)
        let expected = try XCTUnwrap(ForkFixture.expectedTotals(text))
        XCTAssertEqual(last.executions, expected.executions)
        XCTAssertEqual(tally.failures, expected.crashes, "the crash after the last status line counts")
        XCTAssertEqual(last.crashes + 1, expected.crashes, "the last line alone lags by the last job's crash")
        XCTAssertGreaterThan(last.coverage, 0)
        XCTAssertTrue(text.contains("INFO: -fork=2"), "the fixture is a fork-mode run")
    }
}

/// The totals written down when the fixture was captured (its first comment line).
enum ForkFixture {
    /// "# totals: executions=N crashes=N"
    static func expectedTotals(_ text: String) -> (executions: Int, crashes: Int)? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# totals:") }) else { return nil }
        var values: [String: Int] = [:]
        for pair in line.dropFirst(9).split(separator: " ") {
            let kv = pair.split(separator: "=")
            if kv.count == 2, let n = Int(kv[1]) { values[String(kv[0])] = n }
        }
        guard let executions = values["executions"], let crashes = values["crashes"] else { return nil }
        return (executions, crashes)
    }
}
