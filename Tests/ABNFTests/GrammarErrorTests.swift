import XCTest

@testable import ABNF

/// Malformed grammars: exact positions, messages and the printed form.
final class GrammarErrorTests: XCTestCase {
    struct Row {
        let text: String
        let line: Int
        let column: Int
        let message: String
        let file: StaticString
        let testLine: UInt
        init(
            _ text: String, _ line: Int, _ column: Int, _ message: String, file: StaticString = #filePath,
            line testLine: UInt = #line
        ) {
            self.text = text
            self.line = line
            self.column = column
            self.message = message
            self.file = file
            self.testLine = testLine
        }
    }

    /// Checks one diagnostic against a row: location, message, source line and caret.
    func check(_ diagnostic: Diagnostic?, _ row: Row, severity: Diagnostic.Severity = .error) {
        let (file, line) = (row.file, row.testLine)
        guard let d = diagnostic else {
            return XCTFail("\(show(bytes(row.text))) was accepted", file: file, line: line)
        }
        XCTAssertEqual(d.severity, severity, file: file, line: line)
        XCTAssertEqual(
            d.location, SourceLocation(file: "test.abnf", line: row.line, column: row.column),
            "\(d.message)", file: file, line: line)
        XCTAssertTrue(
            d.message.contains(row.message), "message: \(d.message)\nexpected to contain: \(row.message)", file: file, line: line)
        // The offending line, without its line break, then a caret under the column.
        // Lines split at LF (bytes: "\r\n" is a single Character); a line ends at its first CR.
        let lines = row.text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0.prefix { $0 != 0x0D }, as: UTF8.self)
        }
        guard row.line >= 1, row.line <= lines.count else {
            return XCTFail("row line \(row.line) out of range", file: file, line: line)
        }
        let source = lines[row.line - 1]
        XCTAssertEqual(d.lineText, source, file: file, line: line)
        let caret = String(source.prefix(row.column - 1).map { $0 == "\t" ? "\t" : " " }) + "^"
        let expected = "test.abnf:\(row.line):\(row.column): \(severity.rawValue): \(d.message)\n\(source)\n\(caret)"
        XCTAssertEqual(d.description, expected, file: file, line: line)
    }

    func testSyntaxErrors() {
        let rows: [Row] = [
            // unterminated strings
            Row("a = \"abc\n", 1, 5, "string is not closed with a double quote on its line"),
            Row("a = \"abc", 1, 5, "string is not closed with a double quote"),
            Row("x = \"y\"\na = \"b\" \"c\n", 2, 9, "string is not closed with a double quote on its line"),
            Row("a = \"tab\there\"", 1, 5, "string is not closed with a double quote on its line"),
            Row("a = \"\u{E9}\"", 1, 5, "string is not closed with a double quote on its line"),
            Row("a = %s\"abc\n", 1, 7, "string is not closed with a double quote on its line"),
            // unclosed groups and options: reported at the opening bracket
            Row("a = (\"b\" / \"c\"\n", 1, 5, #""(" is never closed: expected ")" before the end of the rule"#),
            Row("a = (\"b\"", 1, 5, #""(" is never closed: expected ")" before the end of the rule"#),
            Row("a = [\"b\"\n", 1, 5, #""[" is never closed: expected "]" before the end of the rule"#),
            Row("a = x (\"b\"\n  / \"c\"\nb = \"d\"\n", 1, 7, #""(" is never closed"#),
            Row("a =\t(\t\"b\"", 1, 5, #""(" is never closed"#),
            Row("a = [\"b\")", 1, 9, #"expected "]" to close the "[" at column 5, found ")""#),
            Row("a = (\"b\" \"c\"]", 1, 13, #"expected ")" to close the "(" at column 5, found "]""#),
            Row("a = ()", 1, 6, #"expected an element inside "(", found ")""#),
            Row("a = [ ]", 1, 7, #"expected an element inside "[", found "]""#),
            // stray closing brackets
            Row("a = \"b\" )", 1, 9, #"")" closes nothing"#),
            Row("a = \"b\")", 1, 8, #"")" closes nothing"#),
            Row("a = \"b\"]", 1, 8, #""]" closes nothing"#),
            Row("a = (\"b\"))", 1, 10, #"")" closes nothing"#),
            Row("a = \"x\"\n  / \"y\" )\n", 2, 9, #"")" closes nothing"#),
            // missing "="
            Row("a \"b\"", 1, 3, #"expected "=" or "=/" after the rule name "a", found """"#),
            Row("a\nb = \"c\"", 1, 2, #"expected "=" or "=/" after the rule name "a", found the end of the line"#),
            Row("rule", 1, 5, #"expected "=" or "=/" after the rule name "rule", found the end of the file"#),
            Row("a := \"b\"", 1, 3, #"after the rule name "a", found ":""#),
            Row("a = \n", 1, 5, #"expected the definition of "a" after "=""#),
            Row("a =/ ; nothing\n", 1, 15, #"expected the definition of "a" after "=/""#),
            // values above 255
            Row("a = %x100", 1, 7, "value 256 is above 255"),
            Row("a = %d256", 1, 7, "value 256 is above 255"),
            Row("a = %b100000000", 1, 7, "value 256 is above 255"),
            Row("a = %x41.100", 1, 10, "value 256 is above 255"),
            Row("a = %x41-100", 1, 10, "value 256 is above 255"),
            Row("a = %xFFFFFFFFFFFFFFFFFFFF", 1, 7, "is above 255"),
            // empty ranges, shown as written
            Row("a = %x5A-41", 1, 5, "range %x5A-41 is empty: its start is above its end"),
            Row("a = %d90-65", 1, 5, "range %d90-65 is empty"),
            // a repeat must touch its element
            Row("a = 1* VCHAR", 1, 7, #"expected an element right after the repeat "1*" (no space between them), found " ""#),
            Row("a = 3 \"x\"", 1, 6, #"the repeat "3" (no space"#),
            Row("a = * \"x\"", 1, 6, #"the repeat "*" (no space"#),
            Row("a = 2*3\n", 1, 8, #"the repeat "2*3" (no space between them), found the end of the line"#),
            Row("a = \"x\" 2*3*4\"a\"", 1, 12, #"the repeat "2*3" (no space between them), found "*""#),
            Row("a = 99999999\"x\"", 1, 5, "repeat count is too large"),
            // rules start in column 1
            Row("  a = \"b\"", 1, 3, "expected a rule name at the start of the line"),
            Row("a = \"x\"\n\n  b = \"y\"\n", 3, 3, "expected a rule name at the start of the line"),
            Row("a = \"x\" ; first\n  ; comment\n\n  \"b\"\n", 4, 3, "expected a rule name at the start of the line"),
            // ...otherwise an indented line continues the rule above
            Row("a = \"x\"\n  b = \"y\"\n", 2, 5, #"expected "/", another element or the end of the rule, found "=""#),
            Row("1a = \"x\"", 1, 1, #"expected a rule name, a comment or a blank line, found "1""#),
            Row("a = \"x\"\n=", 2, 1, #"expected a rule name, a comment or a blank line, found "=""#),
            // annotations
            Row("a = \"b\" ;@foo\n", 1, 9, #"unknown annotation ";@foo": expected ";@entry" or ";@capture NAME""#),
            Row("a = \"b\" ;@entry now", 1, 9, #"unknown annotation ";@entry now""#),
            Row("a = \"b\" ;@capture", 1, 9, #"unknown annotation ";@capture""#),
            Row("a = \"b\" ;@capture x y", 1, 9, #"unknown annotation ";@capture x y""#),
            Row("a = \"b\" ;@", 1, 9, #"unknown annotation ";@""#),
            Row("a = \"b\"\n  ;@bogus\n", 2, 3, #"unknown annotation ";@bogus""#),
            Row("a = \"b\" ;@capture 1x", 1, 9, #"capture name "1x" must be letters and digits, starting with a letter"#),
            Row("a = \"b\" ;@capture x-y", 1, 9, #"capture name "x-y" must be letters and digits"#),
            Row(";@entry\na = \"b\"\n", 1, 1, "annotation outside a rule: write it on a line of the rule's definition"),
            Row("a = \"b\"\n\n  ;@entry\n", 3, 3, "annotation outside a rule"),
            // other element errors
            Row("a = \"x\" / / \"y\"", 1, 11, #"expected an element after "/", found "/""#),
            Row("a = \"x\" /\n", 1, 10, #"expected an element after "/", found the end of the line"#),
            Row("a = \"x\" = \"y\"", 1, 9, #"expected "/", another element or the end of the rule, found "=""#),
            Row("a = \"x\"\"y\"", 1, 8, #"expected "/", another element or the end of the rule, found """"#),
            Row(
                "a = #", 1, 5,
                ##"expected an element (a rule name, "string", %x value, (group), [option] or <prose>), found "#""##),
            Row("a = %q41", 1, 6, #"expected b, d, x, s or i after "%", found "q""#),
            Row("a = %\n", 1, 6, #"expected b, d, x, s or i after "%", found the end of the line"#),
            Row("a = %", 1, 6, #"expected b, d, x, s or i after "%""#),
            Row("a = %s'x'", 1, 7, #"expected a double-quoted string after "%s" (RFC 7405)"#),
            Row("a = %i x", 1, 7, #"expected a double-quoted string after "%i" (RFC 7405)"#),
            Row("a = %xZZ", 1, 7, #"expected hexadecimal digits, found "Z""#),
            Row("a = %b2", 1, 7, #"expected binary digits, found "2""#),
            Row("a = %d", 1, 7, "expected decimal digits, found the end of the file"),
            Row("a = %x41.", 1, 10, "expected hexadecimal digits, found the end of the file"),
            Row("a = %x41-", 1, 10, "expected hexadecimal digits"),
            Row("a = <prose", 1, 5, #"prose value is not closed with ">""#),
            Row("a = <prose\n>", 1, 5, #"prose value is not closed with ">" on its line"#),
            Row("a = \"x\"\rb = \"y\"", 1, 8, "carriage return without a line feed"),
            // CRLF files: same positions, the CR is not part of the shown line
            Row("a = \"x\"\r\nb = (\"c\"\r\n", 2, 5, #""(" is never closed"#),
            Row("a = \"x\"\r\nb = (\r\n", 2, 6, #"expected an element inside "(", found the end of the line"#),
            Row("a = \"x\"\r\n\r\n  b = \"y\"\r\n", 3, 3, "expected a rule name at the start of the line"),
        ]
        for row in rows {
            check(syntaxError(row.text), row)
            // Loading reports the same single diagnostic.
            let loaded = loadErrors([GrammarSource(name: "test.abnf", text: row.text)])
            XCTAssertEqual(loaded, syntaxError(row.text).map { [$0] }, file: row.file, line: row.testLine)
        }
    }

    func testMergeErrors() {
        let rows: [Row] = [
            Row("a =/ \"x\"", 1, 1, #""a =/" adds alternatives to a rule that is not defined before it"#),
            Row("b = \"y\"\na =/ \"x\"\na = \"z\"\n", 2, 1, #""a =/" adds alternatives to a rule that is not defined before it"#),
            Row("a = \"x\"\nb = a\na = \"y\"", 3, 1, #""a" is already defined at test.abnf:1:1; use "=/" to add alternatives"#),
            Row("A = \"x\"\na = \"y\"", 2, 1, #""a" is already defined at test.abnf:1:1"#),
            Row("a = \"x\"\r\na = \"y\"\r\n", 2, 1, #""a" is already defined at test.abnf:1:1"#),
            Row("DIGIT = \"x\"", 1, 1, #""DIGIT" redefines the core rule DIGIT of RFC 5234 Appendix B"#),
            Row("x = \"1\"\nalpha =/ \"_\"", 2, 1, #""alpha" redefines the core rule ALPHA of RFC 5234 Appendix B"#),
            Row("x = \"1\"\n\ncrlf = %x0A", 3, 1, #""crlf" redefines the core rule CRLF"#),
        ]
        for row in rows {
            let diagnostics = loadErrors([GrammarSource(name: "test.abnf", text: row.text)])
            XCTAssertEqual(diagnostics?.count, 1, "\(diagnostics ?? [])", file: row.file, line: row.testLine)
            check(diagnostics?.first, row)
            // The file itself is syntactically fine.
            XCTAssertNil(syntaxError(row.text), file: row.file, line: row.testLine)
        }
    }

    func testLoadReportsFirstSyntaxErrorOfEachFileAndEveryMergeError() {
        let sources = [
            GrammarSource(name: "one.abnf", text: "a = \"x\"\nb = (\nc = )\na = \"again\"\n"),
            GrammarSource(name: "two.abnf", text: "x = \"1\"\nx = \"2\"\nSP = \"3\"\ny =/ \"4\"\n"),
            GrammarSource(name: "three.abnf", text: "z = \"fine\"\n"),
        ]
        do {
            _ = try Grammar.load(sources)
            XCTFail("loaded")
        } catch {
            XCTAssertEqual(
                error.diagnostics.map(\.location.description),
                [
                    "one.abnf:2:6", "two.abnf:2:1", "two.abnf:3:1", "two.abnf:4:1",
                ])
            XCTAssertTrue(error.diagnostics.allSatisfy { $0.severity == .error })
            XCTAssertEqual(error.description, error.diagnostics.map(\.description).joined(separator: "\n"))
            XCTAssertTrue(
                error.description.contains(
                    "two.abnf:3:1: error: \"SP\" redefines the core rule SP of RFC 5234 Appendix B\nSP = \"3\"\n^"),
                error.description)
        }
    }

    func testDiagnosticDescriptionFormat() {
        let location = SourceLocation(file: "Grammar/clientid.abnf", line: 4, column: 27)
        let d = Diagnostic(
            .error, at: location, #"expected an element after "/""#, lineText: #"client-id-type-char = ALPHA / / "-""#)
        XCTAssertEqual(
            d.description,
            """
            Grammar/clientid.abnf:4:27: error: expected an element after "/"
            client-id-type-char = ALPHA / / "-"
                                      ^
            """)
        // Tabs in the line are kept in the caret line so it lines up.
        let tabbed = Diagnostic(.warning, at: SourceLocation(file: "f", line: 1, column: 4), "w", lineText: "\ta\tb")
        XCTAssertEqual(tabbed.description, "f:1:4: warning: w\n\ta\tb\n\t \t^")
        // Without a source line (or a column), only the first line is printed.
        XCTAssertEqual(Diagnostic(.error, at: location, "m").description, "Grammar/clientid.abnf:4:27: error: m")
        XCTAssertEqual(Diagnostic(.error, at: .core, "m", lineText: "x").description, "<RFC 5234 Appendix B>:0:0: error: m")
        // A caret past the end of the line (errors at the end of a line).
        XCTAssertEqual(
            Diagnostic(.error, at: SourceLocation(file: "f", line: 1, column: 4), "m", lineText: "ab").description,
            "f:1:4: error: m\nab\n  ^")
    }

    func testSyntaxErrorDescriptionEndToEnd() {
        let text = "ok = \"x\"\nrule = ALPHA / ( DIGIT\nnext = \"y\"\n"
        XCTAssertEqual(
            syntaxError(text, file: "g.abnf")?.description,
            """
            g.abnf:2:16: error: "(" is never closed: expected ")" before the end of the rule
            rule = ALPHA / ( DIGIT
                           ^
            """)
        XCTAssertEqual(
            syntaxError("a = 1* VCHAR\n", file: "g.abnf")?.description,
            """
            g.abnf:1:7: error: expected an element right after the repeat "1*" (no space between them), found " "
            a = 1* VCHAR
                  ^
            """)
    }

    func testSourceLocationOrderingAndDescription() {
        let a = SourceLocation(file: "a", line: 2, column: 9)
        let b = SourceLocation(file: "a", line: 10, column: 1)
        let c = SourceLocation(file: "b", line: 1, column: 1)
        XCTAssertLessThan(a, b)
        XCTAssertLessThan(b, c)
        XCTAssertEqual([c, b, a].sorted(), [a, b, c])
        XCTAssertEqual(a.description, "a:2:9")
    }
}
