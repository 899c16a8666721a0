// Replays every saved fuzz input through the same property checks the
// harnesses run (Sources/FuzzProperties), on every `swift test`:
//   Corpus/Regressions/<target>/*   inputs that once crashed or broke a property
//   Corpus/<target>/*               the seed corpus (cheap targets only)
// An input listed in Corpus/Regressions/KNOWN_FAILURES still breaks its property
// (an open bug): it must keep failing, and the test says when it passes so the
// line can be removed. Inputs that trap (not just break a property) cannot be
// listed there: fix the bug first, or keep the file out of the folder.

import Foundation
import FuzzProperties
import FuzzServerProperties
import XCTest

final class RegressionReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    /// "target/file" → why it is known to fail.
    static func knownFailures() -> [String: String] {
        let url = corpus.appendingPathComponent("Regressions/KNOWN_FAILURES")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var known: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let path = parts.first else { continue }
            known[String(path)] = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
        }
        return known
    }

    static func files(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
    }

    func replayRegressions(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent("Regressions/\(target.rawValue)")
        let files = Self.files(in: folder)
        XCTAssertFalse(files.isEmpty, "no regression inputs in \(folder.path)")
        let known = Self.knownFailures()
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            let key = "\(target.rawValue)/\(file.lastPathComponent)"
            let violation =
                target.checkedInFuzzProperties
                ? target.violation(bytes) : target.violation(bytes, using: ServerPipelineProperties.check)
            if let reason = known[key] {
                if violation == nil {
                    XCTFail("\(key) passes now: remove it from Corpus/Regressions/KNOWN_FAILURES (\(reason))")
                } else {
                    print("known failure \(key): \(violation!) (\(reason))")
                }
            } else if let violation {
                XCTFail(
                    """
                    \(key): \(violation)
                    replay: swift run --package-path Fuzz fuzz-replay \(target.rawValue) Corpus/Regressions/\(key)
                    """)
            }
        }
    }

    func testParserRegressions() throws { try replayRegressions(.parser) }
    func testFramerRegressions() throws { try replayRegressions(.framer) }
    func testDifferentialRegressions() throws { try replayRegressions(.differential) }
    func testGrammarRegressions() throws { try replayRegressions(.grammar) }
    func testSessionRegressions() throws { try replayRegressions(.session) }
    func testKernelRegressions() throws { try replayRegressions(.kernel) }
    func testServerPipelineRegressions() throws { try replayRegressions(.serverPipeline) }

    /// The server-pipeline check is not in FuzzProperties: judging such an input
    /// there must fail, never pass.
    func testServerPipelineNeedsItsOwnCheck() {
        XCTAssertEqual(FuzzTarget.serverPipeline.violation([0, 0])?.symptom, "checked-elsewhere")
        XCTAssertNil(FuzzTarget.serverPipeline.violation([0, 0], using: ServerPipelineProperties.check))
    }

    /// The seeds are valid inputs too; the parser's, framer's, session's and kernel's are fast enough to replay each run.
    /// A campaign run with SMTP_FUZZ_IGNORE may have merged inputs that hit a known
    /// open bug: those symptoms are tolerated here, as in the campaign.
    func testParserAndFramerSeeds() throws {
        let knownSymptoms = Set(
            Self.knownFailures().keys.map { key -> String in
                let name = String(key.split(separator: "/").last ?? "")
                guard let dash = name.lastIndex(of: "-") else { return name }
                return String(name[..<dash])
            })
        for target in [FuzzTarget.parser, .framer, .session, .kernel] {
            let files = Self.files(in: Self.corpus.appendingPathComponent(target.rawValue))
            for file in files {
                if let violation = target.violation([UInt8](try Data(contentsOf: file))),
                    !knownSymptoms.contains(violation.symptom)
                {
                    XCTFail("Corpus/\(target.rawValue)/\(file.lastPathComponent): \(violation)")
                }
            }
        }
    }
}
