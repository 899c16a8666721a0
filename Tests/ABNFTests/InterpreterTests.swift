import XCTest

@testable import ABNF

final class InterpreterTests: XCTestCase {
    /// RFC 5321 §4.1.2 / §4.1.3 rules, plus command forms for case tests.
    static let smtp = """
        Domain         = sub-domain *("." sub-domain) ;@entry
        sub-domain     = Let-dig [Ldh-str]
        Let-dig        = ALPHA / DIGIT
        Ldh-str        = *( ALPHA / DIGIT / "-" ) Let-dig ;@entry
        address-literal  = "[" IPv4-address-literal "]" ;@entry
        IPv4-address-literal  = Snum 3("."  Snum)
        Snum           = 1*3DIGIT
        mail-ci        = "MAIL FROM:" ;@entry
        mail-cs        = %s"MAIL" SP %s"FROM:" ;@entry
        mail-i         = %i"mail" SP "from:" ;@entry
        crlf-bytes     = %x0D.0A ;@entry
        ab-bytes       = %x61.62 ;@entry

        """

    struct Row {
        let rule: String
        let input: [UInt8]
        let accepted: Bool
        let file: StaticString
        let line: UInt
        init(_ rule: String, _ input: String, _ accepted: Bool, file: StaticString = #filePath, line: UInt = #line) {
            self.init(rule, bytes(input), accepted, file: file, line: line)
        }
        init(_ rule: String, _ input: [UInt8], _ accepted: Bool, file: StaticString = #filePath, line: UInt = #line) {
            self.rule = rule
            self.input = input
            self.accepted = accepted
            self.file = file
            self.line = line
        }
    }

    func run(_ grammarText: String, _ rows: [Row]) throws {
        let (grammar, _) = try Grammar.loadChecked([GrammarSource(name: "test.abnf", text: grammarText)])
        let interpreter = Interpreter(grammar)
        for row in rows {
            XCTAssertEqual(
                interpreter.matches(row.rule, row.input), row.accepted,
                "\(row.rule) on \(show(row.input))", file: row.file, line: row.line)
            // parse agrees with matches, and its tree spans the input.
            let tree = interpreter.parse(row.rule, row.input)
            XCTAssertEqual(tree != nil, row.accepted, "parse of \(show(row.input))", file: row.file, line: row.line)
            if let tree {
                XCTAssertEqual(tree.range, 0..<row.input.count, file: row.file, line: row.line)
            }
            // the full length is among the prefix matches exactly when it matches.
            XCTAssertEqual(
                interpreter.prefixMatches(row.rule, row.input).contains(row.input.count), row.accepted,
                file: row.file, line: row.line)
        }
    }

    func testRFC5321Rules() throws {
        try run(
            Self.smtp,
            [
                // Ldh-str needs all alternatives explored, not greedy matching
                Row("Ldh-str", "a-b", true),
                Row("Ldh-str", "a", true),
                Row("Ldh-str", "ab-1", true),
                Row("Ldh-str", "a--b", true),
                Row("Ldh-str", "-a", true),
                Row("Ldh-str", "9", true),
                Row("Ldh-str", "a-", false),
                Row("Ldh-str", "-", false),
                Row("Ldh-str", "", false),
                Row("Ldh-str", "a_b", false),
                Row("Ldh-str", "a.b", false),
                // Domain / sub-domain
                Row("Domain", "example.com", true),
                Row("Domain", "mail.example-1.org", true),
                Row("Domain", "xn--bcher-kva.example", true),
                Row("Domain", "a", true),
                Row("Domain", "1.2", true),
                Row("Domain", "A.B-C.D", true),
                Row("domain", "example.com", true),
                Row("Domain", "-a.com", false),
                Row("Domain", "a-.com", false),
                Row("Domain", "a..b", false),
                Row("Domain", ".a", false),
                Row("Domain", "a.", false),
                Row("Domain", "", false),
                Row("Domain", "exa mple.com", false),
                Row("Domain", "b\u{FC}cher.example", false),
                // Snum and IPv4 address literals
                Row("Snum", "1", true),
                Row("Snum", "12", true),
                Row("Snum", "123", true),
                Row("Snum", "999", true),  // RFC 5321's Snum does not limit the value
                Row("Snum", "1234", false),
                Row("Snum", "", false),
                Row("Snum", "1a", false),
                Row("address-literal", "[192.168.0.1]", true),
                Row("address-literal", "[1.2.3.4]", true),
                Row("address-literal", "[1.2.3]", false),
                Row("address-literal", "[1.2.3.4.5]", false),
                Row("address-literal", "[1.2.3.1234]", false),
                Row("address-literal", "[1..3.4]", false),
                Row("address-literal", "192.168.0.1", false),
                Row("address-literal", "[192.168.0.1", false),
                // quoted strings fold case; %s does not; %i does
                Row("mail-ci", "MAIL FROM:", true),
                Row("mail-ci", "mail from:", true),
                Row("mail-ci", "Mail From:", true),
                Row("mail-ci", "MAIL  FROM:", false),
                Row("mail-ci", "MAIL FROM", false),
                Row("mail-cs", "MAIL FROM:", true),
                Row("mail-cs", "mail from:", false),
                Row("mail-cs", "Mail FROM:", false),
                Row("mail-cs", "MAIL from:", false),
                Row("mail-i", "MAIL FROM:", true),
                Row("mail-i", "mAiL fRoM:", true),
                // numeric sequences are exact bytes
                Row("crlf-bytes", "\r\n", true),
                Row("crlf-bytes", "\n", false),
                Row("crlf-bytes", "\n\r", false),
                Row("ab-bytes", "ab", true),
                Row("ab-bytes", "AB", false),
                Row("ab-bytes", "aB", false),
            ])
    }

    func testRepetitionsAlternativesAndNullables() throws {
        let text = """
            r23 = 2*3"a" ;@entry
            r3 = 3"a" ;@entry
            upto2 = *2"a" ;@entry
            atleast2 = 2*"a" ;@entry
            opt = ["a"] "b" ;@entry
            nested = *(*"a") ;@entry
            nested-b = 2*(*"a") "b" ;@entry
            bounded-nullable = 1*3(["a"] ["b"]) ;@entry
            not-ordered = ("a" / "ab") "c" ;@entry
            greedy = *"a" "a" ;@entry
            parens = "(" [parens] ")" ;@entry
            utf8 = %xC3.A9 ;@entry
            prose = <Let-dig> "!" ;@entry
            Let-dig = ALPHA / DIGIT
            empty = "" ;@entry

            """
        try run(
            text,
            [
                Row("r23", "", false),
                Row("r23", "a", false),
                Row("r23", "aa", true),
                Row("r23", "aaa", true),
                Row("r23", "AAA", true),
                Row("r23", "aaaa", false),
                Row("r3", "aa", false),
                Row("r3", "aaa", true),
                Row("r3", "aaaa", false),
                Row("upto2", "", true),
                Row("upto2", "a", true),
                Row("upto2", "aa", true),
                Row("upto2", "aaa", false),
                Row("atleast2", "a", false),
                Row("atleast2", "aa", true),
                Row("atleast2", String(repeating: "a", count: 50), true),
                Row("opt", "b", true),
                Row("opt", "ab", true),
                Row("opt", "aab", false),
                // nullable inner repetitions terminate
                Row("nested", "", true),
                Row("nested", "aaaa", true),
                Row("nested", "aaab", false),
                Row("nested-b", "b", true),
                Row("nested-b", "aaab", true),
                Row("nested-b", "aaa", false),
                Row("bounded-nullable", "", true),
                Row("bounded-nullable", "ab", true),
                Row("bounded-nullable", "ababab", true),
                Row("bounded-nullable", "abababa", false),
                Row("bounded-nullable", "abababab", false),
                Row("bounded-nullable", "bbb", true),
                Row("bounded-nullable", "bbbb", false),
                // alternatives are all explored
                Row("not-ordered", "abc", true),
                Row("not-ordered", "ac", true),
                Row("not-ordered", "bc", false),
                Row("greedy", "a", true),
                Row("greedy", "aaa", true),
                Row("greedy", "", false),
                // recursion that consumes input
                Row("parens", "()", true),
                Row("parens", "((()))", true),
                Row("parens", "(()", false),
                Row("parens", "())", false),
                Row("parens", String(repeating: "(", count: 200) + String(repeating: ")", count: 200), true),
                Row("utf8", "\u{E9}", true),
                Row("utf8", [0xC3], false),
                Row("prose", "x!", true),
                Row("prose", "7!", true),
                Row("prose", "-!", false),
                Row("empty", "", true),
                Row("empty", "x", false),
            ])
    }

    struct ByteSetRow {
        let rule: String
        let accepts: (UInt8) -> Bool
        let file: StaticString
        let line: UInt
        init(_ rule: String, file: StaticString = #filePath, line: UInt = #line, _ accepts: @escaping (UInt8) -> Bool) {
            self.rule = rule
            self.accepts = accepts
            self.file = file
            self.line = line
        }
    }

    /// Every single-byte core rule, checked on all 256 bytes.
    func testSingleByteCoreRules() {
        let interpreter = Interpreter(Grammar())
        let rows: [ByteSetRow] = [
            ByteSetRow("ALPHA") { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) },
            ByteSetRow("BIT") { $0 == 0x30 || $0 == 0x31 },
            ByteSetRow("CHAR") { (0x01...0x7F).contains($0) },
            ByteSetRow("CR") { $0 == 0x0D },
            ByteSetRow("CTL") { $0 <= 0x1F || $0 == 0x7F },
            ByteSetRow("DIGIT") { (0x30...0x39).contains($0) },
            ByteSetRow("DQUOTE") { $0 == 0x22 },
            // quoted "A".."F" are case-insensitive, so HEXDIG accepts a-f too
            ByteSetRow("HEXDIG") { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) },
            ByteSetRow("HTAB") { $0 == 0x09 },
            ByteSetRow("LF") { $0 == 0x0A },
            ByteSetRow("OCTET") { _ in true },
            ByteSetRow("SP") { $0 == 0x20 },
            ByteSetRow("VCHAR") { (0x21...0x7E).contains($0) },
            ByteSetRow("WSP") { $0 == 0x20 || $0 == 0x09 },
            ByteSetRow("LWSP") { $0 == 0x20 || $0 == 0x09 },
            ByteSetRow("CRLF") { _ in false },
        ]
        for row in rows {
            var wrong: [String] = []
            for b in 0...255 as ClosedRange<UInt8> where interpreter.matches(row.rule, [b]) != row.accepts(b) {
                wrong.append("0x\(hex(b))")
            }
            XCTAssertEqual(wrong, [], "\(row.rule) disagrees on these bytes", file: row.file, line: row.line)
            // Two bytes never match a single-byte rule.
            if row.rule != "LWSP" && row.rule != "CRLF" {
                XCTAssertFalse(interpreter.matches(row.rule, [0x30, 0x30]), file: row.file, line: row.line)
            }
        }
    }

    func testMultiByteCoreRules() throws {
        try run(
            "x = \"x\" ;@entry\n",
            [
                Row("CRLF", "\r\n", true),
                Row("CRLF", "\r", false),
                Row("CRLF", "\n", false),
                Row("CRLF", "\n\r", false),
                Row("CRLF", "\r\n\r\n", false),
                Row("LWSP", "", true),
                Row("LWSP", " ", true),
                Row("LWSP", "\t", true),
                Row("LWSP", " \t  ", true),
                Row("LWSP", "\r\n ", true),
                Row("LWSP", "\r\n\t", true),
                Row("LWSP", " \r\n \r\n\t ", true),
                Row("LWSP", "\r\n", false),
                Row("LWSP", " \r\n", false),
                Row("LWSP", "\r\n\r\n ", false),
                Row("LWSP", "x", false),
                Row("HEXDIG", "a", true),
                Row("HEXDIG", "F", true),
                Row("HEXDIG", "g", false),
                Row("hexdig", "f", true),
                Row("VCHAR", "~", true),
                Row("VCHAR", " ", false),
                Row("BIT", "2", false),
            ])
    }

    func testUnknownAndUndefinedRules() throws {
        let interpreter = Interpreter(try load("r = \"a\" / undefined\np = <no such rule> / \"b\"\n"))
        XCTAssertFalse(interpreter.matches("nope", bytes("")))
        XCTAssertEqual(interpreter.prefixMatches("nope", bytes("a")), [])
        XCTAssertNil(interpreter.parse("nope", bytes("a")))
        // An undefined reference or unbound prose matches nothing.
        XCTAssertTrue(interpreter.matches("r", bytes("a")))
        XCTAssertFalse(interpreter.matches("r", bytes("")))
        XCTAssertTrue(interpreter.matches("p", bytes("b")))
        XCTAssertFalse(interpreter.matches("p", bytes("no such rule")))
    }

    func testLeftRecursionDoesNotHang() throws {
        // The checker rejects this; the interpreter must still terminate.
        let interpreter = Interpreter(try load("a = a \"x\" / \"y\"\nb = c \"1\" / \"2\"\nc = b\n"))
        XCTAssertTrue(interpreter.matches("a", bytes("y")))
        _ = interpreter.matches("a", bytes("yxx"))
        _ = interpreter.prefixMatches("b", bytes("211"))
        _ = interpreter.parse("c", bytes("21"))
    }

    func testPrefixMatches() throws {
        let interpreter = Interpreter(try load(Self.smtp + "star = *\"a\"\nr23 = 2*3\"a\"\n"))
        let rows: [(String, String, [Int], UInt)] = [
            ("star", "aaab", [0, 1, 2, 3], #line),
            ("star", "", [0], #line),
            ("r23", "aaaa", [2, 3], #line),
            ("r23", "a", [], #line),
            ("Ldh-str", "a-b-", [1, 3], #line),
            ("Ldh-str", "-", [], #line),
            ("Domain", "ab.c-d.", [1, 2, 4, 6], #line),
            ("Snum", "12345", [1, 2, 3], #line),
            ("mail-ci", "mail from:<x>", [10], #line),
            ("address-literal", "[1.2.3.4]x", [9], #line),
        ]
        for (rule, input, expected, line) in rows {
            XCTAssertEqual(
                interpreter.prefixMatches(rule, bytes(input)), expected, "\(rule) on \(show(bytes(input)))", line: line)
        }
        // Collections other than arrays work too.
        XCTAssertEqual(interpreter.prefixMatches("Snum", "12x".utf8), [1, 2])
        XCTAssertTrue(interpreter.matches("Snum", bytes("x123")[1...]))
    }

    func testParseTree() throws {
        let interpreter = Interpreter(try load(Self.smtp))
        XCTAssertEqual(
            interpreter.parse("Domain", bytes("ab.c"))?.description,
            """
            Domain 0..<4
              sub-domain 0..<2
                Let-dig 0..<1
                  ALPHA 0..<1
                Ldh-str 1..<2
                  Let-dig 1..<2
                    ALPHA 1..<2
              sub-domain 3..<4
                Let-dig 3..<4
                  ALPHA 3..<4
            """)
        XCTAssertEqual(
            interpreter.parse("ldh-str", bytes("a-9"))?.description,
            """
            Ldh-str 0..<3
              ALPHA 0..<1
              Let-dig 2..<3
                DIGIT 2..<3
            """, "the root uses the rule's own spelling")
        let literal = try XCTUnwrap(interpreter.parse("address-literal", bytes("[10.0.0.255]")))
        let snums = literal.allNodes.filter { $0.rule == "Snum" }.map(\.range)
        XCTAssertEqual(snums, [1..<3, 4..<5, 6..<7, 8..<11])
        XCTAssertEqual(literal.allNodes.map(\.rule).prefix(3), ["address-literal", "IPv4-address-literal", "Snum"])
        XCTAssertEqual(literal.allNodes.filter { $0.rule == "DIGIT" }.count, 7)
        XCTAssertNil(interpreter.parse("Domain", bytes("a..b")))
        // Rules with no rule references inside have no children.
        XCTAssertEqual(interpreter.parse("mail-ci", bytes("Mail From:")), ParseTree(rule: "mail-ci", range: 0..<10, children: []))
    }

    func testParseTreeOfNullableAndNestedRepetitions() throws {
        let interpreter = Interpreter(try load("r = *(*a) b\na = \"a\"\nb = [\"b\"]\n"))
        XCTAssertEqual(interpreter.parse("r", bytes(""))?.description, "r 0..<0\n  b 0..<0")
        XCTAssertEqual(interpreter.parse("r", bytes("aab"))?.description, "r 0..<3\n  a 0..<1\n  a 1..<2\n  b 2..<3")
    }

    /// Every node of a parse tree matches its rule on exactly its bytes, and
    /// children are ordered, disjoint and inside their parent.
    static func checkTree(
        _ tree: ParseTree, _ input: [UInt8], _ interpreter: Interpreter, _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertTrue(
            interpreter.matches(tree.rule, input[tree.range]),
            "\(context): node \(tree.rule) \(tree.range) does not match \(show(input[tree.range]))", file: file, line: line)
        var end = tree.range.lowerBound
        for child in tree.children {
            XCTAssertTrue(
                child.range.lowerBound >= end && child.range.upperBound <= tree.range.upperBound,
                "\(context): child \(child.rule) \(child.range) outside \(tree.rule) \(tree.range)", file: file, line: line)
            end = child.range.upperBound
            checkTree(child, input, interpreter, context, file: file, line: line)
        }
    }

    func testParseTreeNodesMatchTheirRules() throws {
        let interpreter = Interpreter(try load(Self.smtp))
        for (rule, input) in [("Domain", "mail.example-1.org"), ("address-literal", "[1.22.255.0]"), ("Ldh-str", "-a-b--c9")] {
            let tree = try XCTUnwrap(interpreter.parse(rule, bytes(input)))
            Self.checkTree(tree, bytes(input), interpreter, input)
        }
    }
}
