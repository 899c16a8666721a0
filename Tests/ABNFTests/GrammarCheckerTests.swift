import XCTest

@testable import ABNF

final class GrammarCheckerTests: XCTestCase {
    /// Expected diagnostic: severity, line, column and a message fragment.
    struct Expect: CustomStringConvertible {
        let severity: Diagnostic.Severity
        let line: Int
        let column: Int
        let message: String
        init(_ severity: Diagnostic.Severity, _ line: Int, _ column: Int, _ message: String) {
            self.severity = severity
            self.line = line
            self.column = column
            self.message = message
        }
        var description: String { "\(severity) \(line):\(column) \(message)" }
    }

    struct Row {
        let text: String
        let expected: [Expect]
        let file: StaticString
        let line: UInt
        init(_ text: String, _ expected: [Expect], file: StaticString = #filePath, line: UInt = #line) {
            self.text = text
            self.expected = expected
            self.file = file
            self.line = line
        }
    }

    func testDiagnostics() throws {
        let rows: [Row] = [
            Row("a = \"x\" ;@entry\n", []),
            // undefined rules: reported where they are referenced
            Row("a = b \"x\" ;@entry\n", [Expect(.error, 1, 5, #"rule "b" is not defined (used in "a")"#)]),
            Row(
                "a = \"x\"\n   / \"y\" Undefined-Thing ;@entry\n",
                [Expect(.error, 2, 10, #"rule "Undefined-Thing" is not defined (used in "a")"#)]),
            Row(
                "a = b c ;@entry\nd = [e] ;@entry\n",
                [
                    Expect(.error, 1, 5, #"rule "b" is not defined"#),
                    Expect(.error, 1, 7, #"rule "c" is not defined"#),
                    Expect(.error, 2, 6, #"rule "e" is not defined (used in "d")"#),
                ]),
            // unused rules: warnings, unless marked ;@entry or referenced
            Row(
                "a = \"x\" ;@entry\nb = \"y\"\n",
                [Expect(.warning, 2, 1, #"rule "b" is never used: reference it or mark it ";@entry""#)]),
            Row(
                "a = \"x\"\nb = \"y\"\n",
                [
                    Expect(.warning, 1, 1, #"rule "a" is never used"#),
                    Expect(.warning, 2, 1, #"rule "b" is never used"#),
                ]),
            Row("a = B ;@entry\nb = \"y\"\n", []),
            Row("a = \"x\" ;@entry\nb = \"(\" [b] \")\"\n", [Expect(.warning, 2, 1, #"rule "b" is never used"#)]),
            Row("a = ALPHA DIGIT ;@entry\n", []),
            // left recursion, direct and indirect
            Row(
                "a = a \"x\" / \"y\" ;@entry\n",
                [Expect(.error, 1, 1, #"left recursion: a → a can call itself without consuming input"#)]),
            Row(
                "a = b \"x\" ;@entry\nb = [c] a\nc = \"y\"\n", [Expect(.error, 1, 1, "left recursion: a → b → a can call itself")]
            ),
            Row("a = n a \"x\" / \"z\" ;@entry\nn = *\"y\"\n", [Expect(.error, 1, 1, "left recursion: a → a")]),
            Row("a = <a> \"x\" / \"z\" ;@entry\n", [Expect(.error, 1, 1, "left recursion: a → a")]),
            Row("a = *(b) ;@entry\nb = \"x\" / a\n", [Expect(.error, 1, 1, "left recursion: a → b → a")]),
            Row("a = b ;@entry\nb = c\nc = \"x\" / A\n", [Expect(.error, 1, 1, "left recursion: a → b → c → a")]),
            // recursion after consuming input is fine
            Row("a = \"(\" [a] \")\" ;@entry\n", []),
            Row("list = item [\",\" list] ;@entry\nitem = 1*DIGIT\n", []),
            Row("a = \"x\" a / \"y\" ;@entry\n", []),
            Row("a = c a ;@entry\nc = \"y\"\n", []),
            Row(
                "a = 0*0b a / \"z\" ;@entry\nb = \"y\"\n",
                [
                    Expect(.error, 1, 1, "left recursion: a → a"),
                    Expect(.warning, 1, 1, #"repeat 0 in "a" only matches the empty string"#),
                ]),
            // impossible and empty-only repeats
            Row("a = 3*2\"x\" ;@entry\n", [Expect(.error, 1, 1, #"impossible repeat 3*2 in "a": at least 3 but at most 2"#)]),
            Row("a = \"y\"\n  / 5*1DIGIT ;@entry\n", [Expect(.error, 1, 1, "impossible repeat 5*1 in \"a\"")]),
            Row("a = *0\"x\" ;@entry\n", [Expect(.warning, 1, 1, #"repeat 0 in "a" only matches the empty string"#)]),
            Row("a = 2*2\"x\" 1*\"y\" *1\"z\" ;@entry\n", []),
            // prose: bound to a rule of the same name, or an error at the prose
            Row("a = <b> ;@entry\nb = \"x\"\n", []),
            Row("a = <B> ;@entry\nb = \"x\"\n", []),
            Row("a = <DIGIT> ;@entry\n", []),
            Row(
                "a = \"x\" <some text> ;@entry\n",
                [
                    Expect(
                        .error, 1, 9,
                        "prose value <some text> is not bound to any rule: define a rule named \"some text\" or write it as grammar"
                    )
                ]),
            Row(
                "a = \"x\" ;@entry\nb = <c>\n",
                [
                    Expect(.warning, 2, 1, #"rule "b" is never used"#),
                    Expect(.error, 2, 5, "prose value <c> is not bound to any rule"),
                ]),
        ]
        for row in rows {
            do {
                let grammar = try load(row.text)
                let found = GrammarChecker.check(grammar)
                XCTAssertEqual(
                    found.count, row.expected.count, "\(found.map(\.description).joined(separator: "\n"))", file: row.file,
                    line: row.line)
                // Compare as sets ordered like the checker's output (by location, then message).
                for (d, e) in zip(found, row.expected.sorted { ($0.line, $0.column) < ($1.line, $1.column) }) {
                    XCTAssertEqual(d.severity, e.severity, "\(d)", file: row.file, line: row.line)
                    XCTAssertEqual(
                        d.location, SourceLocation(file: "test.abnf", line: e.line, column: e.column), "\(d)", file: row.file,
                        line: row.line)
                    XCTAssertTrue(
                        d.message.contains(e.message), "\(d.message)\n  does not contain \(e.message)", file: row.file,
                        line: row.line)
                    // Each diagnostic shows its source line.
                    XCTAssertEqual(d.lineText, grammar.sourceLine(d.location), file: row.file, line: row.line)
                    XCTAssertNotNil(d.lineText, file: row.file, line: row.line)
                }
            } catch {
                XCTFail("did not load: \(error)", file: row.file, line: row.line)
            }
        }
    }

    func testDiagnosticsAreSortedByLocation() throws {
        let grammar = try load("z = q ;@entry\ny = \"1\"\nx = r\n")
        let found = GrammarChecker.check(grammar)
        XCTAssertEqual(found.map(\.location), found.map(\.location).sorted())
        XCTAssertEqual(found.map { "\($0.location.line):\($0.location.column)" }, ["1:5", "2:1", "3:1", "3:5"])
    }

    func testCheckerDescriptionShowsTheReference() throws {
        let grammar = try load("a = \"x\"\r\n  / nope ;@entry\r\n")
        let found = GrammarChecker.check(grammar)
        XCTAssertEqual(
            found.map(\.description),
            [
                """
                test.abnf:2:5: error: rule "nope" is not defined (used in "a")
                  / nope ;@entry
                    ^
                """
            ])
    }

    func testLoadChecked() throws {
        let (grammar, warnings) = try Grammar.loadChecked([
            GrammarSource(name: "test.abnf", text: "a = \"x\" ;@entry\nb = \"y\"\n")
        ])
        XCTAssertNotNil(grammar["b"])
        XCTAssertEqual(warnings.map(\.location.line), [2])
        XCTAssertEqual(warnings.map(\.severity), [.warning])
        do {
            _ = try Grammar.loadChecked([GrammarSource(name: "test.abnf", text: "a = a \"x\" / nope ;@entry\nb = \"y\"\n")])
            XCTFail("accepted")
        } catch {
            // Only errors are thrown; the warning about "b" is dropped.
            XCTAssertEqual(error.diagnostics.map(\.severity), [.error, .error])
            XCTAssertEqual(error.diagnostics.map(\.location.column), [1, 13])
        }
        // Syntax errors come through loadChecked unchanged.
        XCTAssertThrowsError(try Grammar.loadChecked([GrammarSource(name: "t", text: "a = (")]))
    }

    func testRecursiveRules() throws {
        let grammar = try load(
            """
            a = "(" [a] ")"
            b = "[" c
            c = "x" [b]
            d = "y" e
            e = DIGIT
            Expr = "(" [EXPR] ")"
            f = <f> / "z"

            """)
        XCTAssertEqual(GrammarChecker.recursiveRules(grammar), ["a", "b", "c", "expr", "f"])
        XCTAssertEqual(GrammarChecker.recursiveRules(Grammar()), [])
    }

    func testNullableRules() throws {
        let grammar = try load(
            """
            a = *"x"
            b = a a
            c = ["x"] "y"
            d = ""
            e = <d>
            f = a / "x"
            g = 0*0"x"
            h = 2*3(a)
            i = 1*"x"
            j = %x00-FF
            k = "x" / (a "y")

            """)
        let nullable = GrammarChecker.nullableRules(grammar)
        XCTAssertEqual(nullable, ["a", "b", "d", "e", "f", "g", "h", "lwsp"])
        // Of the core rules, only LWSP matches the empty string.
        XCTAssertEqual(GrammarChecker.nullableRules(Grammar()), ["lwsp"])
    }

    func testLeftRecursiveCyclesAreReportedOnce() throws {
        let grammar = try load("a = b \"x\" / \"q\" ;@entry\nb = c\nc = a / \"y\"\n")
        let cycles = GrammarChecker.leftRecursiveCycles(grammar)
        XCTAssertEqual(cycles, [["a", "b", "c"]])
    }

    func testWalkVisitsEveryElement() throws {
        let grammar = try load("r = \"a\" / (1*2b [<c>] %x41-42)\n")
        var seen: [String] = []
        GrammarChecker.walk(grammar["r"]!.element) { seen.append(render($0)) }
        XCTAssertEqual(seen.count, 8)  // alt, "a", cat, rep, b, rep, <c>, range
        XCTAssertEqual(seen.first, render(grammar["r"]!.element))
        XCTAssertTrue(seen.contains("b"))
        XCTAssertTrue(seen.contains("<c>"))
        XCTAssertTrue(seen.contains("%x41-42"))
    }
}
