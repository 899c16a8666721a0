// The instrumenter on small sources: which mutants it plants, what the
// switched code looks like, what it must leave alone, and that keys survive
// unrelated edits. Run with `swift test --package-path Mutation`.

import MutationCatalog
import XCTest

@testable import MutationInstrumenter

final class InstrumenterTests: XCTestCase {
    func instrument(_ source: String, excluding: Set<String> = []) throws -> InstrumentedFile {
        try Instrumenter.instrument(source, file: "F.swift", firstID: 1, excluding: excluding)
    }

    func summaries(_ file: InstrumentedFile) -> [String] {
        file.mutants.map { "\($0.operator.rawValue): \($0.original) → \($0.mutated)" }
    }

    func testCodeWithoutSitesIsPrintedAsWritten() throws {
        let source = """
            // A comment.
            struct S {
                var name: String   // trailing comment
                func f(_ s: String) -> String { s + "x" }
            }

            """
        let result = try instrument(source)
        XCTAssertEqual(result.mutants, [])
        XCTAssertEqual(result.text, source)
    }

    func testRelationalBoundaryAndConditions() throws {
        let result = try instrument(
            """
            func f(_ i: Int, _ n: Int) -> Bool {
                if i < n { return true }
                return false
            }
            """)
        XCTAssertEqual(
            summaries(result),
            ["boundary: i < n → i <= n", "negate: i < n → !(i < n)", "true: i < n → true", "false: i < n → false"])
        XCTAssertTrue(result.text.contains("if __mutCond(2, 3, 4, __mutLT(1, i, n)) { return true }"), result.text)
    }

    func testALiteralConditionGetsNoMutantThatLeavesItAsItIs() throws {
        let result = try instrument("func f() { while true { break } }")
        XCTAssertEqual(summaries(result), ["negate: true → !(true)", "false: true → false"])
        XCTAssertTrue(result.text.contains("__mutCond(1, 0, 2, true)"), result.text)
    }

    func testLogicalConnectorKeepsTheRightOperandLazy() throws {
        let result = try instrument("func f(_ a: Bool, _ b: Bool) -> Bool { a && b }")
        XCTAssertEqual(summaries(result), ["and-or: a && b → a || b"])
        XCTAssertTrue(result.text.contains("__mutAnd(1, a, b)"), result.text)
        // `try` on the right would need the call marked: left alone.
        let withTry = try instrument("func f(_ a: Bool, _ g: () throws -> Bool) rethrows -> Bool { a || (try g()) }")
        XCTAssertEqual(summaries(withTry), [])
    }

    func testIntegerConstantsKeepTheirNotation() throws {
        let result = try instrument("let a = 0x0E0E_0E0E\nlet b = 0\nlet c = 0xFF\nlet d = -1\nlet e = 0x3ff")
        XCTAssertEqual(
            summaries(result),
            [
                "constant: 0x0E0E_0E0E → 0x0E0E0E0F", "constant: 0x0E0E_0E0E → 0x0E0E0E0D",
                // 0 - 1 might not fit an unsigned type; 0xFF + 1 might not fit UInt8.
                "constant: 0 → 1", "constant: 0xFF → 0xFE",
                "constant: -1 → 0", "constant: -1 → -2",
                "constant: 0x3ff → 0x400", "constant: 0x3ff → 0x3fe",
            ])
        XCTAssertTrue(result.text.contains("let a = __mutValue2(1, 0x0E0E_0E0E, 0x0E0E0E0F, 0x0E0E0E0D)"), result.text)
        XCTAssertTrue(result.text.contains("let d = __mutValue2(5, -1, 0, -2)"), result.text)
    }

    func testByteLiteralsInComparisonsAreSwapped() throws {
        let result = try instrument(
            """
            func f(_ b: UInt8) -> Int {
                if b == 0x0D { return 1 }
                switch b {
                case UInt8(ascii: "<"): return 2
                default: return b &+ 0x20 == 0 ? 3 : 4
                }
            }
            """)
        let swaps = result.mutants.filter { $0.operator == .swapByte }.map { "\($0.original) → \($0.mutated)" }
        // CR ↔ LF in a comparison, "<" ↔ ">" in a case pattern; 0x20 is added, not compared.
        XCTAssertEqual(swaps, ["0x0D → 0x0A", "UInt8(ascii: \"<\") → UInt8(ascii: \">\")"])
        XCTAssertTrue(result.text.contains("__mutValue3(1, 0x0D, 0x0E, 0x0C, 0x0A)"), result.text)
    }

    func testStatementDeletion() throws {
        let result = try instrument(
            """
            struct P {
                var count = 0
                init(count: Int) { self.count = count }
                mutating func f(_ x: Int) throws -> Int {
                    let kind: Int
                    if x > 0 { kind = 1 } else { kind = 2 }
                    count += kind
                    guard x != 3 else { throw E.bad }
                    if x == 4 { throw E.bad }
                    return kind
                }
                func g(_ h: (Int) throws -> Void) rethrows {
                    if count > 9 { return try h(SMTPSyntaxError()) }
                    return try h(0)
                }
            }
            """)
        let deleted = result.mutants.filter { $0.operator == .deleteStatement }.map(\.original)
        // Not: the init's assignment, `kind` (declared without a value), the guard's throw
        // (a guard must leave), `return kind` (not an error), the last `return` of g.
        XCTAssertEqual(deleted, ["count += kind", "throw E.bad", "return try h(SMTPSyntaxError())"])
        XCTAssertTrue(result.text.contains("if __mutKeep("), result.text)
    }

    func testLinesStayWhereTheyWere() throws {
        let source = """
            func f(_ a: Int,
                   _ b: Int) -> Bool {
                return a < b   // compare
                    && b
                    > 3
            }
            """
        let result = try instrument(source)
        XCTAssertEqual(
            result.text.split(separator: "\n", omittingEmptySubsequences: false).count,
            source.split(separator: "\n", omittingEmptySubsequences: false).count)
        for m in result.mutants where m.original.hasPrefix("b > 3") { XCTAssertEqual(m.line, 4) }
    }

    func testCodeThatMustStayConstantIsLeftAlone() throws {
        let result = try instrument(
            """
            enum K: Int { case a = 1, b = 2 }
            struct T {
                var tags: InlineArray<16, Int32>
                @available(macOS 15, *) func f() -> String { "\\(1 + 2)" }
            }
            """)
        XCTAssertEqual(summaries(result), [])
    }

    func testTuplesAreNotComparedThroughTheGenericHelper() throws {
        let result = try instrument("func f(_ a: Int, _ b: Int) -> Bool { (a, b) < (b, a) }")
        XCTAssertEqual(summaries(result), [])
    }

    func testKeysSurviveUnrelatedEditsAndExclusionsApply() throws {
        let body = "func g(_ i: Int) -> Bool { i >= 8 }\n"
        let before = try instrument(body)
        let after = try instrument("func added() {}\n\n// More text.\n" + body)
        XCTAssertEqual(before.mutants.map(\.key), after.mutants.map(\.key))
        XCTAssertNotEqual(before.mutants.map(\.line), after.mutants.map(\.line))
        XCTAssertTrue(before.mutants.allSatisfy { $0.key.hasPrefix("F.swift:") })

        let dropped = before.mutants[0].key
        let without = try instrument(body, excluding: [dropped])
        XCTAssertFalse(without.mutants.contains { $0.key == dropped })
        XCTAssertEqual(without.mutants.count, before.mutants.count - 1)
        // Ids stay consecutive from firstID: the runtime selector indexes by them.
        XCTAssertEqual(without.mutants.map(\.id), Array(1...without.mutants.count))
    }

    func testGeneratedFilesAreRecognised() {
        XCTAssertTrue(Instrumenter.isGenerated("// DO NOT EDIT. Generated by `abnfc generate`\nlet x = 1\n"))
        XCTAssertFalse(Instrumenter.isGenerated("// Hand-written.\nlet x = 1\n"))
    }

    func testRuntimeDeclaresEveryHelperTheRewriteUses() throws {
        let result = try instrument(
            """
            func f(_ b: UInt8, _ n: Int, _ ok: Bool) throws -> Bool {
                var x = 0
                x = n
                if b == 0x0A || n <= 3 && n > 1 && n >= 2 { throw E.e }
                return ok
            }
            """)
        let runtime = MutantRuntime.source(firstID: 1, mutantCount: result.mutants.count)
        for helper in [
            "__mutLE", "__mutGT", "__mutGE", "__mutAnd", "__mutOr", "__mutCond", "__mutKeep", "__mutValue1", "__mutValue2",
            "__mutValue3",
        ] {
            XCTAssertTrue(runtime.contains("func \(helper)"), helper)
        }
        for used in ["__mutLE(", "__mutGT(", "__mutGE(", "__mutAnd(", "__mutOr(", "__mutKeep("] {
            XCTAssertTrue(result.text.contains(used), "\(used) in \(result.text)")
        }
        XCTAssertTrue(runtime.contains("let __mutantFirst = 1"))
        XCTAssertTrue(runtime.contains("let __mutantCount = \(result.mutants.count)"))
    }
}
