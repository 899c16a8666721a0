import ABNF
import PropertyTesting
import XCTest

/// The engine itself: seeds replay, shrinking reaches the simplest derivation,
/// reports name the rule path, discards are not silent.
final class EngineTests: XCTestCase {
    static let grammarText = """
        sum = term *("+" term) ;@entry
        term = 1*3DIGIT / "(" sum ")"

        """

    func grammar() throws -> Grammar {
        try Grammar.loadChecked([GrammarSource(name: "sum.abnf", text: Self.grammarText)]).0
    }

    func settings(seed: UInt64 = 42, iterations: Int = 500) -> PropertySettings {
        PropertySettings(iterations: iterations, seed: seed)
    }

    func testSameSeedSameCases() throws {
        let gen = try GrammarGenerator(try grammar()).string("sum")
        var first: [[UInt8]] = []
        var second: [[UInt8]] = []
        _ = checkProperty("collect", gen, settings: settings(iterations: 50)) {
            first.append($0.bytes); return .pass
        }
        _ = checkProperty("collect", gen, settings: settings(iterations: 50)) {
            second.append($0.bytes); return .pass
        }
        XCTAssertEqual(first, second)
        XCTAssertGreaterThan(Set(first).count, 10)
    }

    /// "No string contains a 7" fails; the simplest failing derivation is one term "7".
    func testShrinksToTheSimplestDerivation() throws {
        let gen = try GrammarGenerator(try grammar(), unboundedExtra: 3, maxDepth: 6).string("sum")
        let run = checkProperty("no 7", gen, settings: settings()) { text in
            text.bytes.contains(UInt8(ascii: "7")) ? .fail("has a 7", at: text.bytes.firstIndex(of: UInt8(ascii: "7"))) : .pass
        }
        let failure = try XCTUnwrap(run.failure)
        XCTAssertEqual(failure.shrunk.bytes, Array("7".utf8), failure.report)
        XCTAssertEqual(failure.shrunk.rulePath(at: 0), "sum > term > DIGIT")
        XCTAssertTrue(failure.report.contains("rule path: sum > term > DIGIT"), failure.report)
        XCTAssertTrue(failure.report.contains("PROPERTY_SEED=0x2A"), failure.report)
    }

    /// Fewer repetitions and the shortest alternative: "(...)" shrinks to a single digit term.
    func testShrinksRepetitionsAndAlternatives() throws {
        let gen = try GrammarGenerator(try grammar(), unboundedExtra: 3, maxDepth: 6).string("sum")
        let run = checkProperty("short", gen, settings: settings()) { text in
            text.bytes.count > 8 ? .fail("\(text.bytes.count) bytes") : .pass
        }
        let failure = try XCTUnwrap(run.failure)
        // The smallest strings over 8 bytes: 9 bytes, every digit "0". (Which of
        // "(000+000)" and "000+000+0" is simpler is the choice order's call: the
        // first needs fewer decisions.)
        XCTAssertEqual(failure.shrunk.bytes.count, 9, failure.report)
        XCTAssertFalse(failure.shrunk.bytes.contains { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }, failure.report)
        XCTAssertLessThan(failure.shrunkChoices, failure.originalChoices)
    }

    /// Replaying the printed seed reproduces the failure at the same case.
    func testReplayFromTheReportedSeed() throws {
        let gen = Gen.int(in: 0...1000)
        let first = checkProperty("below 990", gen, settings: PropertySettings(iterations: 2000)) {
            $0 < 990 ? .pass : .fail("\($0)")
        }
        let failure = try XCTUnwrap(first.failure)
        XCTAssertEqual(failure.shrunk, 990, failure.report)
        let again = checkProperty("below 990", gen, settings: PropertySettings(iterations: 2000, seed: failure.seed)) {
            $0 < 990 ? .pass : .fail("\($0)")
        }
        XCTAssertEqual(again.failure?.caseIndex, failure.caseIndex)
        XCTAssertEqual(again.failure?.original, failure.original)
    }

    /// Arrays shrink by dropping elements and lowering the rest (`Gen.array`, `Gen.scenario`).
    func testCombinatorsShrink() throws {
        let gen = Gen.int(in: 0...100).array(count: 0...20)
        let run = checkProperty("sum below 150", gen, settings: settings()) {
            $0.reduce(0, +) < 150 ? .pass : .fail("sum \($0.reduce(0, +))")
        }
        let failure = try XCTUnwrap(run.failure)
        XCTAssertEqual(failure.shrunk.reduce(0, +), 150, "\(failure.shrunk)")
        XCTAssertLessThanOrEqual(failure.shrunk.count, 3, "\(failure.shrunk)")

        let steps = Gen<Int>.scenario(
            length: 0...30, from: 0, next: { total in Gen.int(in: 0...(total < 50 ? 9 : 1)) }, update: { $0 + $1 })
        let scenario = checkProperty("no 5 after 20", steps, settings: settings()) { events in
            var total = 0
            for e in events {
                if e == 5 && total >= 20 { return .fail("5 after \(total)") }
                total += e
            }
            return .pass
        }
        let shrunk = try XCTUnwrap(scenario.failure).shrunk
        XCTAssertEqual(shrunk.last, 5, "\(shrunk)")
        XCTAssertEqual(shrunk.dropLast().reduce(0, +), 20, "\(shrunk)")
    }

    /// Near misses shrink through their derivation, then byte by byte.
    func testNearMissesShrinkByDerivationThenBytes() throws {
        let g = try grammar()
        let interpreter = Interpreter(g)
        let gen = try GrammarGenerator(g, unboundedExtra: 3, maxDepth: 6).nearMiss("sum")
        // A deliberately wrong "parser": refuses any string with a "9" even when valid.
        let run = checkProperty("verdicts", gen, settings: settings(iterations: 2000)) { miss in
            let wrong = interpreter.matches("sum", miss.bytes) && !miss.bytes.contains(UInt8(ascii: "9"))
            return wrong == interpreter.matches("sum", miss.bytes) ? .pass : .fail("disagree")
        }
        let failure = try XCTUnwrap(run.failure)
        let final = failure.valueShrunk?.value ?? failure.shrunk
        XCTAssertEqual(final.bytes, Array("9".utf8), failure.report)
    }

    func testDiscardsAreCountedAndLimited() throws {
        let run = checkProperty("mostly discarded", Gen.int(in: 0...9), settings: settings(iterations: 100)) {
            $0 < 8 ? .discard("below 8") : .pass
        }
        XCTAssertGreaterThan(run.discards["below 8", default: 0], 50)
        XCTAssertNotNil(run.tooManyDiscards)
        XCTAssertNil(run.failure)
    }

    func testSettingsFromTheEnvironmentParseSeeds() {
        XCTAssertEqual(PropertySettings.parseSeed("0x2A"), 42)
        XCTAssertEqual(PropertySettings.parseSeed("42"), 42)
        XCTAssertEqual(PropertySettings.parseSeed("0xFFFFFFFFFFFFFFFF"), UInt64.max)
        XCTAssertNil(PropertySettings.parseSeed("seed"))
        XCTAssertEqual(seedText(255), "0xFF")
    }

    func testEscaping() {
        XCTAssertEqual(escaped(Array("A \\\r\n\t".utf8) + [0x00, 0x7F, 0xC3]), "A \\\\\\r\\n\\t\\x00\\x7F\\xC3")
    }
}
