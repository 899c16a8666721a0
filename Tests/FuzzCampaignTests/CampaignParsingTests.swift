// The pieces of smtp-fuzz that read other tools' output, and the duration syntax.

import FuzzCampaign
import XCTest

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
                #4 0x7f0c in $ss17_assertionFailure__4file4line5flagss5NeverOs12StaticStringV_SSAHSus6UInt32VtF (/opt/swift/usr/lib/swift/linux/libswiftCore.so+0x2f9360)
                #5 0x5649 in $s14FuzzProperties0A6TargetO9runOrTrapyySWF /work/main/Sources/FuzzProperties/FuzzTarget.swift:39:13
                #6 0x5650 in $s14FuzzProperties06ParserB0O14checkRoundTripyyF /work/main/Sources/FuzzProperties/ParserProperties.swift:10:1
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
