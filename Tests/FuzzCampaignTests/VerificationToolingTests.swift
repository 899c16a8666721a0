// The pieces of `smtp-fuzz mutants`, `record` and `check-record` that read
// files and other tools' output, on fixed inputs: no build, no subprocess.

import Foundation
import MutationCatalog
import XCTest

@testable import FuzzCampaign

final class MutationToolingTests: XCTestCase {
    func mutant(
        _ id: Int, line: Int, _ op: MutationOperator = .relationalBoundary, original: String = "a < b",
        decl: ClosedRange<Int> = 1...50, file: String = "F.swift", module: String = "P"
    )
        -> Mutant
    {
        Mutant(
            id: id, key: "\(file):\(String(id, radix: 16))", module: module, file: file, line: line, column: 5, operator: op,
            declaration: "f()", declarationStart: decl.lowerBound, declarationEnd: decl.upperBound, original: original,
            mutated: "x", sourceLine: "")
    }

    /// A parser module P (files named as they are) and a runtime R it depends on (files named `R/...`).
    let twoModules = [
        MutantCatalog.Module(
            name: "P", filePrefix: "", firstID: 1, mutantCount: 5, instrumentedFiles: ["F.swift"], generatedFiles: []),
        MutantCatalog.Module(
            name: "R", filePrefix: "R/", firstID: 6, mutantCount: 2, instrumentedFiles: ["R/F.swift"], generatedFiles: []),
    ]

    func testEquivalentMutantsFile() throws {
        let list = try EquivalentMutants.parse(
            """
            # comment
            LineFramer.swift:0123456789abcdef  the byte loop after the word loop reads the rest

            SMTPParserRuntime/Automaton.swift:fedcba9876543210 any bit the other fields leave free works
            """)
        XCTAssertEqual(list.reasons.count, 2)
        XCTAssertEqual(list.reasons["LineFramer.swift:0123456789abcdef"], "the byte loop after the word loop reads the rest")
        XCTAssertThrowsError(try EquivalentMutants.parse("LineFramer.swift:0123456789abcdef")) { error in
            XCTAssertTrue("\(error)".contains("EQUIVALENT:1"), "names the line: \(error)")
        }
        XCTAssertThrowsError(try EquivalentMutants.parse("a:1 why\na:1 again"), "a key listed twice")
        XCTAssertThrowsError(try EquivalentMutants.parse("nokey because"), "a key has file:hash")
    }

    func testCompileErrorsAreMappedToTheInstrumentedFiles() {
        let output = """
            [3/9] Compiling SMTPCommandParser CommandParser.swift
            /w/.build-mutants/tests/Instrumented/SMTPCommandParser/CommandParser.swift:167:33: error: type '(Int, Int)' cannot conform to 'Comparable'
            /w/.build-mutants/tests/Instrumented/SMTPCommandParser/CommandParser.swift:167:33: error: type '(Int, Int)' cannot conform to 'Comparable'
            /w/.build-mutants/tests/Instrumented/SMTPCommandParser/Sub/X.swift:3:1: error: missing return in global function expected to return 'Int'
            /w/.build-mutants/tests/Instrumented/SMTPCommandParser/CommandParser.swift:170:3: warning: unused
            /w/.build-mutants/tests/Instrumented/SMTPParserRuntime/Automaton.swift:12:5: error: cannot find 'x' in scope
            /w/Sources/Other/Y.swift:1:1: error: not in an instrumented copy
            """
        let modules = [
            MutantCatalog.Module(
                name: "SMTPCommandParser", filePrefix: "", firstID: 1, mutantCount: 1, instrumentedFiles: [], generatedFiles: []),
            MutantCatalog.Module(
                name: "SMTPParserRuntime", filePrefix: "SMTPParserRuntime/", firstID: 2, mutantCount: 1, instrumentedFiles: [],
                generatedFiles: []),
        ]
        let errors = CompileError.parse(output, modules: modules)
        XCTAssertEqual(
            errors,
            [
                CompileError(file: "CommandParser.swift", line: 167, message: "type '(Int, Int)' cannot conform to 'Comparable'"),
                CompileError(file: "Sub/X.swift", line: 3, message: "missing return in global function expected to return 'Int'"),
                CompileError(
                    file: "SMTPParserRuntime/Automaton.swift", line: 12, message: "cannot find 'x' in scope"),
            ], "named as the mutants name them: the runtime's file with its module in front")
    }

    func testMutantsLeftOutForCompileErrors() {
        let catalog = MutantCatalog(
            modules: twoModules,
            mutants: [
                mutant(1, line: 10), mutant(2, line: 10, .integerConstant),
                mutant(3, line: 12, .deleteStatement, original: "throw E.x"),
                mutant(4, line: 14, .deleteStatement, original: "count += 1"),
                mutant(5, line: 30, decl: 25...40),
                // The runtime's F.swift: another file, though its path in its module is the same.
                mutant(6, line: 10, file: "R/F.swift", module: "R"), mutant(7, line: 33, file: "R/F.swift", module: "R"),
            ], excludedKeys: [])
        func keys(_ e: CompileError) -> [String] { MutationRun.mutantsToDrop([e], catalog: catalog).map(\.0) }
        // On the error's line: those mutants.
        XCTAssertEqual(keys(CompileError(file: "F.swift", line: 10, message: "ambiguous")), ["F.swift:1", "F.swift:2"])
        // Control flow: the removed throws and returns of the declaration, not the mutants on the line.
        XCTAssertEqual(
            keys(CompileError(file: "F.swift", line: 10, message: "constant 'x' used before being initialized")), ["F.swift:3"])
        // No mutant on the line, nothing but a mutant in the declaration around it.
        XCTAssertEqual(keys(CompileError(file: "F.swift", line: 33, message: "something")), ["F.swift:5"])
        XCTAssertEqual(keys(CompileError(file: "G.swift", line: 10, message: "something")), [])
        XCTAssertEqual(keys(CompileError(file: "R/F.swift", line: 10, message: "ambiguous")), ["R/F.swift:6"])
    }

    func testCatalogueFindsAFilesModule() {
        let catalog = MutantCatalog(modules: twoModules, mutants: [], excludedKeys: [])
        XCTAssertEqual(catalog.module(ofFile: "F.swift")?.name, "P")
        XCTAssertEqual(catalog.module(ofFile: "R/F.swift")?.name, "R")
        XCTAssertEqual(catalog.module(ofFile: "R/F.swift:00000000000000ab")?.name, "R", "a key names its file first")
        XCTAssertEqual(catalog.instrumentedFiles, ["F.swift", "R/F.swift"])
        XCTAssertEqual(MutantCatalog.Module.filePrefix(module: "SMTPCommandParser", position: 0), "")
        XCTAssertEqual(MutantCatalog.Module.filePrefix(module: "SMTPParserRuntime", position: 1), "SMTPParserRuntime/")
    }

    /// Each module writes its own ids into the trace in place: the parser's module ids 1-5
    /// from byte 1, the runtime's ids 6-7 from byte 6; a module never reached leaves a hole.
    func testTraceOfTwoModules() {
        var trace = Data([0, 1, 0, 1, 0, 0, 1, 1])
        XCTAssertEqual(MutationRun.reachedMutants(trace), [1, 3, 6, 7], "byte 0 is no mutant")
        trace = Data([0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(MutationRun.reachedMutants(trace), [7], "only the runtime reached: the parser's bytes are a hole")
        XCTAssertEqual(MutationRun.reachedMutants(Data([0, 1, 1])), [1, 2], "only the parser reached: the file ends there")
    }

    /// The report counts mutants of every module in the score and lists them per module and file.
    func testReportCoversBothModules() throws {
        let catalog = MutantCatalog(
            modules: twoModules,
            mutants: [
                mutant(1, line: 10), mutant(2, line: 11), mutant(6, line: 10, file: "R/F.swift", module: "R"),
                mutant(7, line: 12, file: "R/F.swift", module: "R"),
            ], excludedKeys: [])
        func result(_ m: Mutant, _ status: MutantResult.Status) -> (String, MutantResult) {
            (m.key, MutantResult(key: m.key, status: status, check: status == .killed ? "T.C/t" : nil, seconds: 1, checksRun: 1))
        }
        let results = Dictionary(
            uniqueKeysWithValues: [
                result(catalog.mutants[0], .killed), result(catalog.mutants[1], .survived),
                result(catalog.mutants[2], .killed), result(catalog.mutants[3], .equivalent),
            ])
        let report = MutationReport(
            modules: ["P", "R"], date: "d", sourceDigest: "s", catalog: catalog, selected: catalog.mutants, results: results,
            notCompiled: ["R/F.swift:ff": "R/F.swift:20: error"],
            equivalents: EquivalentMutants(reasons: [catalog.mutants[3].key: "no difference"]),
            checks: BaselineChecks(usable: [], excluded: [:]), testTargets: ["T"], fuzzTargets: [], fuzzSeconds: 2, sample: nil,
            seed: 1, workers: 1, buildSeconds: 0, baselineSeconds: 0, mutantSeconds: 0, mutantCPUSeconds: 0, loadAverage: nil,
            mutantsRunNow: 4, wallSeconds: 0, reportFolder: "/nonexistent")
        XCTAssertEqual([report.killed, report.scored], [2, 3], "killed in P and in R; P's survivor counts")
        XCTAssertEqual(report.entries.first { $0.status == .notCompiled }?.mutant.module, "R", "found by its key's file")
        let md = report.markdown()
        XCTAssertTrue(md.hasPrefix("# Mutation testing of P and R,"), md)
        XCTAssertTrue(md.contains("| P | 2 | 1 | 1 | 0 | 0 | 50.0% |"), md)
        XCTAssertTrue(md.contains("| R | 3 | 1 | 0 | 0 | 1 | 100.0% |"), md)
        XCTAssertTrue(md.contains("| R/F.swift | 3 | 1 | 0 | 0 | 1 | 100.0% |"), md)
        let byFile = try XCTUnwrap(md.range(of: "## By file"))
        let p = try XCTUnwrap(md.range(of: "| F.swift |", range: byFile.upperBound..<md.endIndex))
        let r = try XCTUnwrap(md.range(of: "| R/F.swift |", range: byFile.upperBound..<md.endIndex))
        XCTAssertLessThan(p.lowerBound, r.lowerBound, "the parser's files first")
    }

    func testSampleIsDeterministicAndSeeded() {
        let all = (1...200).map { mutant($0, line: $0) }
        let a = MutationRun.sample(all, count: 20, seed: 7)
        XCTAssertEqual(a.count, 20)
        XCTAssertEqual(a.map(\.key), MutationRun.sample(all, count: 20, seed: 7).map(\.key))
        XCTAssertNotEqual(a.map(\.key), MutationRun.sample(all, count: 20, seed: 8).map(\.key))
        XCTAssertEqual(a.map(\.id), a.map(\.id).sorted(), "run in catalogue order")
        XCTAssertEqual(MutationRun.sample(all, count: 500, seed: 1).count, 200)
    }

    func testXCTestOutputGivesTheFailingTest() {
        let state = CheckOutputState(kind: .xctest)
        XCTAssertFalse(state.read("Test Case 'PathFixtureTests.testAddressLiterals' started at 2026-12-06 10:46:25.890"))
        XCTAssertEqual(state.running?.0, "PathFixtureTests.testAddressLiterals")
        XCTAssertTrue(
            state.read(
                "/w/Tests/SMTPCommandParserTests/PathFixtureTests.swift:40: error: PathFixtureTests.testAddressLiterals : XCTAssertEqual failed"
            ))
        XCTAssertFalse(
            state.read("/w/x.swift:41: error: PathFixtureTests.testAddressLiterals : again"), "only the first failure stops it")
        XCTAssertEqual(state.failedTest, "PathFixtureTests.testAddressLiterals")
        XCTAssertEqual(state.describe(status: 1, signaled: false, output: ""), "PathFixtureTests.testAddressLiterals")

        let crash = CheckOutputState(kind: .xctest)
        _ = crash.read("Test Case 'LineFramerTests.testChunks' started at 2026-12-06 10:46:25.890")
        XCTAssertEqual(crash.describe(status: 11, signaled: true, output: ""), "crash (signal 11)")
        XCTAssertEqual(crash.failedTest, "LineFramerTests.testChunks", "a crash is the running test's")
    }

    /// A test process that fails at once and then runs on with SIGTERM ignored (as a check
    /// started from a dispatch worker thread has it blocked): stopped at its first failure,
    /// not at the time limit.
    func testAFailingCheckIsStoppedAtItsFirstFailure() throws {
        let folder = NSTemporaryDirectory() + "check-runner-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let bundle = folder + "/tests.sh"
        try Data(
            """
            #!/bin/sh
            trap '' TERM
            echo "/w/T.swift:3: error: C.testA : XCTAssertEqual failed"
            while :; do :; done

            """.utf8
        ).write(to: URL(fileURLWithPath: bundle))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bundle)
        let runner = CheckRunner(
            testBundle: bundle, harnesses: [:], packageRoot: folder, corpus: folder, fuzzSeconds: 1, scratch: folder)
        let outcome = try runner.run(MutationCheck(kind: .xctest, name: "M.C/testA"), mutant: 1, timeout: 60)
        XCTAssertTrue(outcome.failed)
        XCTAssertFalse(outcome.timedOut)
        XCTAssertEqual(outcome.detail, "C.testA")
        XCTAssertLessThan(outcome.seconds, 30, "stopped at the failure, not after the 60 s limit")
    }

    func testFuzzOutputSaysReplayOrFuzzing() {
        let replay = CheckOutputState(kind: .fuzz)
        _ = replay.read("INFO: seed corpus: files: 1123 min: 1b max: 1100b total: 60000b rss: 40Mb")
        _ = replay.read("/w/FuzzTarget.swift:39: Fatal error: PROPERTY VIOLATED [parser] range-out-of-bounds: x")
        XCTAssertEqual(
            replay.describe(status: 1, signaled: false, output: "PROPERTY VIOLATED [parser] range-out-of-bounds: x"),
            "replay: range-out-of-bounds")

        let fuzzing = CheckOutputState(kind: .fuzz)
        _ = fuzzing.read("#1123\tINITED cov: 1500 ft: 6000 corp: 1100/50Kb exec/s: 0 rss: 60Mb")
        _ = fuzzing.read("==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1")
        XCTAssertEqual(
            fuzzing.describe(
                status: 1, signaled: false, output: "==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1"),
            "fuzzing: heap-buffer-overflow")
    }
}

final class RecordAndCoverageTests: XCTestCase {
    func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "record-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/Sources/M/Grammar", withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    func testSourceDigestCoversContentNamesAndNotTheRecord() throws {
        let root = try temporaryFolder()
        try write("let a = 1\n", root + "/Sources/M/A.swift")
        try write("rule = \"x\"\n", root + "/Sources/M/Grammar/g.abnf")
        try write("old record", root + "/Sources/M/VERIFICATION.md")
        try FileManager.default.createDirectory(atPath: root + "/Sources/M/M.docc", withIntermediateDirectories: true)
        try write("# docs", root + "/Sources/M/M.docc/M.md")
        let files = try ParserSources.files(packageRoot: root, folders: ["Sources/M"])
        XCTAssertEqual(files, ["Sources/M/A.swift", "Sources/M/Grammar/g.abnf"])
        let digest = try ParserSources.digest(packageRoot: root, files: files)
        XCTAssertEqual(digest.count, 64)

        try write("a newer record", root + "/Sources/M/VERIFICATION.md")
        try write("# other docs", root + "/Sources/M/M.docc/M.md")
        XCTAssertEqual(
            try ParserSources.digest(packageRoot: root, files: ParserSources.files(packageRoot: root, folders: ["Sources/M"])),
            digest)

        try write("let a = 2\n", root + "/Sources/M/A.swift")
        let edited = try ParserSources.digest(
            packageRoot: root, files: ParserSources.files(packageRoot: root, folders: ["Sources/M"]))
        XCTAssertNotEqual(edited, digest)

        try FileManager.default.moveItem(atPath: root + "/Sources/M/A.swift", toPath: root + "/Sources/M/B.swift")
        let renamed = try ParserSources.digest(
            packageRoot: root, files: ParserSources.files(packageRoot: root, folders: ["Sources/M"]))
        XCTAssertNotEqual(renamed, edited, "a rename changes the digest too")
    }

    func testHandWrittenFilesLeaveGeneratedOnesOut() throws {
        let root = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/Sources/M/Generated", withIntermediateDirectories: true)
        try write("// DO NOT EDIT. Generated by `abnfc generate`\nlet g = 1\n", root + "/Sources/M/Generated/G.swift")
        try write("// Hand-written.\nlet h = 1\n", root + "/Sources/M/H.swift")
        XCTAssertEqual(ParserSources.handWrittenFiles(packageRoot: root, folder: "Sources/M"), ["H.swift"])
    }

    /// The parser and every target it depends on that holds hand-written Swift, in that
    /// order; a C target and a target of generated code only are not mutated or measured.
    func testSwiftModulesOfTheParser() throws {
        let root = try temporaryFolder()
        let fm = FileManager.default
        for folder in ["Sources/Runtime/Sub", "Sources/Kernels/include", "Sources/Tables"] {
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        try write("// Hand-written.\nlet p = 1\n", root + "/Sources/M/P.swift")
        try write("// Hand-written.\nlet r = 1\n", root + "/Sources/Runtime/Sub/R.swift")
        try write("int k(void) { return 1; }\n", root + "/Sources/Kernels/k.c")
        try write("int k(void);\n", root + "/Sources/Kernels/include/k.h")
        try write("// DO NOT EDIT. Generated\nlet t = 1\n", root + "/Sources/Tables/T.swift")
        func target(_ name: String, _ dependencies: [String]) -> [String: Any] {
            [
                "name": name, "type": "regular", "dependencies": dependencies.map { ["byName": [$0, NSNull()]] },
                "exclude": [], "resources": [], "settings": [],
            ]
        }
        let object: [String: Any] = [
            "targets": [
                target("M", ["Runtime", "Kernels"]), target("Runtime", ["Tables"]), target("Kernels", []), target("Tables", []),
                target("Unrelated", []),
            ]
        ]
        let (dump, _) = try PackageDescriptionDump.parse(object, rootIdentity: nil, rootProducts: [:])
        let targets = try ParserSources.targets(dump, module: "M")
        XCTAssertEqual(targets.map(\.name), ["M", "Kernels", "Runtime", "Tables"], "the digest covers every folder")
        let modules = ParserSources.swiftModules(packageRoot: root, targets: targets)
        XCTAssertEqual(modules.map(\.target), ["M", "Runtime"])
        XCTAssertEqual(modules.map(\.filePrefix), ["", "Runtime/"])
        let files = ParserSources.handWrittenFiles(packageRoot: root, modules: modules)
        XCTAssertEqual(files.map(\.name), ["P.swift", "Runtime/Sub/R.swift"])
        XCTAssertEqual(files.map(\.path), ["Sources/M/P.swift", "Sources/Runtime/Sub/R.swift"])
    }

    func testUncoveredNotes() throws {
        let notes = try UncoveredNotes.parse(
            """
            # comment
            LineFramer.swift: if pending.isEmpty {
                never empty here:
                earlier chunks carried the line

            ESMTPParameters.swift: : automaton.run(rest, from: 0, row: automaton.startRow)
                every keyword has a row
            """)
        let region = UncoveredRegion(
            file: "LineFramer.swift", line: 165, column: 28, endLine: 167, endColumn: 10, text: "if pending.isEmpty {", why: nil)
        XCTAssertEqual(notes.reason(region), "never empty here: earlier chunks carried the line")
        var other = region
        other.file = "CommandParser.swift"
        XCTAssertNil(notes.reason(other), "keyed by file and code")
        XCTAssertEqual(notes.reasons.count, 2)
        XCTAssertThrowsError(try UncoveredNotes.parse("    a reason first"))
        XCTAssertThrowsError(try UncoveredNotes.parse("no colon and space here"))
    }

    /// The committed lists parse, so a typo fails `swift test`, not a long run.
    func testCommittedNotesParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let uncovered = try UncoveredNotes.load(root.appendingPathComponent("Fuzz/UNCOVERED").path)
        XCTAssertFalse(uncovered.reasons.isEmpty)
        let equivalent = try EquivalentMutants.load(root.appendingPathComponent("Mutation/EQUIVALENT").path)
        for (key, reason) in equivalent.reasons {
            XCTAssertTrue(key.contains(".swift:"), key)
            XCTAssertGreaterThan(reason.count, 15, "\(key): say why")
        }
        // Every note names a file that exists: the parser's relative to its folder, a module
        // it depends on with the module in front (a file that moved takes its notes along).
        let named =
            Array(uncovered.reasons.keys.map { String($0.prefix { $0 != ":" }) })
            + equivalent.reasons.keys.map { String($0.prefix { $0 != ":" }) }
        for file in Set(named) {
            let paths = ["Sources/SMTPCommandParser/" + file, "Sources/" + file]
            XCTAssertTrue(
                paths.contains { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) },
                "\(file): no such file (\(paths.joined(separator: ", ")))")
        }
    }

    func testCheckRecordComparesTheDigest() {
        let digest = String(repeating: "ab", count: 32)
        let record = "# Verification\n\nLast verified: today\n\n\(VerificationRecord.digestPrefix)`\(digest)` over 12 files\n"
        XCTAssertNil(VerificationRecord.staleness(record: record, current: digest))
        let stale = VerificationRecord.staleness(record: record, current: String(repeating: "cd", count: 32))
        XCTAssertTrue(stale?.contains("changed since") == true, stale ?? "")
        XCTAssertTrue(stale?.contains("abababababab") == true, "names the recorded digest: \(stale ?? "")")
        XCTAssertNotNil(VerificationRecord.staleness(record: "# Verification\n\nLast verified: 2026-11-29\n", current: digest))
        XCTAssertNotNil(VerificationRecord.staleness(record: nil, current: digest))
    }

    /// Two binaries saw the same file under two paths (the module's folder and a
    /// workspace's link): their counts join by position, and only the outermost
    /// region nothing reached is listed.
    func testCoverageOfTwoBinariesJoinsByPosition() throws {
        func json(_ path: String, _ regions: [[Int]]) -> Data {
            let object: [String: Any] = [
                "data": [["functions": [["name": "f", "filenames": [path], "regions": regions]], "files": []]]
            ]
            return try! JSONSerialization.data(withJSONObject: object)
        }
        let real = "/r/Sources/M/F.swift"
        let link = "/r/.build-coverage/tests/Sources/M/F.swift"
        var counts = CoverageCounts()
        try counts.add(
            json: json(
                real,
                [[1, 1, 20, 2, 5, 0, 0, 0], [3, 5, 4, 6, 0, 0, 0, 0], [10, 3, 14, 4, 0, 0, 0, 0], [11, 5, 12, 9, 0, 0, 0, 0]]),
            lcov: "SF:\(real)\nFN:1,f\nFNDA:5,f\nDA:1,5\nDA:3,0\nDA:11,0\nend_of_record\n",
            file: { $0 == real ? "F.swift" : nil })
        try counts.add(
            json: json(
                link,
                [[1, 1, 20, 2, 7, 0, 0, 0], [3, 5, 4, 6, 2, 0, 0, 0], [10, 3, 14, 4, 0, 0, 0, 0], [11, 5, 12, 9, 0, 0, 0, 0]]),
            lcov: "SF:\(link)\nFN:1,f\nFNDA:7,f\nDA:1,7\nDA:3,2\nDA:11,0\nend_of_record\n",
            file: { $0 == link ? "F.swift" : nil })
        let report = counts.report(
            modules: ["M"], files: [("F.swift", "/nonexistent/F.swift"), ("Other.swift", "/nonexistent/Other.swift")],
            sources: ["tests"])
        XCTAssertEqual(report.files.count, 1, "a file no binary saw is left out")
        let f = try XCTUnwrap(report.files.first)
        XCTAssertEqual([f.regions, f.coveredRegions], [4, 2], "the region at 3:5 ran in the second binary")
        XCTAssertEqual([f.lines, f.coveredLines], [3, 2])
        XCTAssertEqual([f.functions, f.coveredFunctions], [1, 1])
        XCTAssertEqual(
            report.uncovered.map { "\($0.line):\($0.column)-\($0.endLine):\($0.endColumn)" }, ["10:3-14:4"],
            "11:5 lies inside 10:3-14:4")
        XCTAssertEqual(report.regionCover, "50.0%")
    }

    func testWorkspaceManifestFromDumpPackage() throws {
        let object: [String: Any] = [
            "targets": [
                [
                    "name": "Kernels", "type": "regular", "dependencies": [], "exclude": [], "resources": [],
                    "publicHeadersPath": "include",
                    "settings": [["tool": "c", "kind": ["define": ["_0": "FAST=1"]]]],
                ],
                [
                    "name": "Parser", "type": "regular", "dependencies": [["byName": ["Kernels", NSNull()]]],
                    "exclude": ["Grammar"], "resources": [],
                    "settings": [["tool": "swift", "kind": ["enableExperimentalFeature": ["_0": "Lifetimes"]]]],
                ],
                [
                    "name": "ParserTests", "type": "test", "dependencies": [["target": ["Parser", NSNull()]]], "exclude": [],
                    "resources": [], "settings": [],
                ],
                [
                    "name": "ServerTests", "type": "test",
                    "dependencies": [
                        ["byName": ["Parser", NSNull()]], ["product": ["NIOCore", "swift-nio", NSNull(), NSNull()]],
                    ],
                    "exclude": [], "resources": [], "settings": [],
                ],
            ],
            "products": [["name": "Parser", "targets": ["Parser"]]],
            "platforms": [["platformName": "macos", "version": "15.0"]],
        ]
        let (dump, products) = try PackageDescriptionDump.parse(object, rootIdentity: nil, rootProducts: [:])
        XCTAssertEqual(products["Parser"], ["Parser"])
        XCTAssertEqual(dump.platforms, [".macOS(\"15.0\")"])
        XCTAssertEqual(dump.targets["ServerTests"]?.externalProducts, ["NIOCore (swift-nio)"])
        XCTAssertEqual(
            VerificationWorkspace.render(dump.targets["Kernels"]!),
            ".target(name: \"Kernels\", dependencies: [], path: \"Sources/Kernels\", publicHeadersPath: \"include\", cSettings: [.define(\"FAST\", to: \"1\")])"
        )
        var parser = dump.targets["Parser"]!
        parser.path = "Instrumented/Parser"
        XCTAssertEqual(
            VerificationWorkspace.render(parser),
            ".target(name: \"Parser\", dependencies: [.target(name: \"Kernels\")], path: \"Instrumented/Parser\", exclude: [\"Grammar\"], swiftSettings: [.enableExperimentalFeature(\"Lifetimes\")])"
        )
        let definitions = VerificationWorkspace.Definitions(
            root: dump, fuzz: PackageDescriptionDump(targets: [:], order: [], platforms: []))
        XCTAssertEqual(definitions.testTargets(reaching: "Parser"), ["ParserTests"], "ServerTests needs NIO: not in a workspace")
        XCTAssertEqual(Set(definitions.closure(["ParserTests"], includeFuzz: false)), ["ParserTests", "Parser", "Kernels"])

        // A harness of the nested Fuzz package depends on a product of the root package.
        let fuzz: [String: Any] = [
            "targets": [
                [
                    "name": "fuzz-parser", "type": "executable",
                    "dependencies": [["product": ["Parser", "checkout", NSNull(), NSNull()]]], "exclude": [], "resources": [],
                    "settings": [],
                ]
            ]
        ]
        let (harnesses, _) = try PackageDescriptionDump.parse(fuzz, rootIdentity: "checkout", rootProducts: products)
        XCTAssertEqual(harnesses.targets["fuzz-parser"]?.dependencies, ["Parser"])
        XCTAssertEqual(harnesses.targets["fuzz-parser"]?.externalProducts, [])
    }
}

final class LiveTableTests: XCTestCase {
    func testColumnsStayAlignedWithLongNamesAndStates() throws {
        var c = CampaignConfiguration(packageRoot: "/tmp/p", report: "/tmp/p/r")
        c.targets = [.parser, .serverPipeline]
        let campaign = Campaign(c) { _ in }
        let runs = c.targets.map {
            TargetRun(
                target: $0, binary: "/nonexistent", workDirectory: "/tmp/p/r/\($0.rawValue)", seeds: "/tmp/s", dictionary: nil,
                duration: 90, detectLeaks: false, environment: [:], campaignStart: Date())
        }
        let table = campaign.progressTable(runs, builds: nil)
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        // "server-pipeline" and "queued" must not run into the next column.
        XCTAssertTrue(lines[2].hasPrefix("server-pipeline  queued"), lines[2])
        let timeColumn = try XCTUnwrap(lines[0].range(of: "time")).lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            let index = line.index(line.startIndex, offsetBy: timeColumn)
            XCTAssertTrue(line[index...].hasPrefix("0/90s"), "the time column starts at the same place: \(line)")
        }
    }

    func testBuildStepAndFitting() {
        XCTAssertEqual(Campaign.buildStep("[812/1404] Compiling NIOCore Channel.swift"), "812/1404")
        XCTAssertEqual(Campaign.buildStep("Building for production..."), "")
        XCTAssertEqual(Terminal.fit("abcdef", 4), "ab…")
        XCTAssertEqual(Terminal.fit("abc", 4), "abc")
        XCTAssertEqual(Terminal.fit("abcdef", 0), "abcdef", "no width: not a terminal")
    }
}
