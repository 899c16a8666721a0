import XCTest

@testable import ABNF

/// Valid grammar text: what the parser builds from it.
final class GrammarParserTests: XCTestCase {
    struct Row {
        let text: String
        let expected: String
        let file: StaticString
        let line: UInt
        init(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            self.text = text
            self.expected = expected
            self.file = file
            self.line = line
        }
    }

    /// Each row defines rule `r`; `expected` is `render` of its element.
    func testElements() {
        let rows: [Row] = [
            // char-val: case-insensitive (RFC 5234 §2.3), RFC 7405 %s / %i
            Row(#"r = "abc""#, #""abc""#),
            Row(#"r = "a b!#~""#, #""a b!#~""#),
            Row(#"r = """#, #""""#),
            Row(#"r = %s"MAIL""#, #"%s"MAIL""#),
            Row(#"r = %S"Mail""#, #"%s"Mail""#),
            Row(#"r = %i"mail""#, #""mail""#),
            Row(#"r = %I"MAIL""#, #""MAIL""#),
            // num-val: ranges, single values, concatenated sequences
            Row("r = %x41-5A", "%x41-5A"),
            Row("r = %x41", "%x41"),
            Row("r = %x0", "%x00"),
            Row("r = %xff", "%xFF"),
            Row("r = %X0d.0A", "%x0D.0A"),
            Row("r = %x0D.0A", "%x0D.0A"),
            Row("r = %x61.62", #"%s"ab""#),
            Row("r = %d65-90", "%x41-5A"),
            Row("r = %d13.10", "%x0D.0A"),
            Row("r = %d0", "%x00"),
            Row("r = %d255", "%xFF"),
            Row("r = %b01000001", "%x41"),
            Row("r = %b1000001-1011010", "%x41-5A"),
            Row("r = %b1101.1010", "%x0D.0A"),
            Row("r = %x00-FF", "%x00-FF"),
            Row("r = %x41-41", "%x41"),
            // repetitions (§3.6, §3.7), groups (§3.5), options (§3.8)
            Row(#"r = 2*3"a""#, #"rep(2*3, "a")"#),
            Row(#"r = *3"a""#, #"rep(*3, "a")"#),
            Row(#"r = 1*"a""#, #"rep(1*, "a")"#),
            Row(#"r = *"a""#, #"rep(*, "a")"#),
            Row(#"r = 3"a""#, #"rep(3, "a")"#),
            Row(#"r = 0*0"a""#, #"rep(0, "a")"#),
            Row(#"r = 3*2"a""#, #"rep(3*2, "a")"#),  // impossible, but the checker reports it
            Row(#"r = 12*345DIGIT"#, #"rep(12*345, DIGIT)"#),
            Row(#"r = ["a"]"#, #"rep(*1, "a")"#),
            Row(#"r = [ "a" "b" ]"#, #"rep(*1, cat("a", "b"))"#),
            Row(#"r = ["a" ["b"]]"#, #"rep(*1, cat("a", rep(*1, "b")))"#),
            Row(#"r = ( "a" )"#, #""a""#),
            Row(#"r = (("a"))"#, #""a""#),
            Row(#"r = ("a" / "b") "c""#, #"cat(alt("a", "b"), "c")"#),
            Row(#"r = "a" / "b" "c""#, #"alt("a", cat("b", "c"))"#),
            Row(#"r = "a" "b" "c""#, #"cat("a", "b", "c")"#),
            Row(#"r = "a"/"b"/"c""#, #"alt("a", "b", "c")"#),
            Row(#"r = *( ALPHA / DIGIT / "-" ) Let-dig"#, #"cat(rep(*, alt(ALPHA, DIGIT, "-")), Let-dig)"#),
            Row(#"r = 1*16(ALPHA / DIGIT / "-")"#, #"rep(1*16, alt(ALPHA, DIGIT, "-"))"#),
            Row(#"r = *(*"a")"#, #"rep(*, rep(*, "a"))"#),
            Row(#"r = 2*3(*"a" ["b"])"#, #"rep(2*3, cat(rep(*, "a"), rep(*1, "b")))"#),
            // rule names and prose (§4)
            Row("r = a-b / B1 / x-1-", "alt(a-b, B1, x-1-)"),
            Row("r = <prose text, with = and />", "<prose text, with = and />"),
            Row("r = <>", "<>"),
            Row(#"r = "x" <y> "z""#, #"cat("x", <y>, "z")"#),
            // spacing, comments, continuation lines
            Row(#"r="a""#, #""a""#),
            Row("r\t=\t\"a\"\t/\t\"b\"", #"alt("a", "b")"#),
            Row("r = \"a\" ; a comment / \"b\"", #""a""#),
            Row("r = \"a\"\n     / \"b\"\n", #"alt("a", "b")"#),
            Row("r = \"a\"\n\t\"b\"\n", #"cat("a", "b")"#),
            Row("r =\n  \"a\"\n", #""a""#),
            Row("r\n  = \"a\"\n", #""a""#),
            Row("r = (\n    \"a\" /\n    \"b\"\n  )\n", #"alt("a", "b")"#),
            Row("r = \"a\" ; first\n  ; only a comment here\n  \"b\" ; second\n", #"cat("a", "b")"#),
            Row("r = \"a\"\n   \n  / \"b\"", #"alt("a", "b")"#),
            // CRLF line endings
            Row("r = \"a\"\r\n  / \"b\"\r\n", #"alt("a", "b")"#),
            Row("r = \"a\" ; comment\r\n  \"b\"\r\n\r\n", #"cat("a", "b")"#),
        ]
        for row in rows {
            do {
                let definitions = try GrammarParser.parse(row.text, file: "t.abnf")
                XCTAssertEqual(definitions.count, 1, "\(show(bytes(row.text)))", file: row.file, line: row.line)
                guard let first = definitions.first else { continue }
                XCTAssertEqual(first.name, "r", file: row.file, line: row.line)
                XCTAssertEqual(render(first.element), row.expected, "\(show(bytes(row.text)))", file: row.file, line: row.line)
            } catch {
                XCTFail("\(show(bytes(row.text))) did not parse:\n\(error)", file: row.file, line: row.line)
            }
        }
    }

    func testCaseSensitivityOfStringForms() throws {
        func sensitivity(_ text: String) throws -> Bool? {
            let definitions = try GrammarParser.parse("r = " + text, file: "t")
            if case .literal(_, let sensitive) = definitions[0].element { return sensitive }
            return nil
        }
        XCTAssertEqual(try sensitivity(#""Ab""#), false)
        XCTAssertEqual(try sensitivity(#"%i"Ab""#), false)
        XCTAssertEqual(try sensitivity(#"%s"Ab""#), true)
        XCTAssertEqual(try sensitivity("%x41.62"), true)
        // A single %x value is a range, which has no case to fold.
        let single = try GrammarParser.parse("r = %x41", file: "t")[0].element
        XCTAssertEqual(single, .range(0x41, 0x41))
    }

    func testRuleListStructureAndLocations() throws {
        let text = """
            ; a leading comment

            first = "a" second ; trailing comment
            second =/ %x30-39
                    / "b"
               ; an indented comment line after the rule
            Third-Rule = <prose>

            """
        let definitions = try GrammarParser.parse(text, file: "g.abnf")
        XCTAssertEqual(definitions.map(\.name), ["first", "second", "Third-Rule"])
        XCTAssertEqual(definitions.map(\.isIncremental), [false, true, false])
        XCTAssertEqual(
            definitions.map(\.location),
            [
                SourceLocation(file: "g.abnf", line: 3, column: 1),
                SourceLocation(file: "g.abnf", line: 4, column: 1),
                SourceLocation(file: "g.abnf", line: 7, column: 1),
            ])
        XCTAssertEqual(render(definitions[1].element), #"alt(%x30-39, "b")"#)
        // Rule references and prose carry where they were written.
        guard case .concatenation(let items) = definitions[0].element, case .rule(let ref) = items[1] else {
            return XCTFail("unexpected \(render(definitions[0].element))")
        }
        XCTAssertEqual(ref.location, SourceLocation(file: "g.abnf", line: 3, column: 13))
        XCTAssertEqual(ref.key, "second")
        guard case .prose(let text2, let proseLocation) = definitions[2].element else {
            return XCTFail("unexpected \(render(definitions[2].element))")
        }
        XCTAssertEqual(text2, "prose")
        XCTAssertEqual(proseLocation, SourceLocation(file: "g.abnf", line: 7, column: 14))
    }

    func testEmptyAndCommentOnlyFiles() throws {
        XCTAssertEqual(try GrammarParser.parse("", file: "t").count, 0)
        XCTAssertEqual(try GrammarParser.parse("; nothing\n\n   ; more nothing\n  \n", file: "t").count, 0)
        XCTAssertEqual(try GrammarParser.parse("a = \"x\"", file: "t").count, 1, "no final newline")
    }

    func testCRLFLineEndingsAndLocations() throws {
        let text = "a = \"x\"\r\n; comment\r\n\r\nb = a\r\n  / \"y\" ;@entry\r\nc = %x0D.0A\r\n"
        let definitions = try GrammarParser.parse(text, file: "crlf")
        XCTAssertEqual(definitions.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(definitions.map(\.location.line), [1, 4, 6])
        XCTAssertEqual(definitions.map(\.location.column), [1, 1, 1])
        XCTAssertEqual(render(definitions[1].element), #"alt(a, "y")"#)
        XCTAssertEqual(definitions[1].annotations.map(\.0), [.entry])
        XCTAssertEqual(definitions[1].annotations.map(\.1), [SourceLocation(file: "crlf", line: 5, column: 9)])
        XCTAssertEqual(render(definitions[2].element), "%x0D.0A")
        // Source lines recorded for diagnostics drop the CR.
        let grammar = try load(text, file: "crlf")
        XCTAssertEqual(grammar.sourceLine(SourceLocation(file: "crlf", line: 5, column: 1)), #"  / "y" ;@entry"#)
    }

    // MARK: Annotations

    struct AnnotationRow {
        let text: String
        let expected: [Annotation]
        let file: StaticString
        let line: UInt
        init(_ text: String, _ expected: [Annotation], file: StaticString = #filePath, line: UInt = #line) {
            self.text = text
            self.expected = expected
            self.file = file
            self.line = line
        }
    }

    func testAnnotationsAttachToTheRule() throws {
        let rows: [AnnotationRow] = [
            AnnotationRow(#"r = "x""#, []),
            AnnotationRow(#"r = "x" ; just a comment"#, []),
            AnnotationRow(#"r = "x" ; mentions ;@entry later"#, []),
            AnnotationRow(#"r = "x" ;@entry"#, [.entry]),
            AnnotationRow("r = \"x\" ;@entry\r\n", [.entry]),
            AnnotationRow("r = \"x\"\t;@entry   ", [.entry]),
            AnnotationRow(#"r = "x" ;@capture Host"#, [.capture("Host")]),
            AnnotationRow("r = \"x\" ;@capture\tH2o ", [.capture("H2o")]),
            AnnotationRow("r = \"x\"\n  ;@capture Host\n  \"y\"\n", [.capture("Host")]),
            AnnotationRow("r = \"x\" ;@entry\n  / \"y\" ;@capture Name\n", [.entry, .capture("Name")]),
            AnnotationRow("r = ;@capture Name\n  \"x\" ;@entry\n", [.capture("Name"), .entry]),
            AnnotationRow("r = \"x\"\n  ;@entry\n", [.entry]),
            AnnotationRow("r ;@entry\n  = \"x\"\n", [.entry]),
        ]
        for row in rows {
            do {
                let definitions = try GrammarParser.parse(row.text, file: "t")
                XCTAssertEqual(definitions.count, 1, file: row.file, line: row.line)
                XCTAssertEqual(definitions.first?.annotations.map(\.0), row.expected, file: row.file, line: row.line)
                // Loading keeps the annotations on the rule.
                let rule = try load(row.text)["r"]
                XCTAssertEqual(rule?.annotations, row.expected, file: row.file, line: row.line)
                XCTAssertEqual(rule?.isEntry, row.expected.contains(.entry), file: row.file, line: row.line)
                let capture = row.expected.compactMap { note -> String? in
                    if case .capture(let name) = note { return name }
                    return nil
                }.first
                XCTAssertEqual(rule?.captureName, capture, file: row.file, line: row.line)
            } catch {
                XCTFail("\(show(bytes(row.text))):\n\(error)", file: row.file, line: row.line)
            }
        }
    }

    func testAnnotationsStayWithTheirOwnRule() throws {
        let text = """
            a = "x" ;@entry
            b = "y"
            c = "z" ;@capture Zed
            d = "w"
              ;@entry

            """
        let grammar = try load(text)
        XCTAssertEqual(grammar["a"]?.annotations, [.entry])
        XCTAssertEqual(grammar["b"]?.annotations, [])
        XCTAssertEqual(grammar["c"]?.annotations, [.capture("Zed")])
        XCTAssertEqual(grammar["d"]?.annotations, [.entry])
        let definitions = try GrammarParser.parse(text, file: "t")
        XCTAssertEqual(definitions[2].annotations.map(\.1), [SourceLocation(file: "t", line: 3, column: 9)])
        XCTAssertEqual(definitions[3].annotations.map(\.1), [SourceLocation(file: "t", line: 5, column: 3)])
    }

    // MARK: Grammar.load

    func testIncrementalAlternativesAreMerged() throws {
        let text = """
            a = "x" / "y" ;@entry
            b = a
            a =/ "z"
            A =/ ("p" / "q") ;@capture Pq
            a =/ "r" "s" ;@entry

            """
        let grammar = try load(text)
        let a = try XCTUnwrap(grammar["a"])
        XCTAssertEqual(render(a.element), #"alt("x", "y", "z", "p", "q", cat("r", "s"))"#)
        XCTAssertEqual(a.name, "a", "the first definition names the rule")
        XCTAssertEqual(a.location, SourceLocation(file: "test.abnf", line: 1, column: 1))
        XCTAssertEqual(a.annotations, [.entry, .capture("Pq")], "annotations merged without duplicates")
        XCTAssertFalse(a.isCore)
        // Core rules come first, then the file's rules in definition order.
        XCTAssertEqual(Array(grammar.ruleNames.suffix(2)), ["a", "b"])
        XCTAssertEqual(grammar.rules.filter(\.isCore).count, 16)
    }

    func testIncrementOfASingleElementRule() throws {
        let grammar = try load("a = \"x\"\na =/ \"y\" / \"z\"\n")
        XCTAssertEqual(rendered(grammar, "a"), #"alt("x", "y", "z")"#)
    }

    func testIncrementsAcrossFiles() throws {
        let grammar = try Grammar.load([
            GrammarSource(name: "one.abnf", text: "greeting = \"HELO\"\n"),
            GrammarSource(name: "two.abnf", text: "Greeting =/ \"EHLO\"\nother = greeting\n"),
        ])
        XCTAssertEqual(rendered(grammar, "GREETING"), #"alt("HELO", "EHLO")"#)
        XCTAssertEqual(grammar["greeting"]?.location.file, "one.abnf")
        XCTAssertEqual(grammar["other"]?.location, SourceLocation(file: "two.abnf", line: 2, column: 1))
        XCTAssertEqual(grammar.sourceLine(SourceLocation(file: "two.abnf", line: 1, column: 1)), "Greeting =/ \"EHLO\"")
        XCTAssertNil(grammar.sourceLine(SourceLocation(file: "two.abnf", line: 9, column: 1)))
        XCTAssertNil(grammar.sourceLine(SourceLocation(file: "nope", line: 1, column: 1)))
    }

    func testRuleNamesAreCaseInsensitive() throws {
        let grammar = try load("Ldh-Str = ALPHA\n")
        XCTAssertNotNil(grammar["ldh-str"])
        XCTAssertNotNil(grammar["LDH-STR"])
        XCTAssertEqual(grammar["ldh-str"]?.name, "Ldh-Str")
        XCTAssertEqual(grammar["ldh-str"]?.key, "ldh-str")
        XCTAssertEqual(grammar.index(of: "LDH-str"), grammar.rules.count - 1)
        XCTAssertNil(grammar["ldh"])
    }

    func testCoreRulesAreBuiltIn() {
        let grammar = Grammar()
        XCTAssertEqual(
            grammar.ruleNames,
            [
                "ALPHA", "BIT", "CHAR", "CR", "CRLF", "CTL", "DIGIT", "DQUOTE",
                "HEXDIG", "HTAB", "LF", "LWSP", "OCTET", "SP", "VCHAR", "WSP",
            ])
        XCTAssertTrue(grammar.rules.allSatisfy { $0.isCore && $0.location == .core && $0.annotations.isEmpty })
        XCTAssertEqual(rendered(grammar, "ALPHA"), "alt(%x41-5A, %x61-7A)")
        XCTAssertEqual(rendered(grammar, "HEXDIG"), #"alt(DIGIT, "A", "B", "C", "D", "E", "F")"#)
        XCTAssertEqual(rendered(grammar, "LWSP"), "rep(*, alt(WSP, cat(CRLF, WSP)))")
        XCTAssertEqual(rendered(grammar, "CTL"), "alt(%x00-1F, %x7F)")
        XCTAssertEqual(rendered(grammar, "OCTET"), "%x00-FF")
        XCTAssertEqual(SourceLocation.core.description, "<RFC 5234 Appendix B>:0:0")
    }

    func testBoundsDescription() {
        XCTAssertEqual(Bounds(min: 0, max: nil).description, "*")
        XCTAssertEqual(Bounds(min: 1, max: nil).description, "1*")
        XCTAssertEqual(Bounds(min: 0, max: 4).description, "*4")
        XCTAssertEqual(Bounds(min: 1, max: 16).description, "1*16")
        XCTAssertEqual(Bounds(min: 3, max: 3).description, "3")
        XCTAssertEqual(Bounds.optional.description, "*1")
    }
}
