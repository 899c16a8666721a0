// The parts of the automaton runtime and the error type that callers use
// directly, beyond parsing: `Automaton(tables:)` on a hand-written table,
// `row(after:)` (matching after a prefix read case-insensitively),
// `ruleName(atState:)`, and SMTPSyntaxError's hashing and description.

import XCTest

@testable import SMTPCommandParser
@testable import SMTPParserRuntime

final class AutomatonAPITests: XCTestCase {
    /// Tables in the generator's format (Automaton.init): base64 of byteClass, next
    /// (UInt16 little-endian, bit 15 when the transition sets tags), action (one byte per
    /// transition, with fields only), accept, stateRule (UInt16 little-endian).
    func automaton(
        byteClass: [UInt8], next: [UInt16], action: [UInt8] = [], accept: [UInt8], classCount: Int, fields: [String] = [],
        tagMasks: [UInt64] = [0], start: Int = 1
    ) -> Automaton {
        var bytes = byteClass
        for w in next { bytes += [UInt8(w & 0xFF), UInt8(w >> 8)] }
        bytes += action
        bytes += accept
        for _ in accept { bytes += [0, 0] }
        return Automaton(
            rule: "hand", fields: fields, classCount: classCount, stateCount: accept.count, start: start, tagMasks: tagMasks,
            ruleNames: ["hand"], tables: Self.base64(bytes))
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n = chunk.count
            let v = (UInt32(chunk[0]) << 16) | (n > 1 ? UInt32(chunk[1]) << 8 : 0) | (n > 2 ? UInt32(chunk[2]) : 0)
            for k in 0..<4 { out.append(k <= n ? alphabet[Int((v >> UInt32(18 - 6 * k)) & 63)] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "a" and "A" lead to different states: no shared row after either.
    func testRowAfterAPrefixWhoseCasesDiverge() {
        var classes = [UInt8](repeating: 0, count: 256)
        classes[Int(UInt8(ascii: "a"))] = 1
        classes[Int(UInt8(ascii: "A"))] = 2
        classes[Int(UInt8(ascii: "b"))] = 3
        classes[Int(UInt8(ascii: "B"))] = 3
        // States: 0 dead, 1 start, 2 after "a", 3 after "A", 4 after "b"/"B" (accepting).
        let next: [UInt16] = [
            0, 0, 0, 0,  // 0
            0, 2, 3, 4,  // 1
            0, 0, 0, 4,  // 2
            0, 0, 0, 4,  // 3
            0, 0, 0, 0,  // 4
        ]
        let a = automaton(byteClass: classes, next: next, accept: [0, 0, 0, 0, 1], classCount: 4)
        XCTAssertTrue(a.matches(Array("ab".utf8)))
        XCTAssertTrue(a.matches(Array("AB".utf8)))
        XCTAssertFalse(a.matches(Array("a".utf8)))
        XCTAssertNil(a.row(after: Array("a".utf8)), "lower and upper case reach different states")
        XCTAssertNil(a.row(after: Array("A".utf8)))
        XCTAssertNotNil(a.row(after: Array("b".utf8)), "both cases of b reach state 4")
        XCTAssertEqual(a.row(after: Array("b".utf8)), a.row(after: Array("B".utf8)))
        XCTAssertNil(a.row(after: Array("x".utf8)), "a byte that leads nowhere")
        XCTAssertEqual(a.row(after: []), a.row(after: []), "the empty prefix is the start")
        // The row after "b" is where matching continues: nothing more is accepted after it.
        var tags = CaptureTags()
        XCTAssertEqual(
            Array("b".utf8).withUnsafeBytes {
                a.run($0, from: 1, row: a.row(after: Array("b".utf8))!, captures: &tags, recording: false)
            },
            .accepted)
    }

    /// `"a" field` with field = 1*(%x62-6B) [ "-" *DIGIT ], captured up to the end of
    /// the input: its start tag rides on the first letter's transition, its end on
    /// acceptance (none of the SMTP rules ends a field at the end of the input; other
    /// grammars do). The ten letters and the ten digits make self-loops that are
    /// skipped with tables, and "-" enters the digits' loop without setting tags.
    /// Mask 0 is not empty: a transition without the tag flag must consult no mask.
    func fieldToTheEnd() -> Automaton {
        var classes = [UInt8](repeating: 0, count: 256)
        classes[Int(UInt8(ascii: "a"))] = 1
        for b in UInt8(ascii: "b")...UInt8(ascii: "k") { classes[Int(b)] = 2 }
        classes[Int(UInt8(ascii: "-"))] = 3
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { classes[Int(b)] = 4 }
        // States: 0 dead, 1 start, 2 after "a", 3 in the letters, 4 in the digits (3 and 4
        // accept, setting the end tag).
        let tags: UInt16 = 0x8000
        let c = 5
        var next = [UInt16](repeating: 0, count: 5 * c)
        next[1 * c + 1] = 2
        next[2 * c + 2] = 3 | tags
        next[3 * c + 2] = 3
        next[3 * c + 3] = 4
        next[4 * c + 4] = 4
        return automaton(
            byteClass: classes, next: next, action: [UInt8](repeating: 0, count: 5 * c), accept: [0, 0, 0, 2, 2], classCount: c,
            fields: ["field"], tagMasks: [0b01, 0b10])
    }

    func testCapturesThatEndWithTheInput() {
        let a = fieldToTheEnd()
        for text in ["ab", "abcdefghijk", "a" + String(repeating: "kj", count: 40), "abc-12", "ab-", "abkb-0123456789"] {
            let input = Array(text.utf8)
            var tags = CaptureTags()
            XCTAssertEqual(input.withUnsafeBytes { a.match($0, captures: &tags) }, .accepted, text)
            XCTAssertEqual(tags[field: 0], 1..<input.count, "\(text): the field ends with the input")
            // Not recording: the captures are left as they were.
            var untouched = CaptureTags()
            XCTAssertEqual(
                input.withUnsafeBytes { a.run($0, from: 0, row: a.row(after: [])!, captures: &untouched, recording: false) },
                .accepted)
            XCTAssertEqual(untouched, CaptureTags(), text)
        }
        var tags = CaptureTags()
        XCTAssertEqual(Array("a".utf8).withUnsafeBytes { a.match($0, captures: &tags) }, .incomplete(state: 2))
        XCTAssertEqual(Array("abz".utf8).withUnsafeBytes { a.match($0, captures: &tags) }, .rejected(offset: 2, state: 3))
        XCTAssertEqual(Array("ab-1b".utf8).withUnsafeBytes { a.match($0, captures: &tags) }, .rejected(offset: 4, state: 4))
        XCTAssertEqual(Array("b".utf8).withUnsafeBytes { a.match($0, captures: &tags) }, .rejected(offset: 0, state: 1))
        XCTAssertEqual([UInt8]().withUnsafeBytes { a.match($0, captures: &tags) }, .incomplete(state: 1))
    }

    /// 1*6DIGIT from the start: a chain of counted states entered at the first byte, so
    /// matching begins with a chain skip that must stop at the bound or the first
    /// non-digit, and pick the state it stopped in.
    func testACountedRunFromTheStart() throws {
        var classes = [UInt8](repeating: 0, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { classes[Int(b)] = 1 }
        // States: 0 dead, 1 start, 2...7 after 1...6 digits (all accepting).
        var next = [UInt16](repeating: 0, count: 8 * 2)
        for s in 1...6 { next[s * 2 + 1] = UInt16(s + 1) }
        let a = automaton(byteClass: classes, next: next, accept: [0, 0, 1, 1, 1, 1, 1, 1], classCount: 2)
        for n in 0...9 {
            let input = Array(String(repeating: "7", count: n).utf8)
            let outcome = input.withUnsafeBytes { a.match($0) }
            switch n {
            case 0: XCTAssertEqual(outcome, .incomplete(state: 1))
            case 1...6: XCTAssertEqual(outcome, .accepted, "\(n) digits")
            default: XCTAssertEqual(outcome, .rejected(offset: 6, state: 7), "\(n) digits: the seventh is refused")
            }
            // A letter after k digits stops the run there, in the state of k digits.
            if n >= 1 && n <= 6 {
                let stopped = (input + Array("x9".utf8)).withUnsafeBytes { a.match($0) }
                XCTAssertEqual(stopped, .rejected(offset: n, state: n + 1), "x after \(n) digits")
            }
        }
        // Resumed after two digits, the run can take four more.
        let row = try XCTUnwrap(a.row(after: Array("12".utf8)))
        var tags = CaptureTags()
        XCTAssertEqual(
            Array("123456".utf8).withUnsafeBytes { a.run($0, from: 2, row: row, captures: &tags, recording: true) }, .accepted)
        XCTAssertEqual(
            Array("1234567".utf8).withUnsafeBytes { a.run($0, from: 2, row: row, captures: &tags, recording: true) },
            .rejected(offset: 6, state: 7))
    }

    /// Matching resumed (`row(after:)`) in a state whose self-loop or chain has the
    /// second or third membership table: the skip at the resumed row must use that
    /// state's own table, not a neighbouring one.
    func testResumedRunsSkipWithTheirStatesOwnTable() throws {
        var classes = [UInt8](repeating: 0, count: 256)
        for b in UInt8(ascii: "a")...UInt8(ascii: "j") { classes[Int(b)] = 1 }
        for b in UInt8(ascii: "k")...UInt8(ascii: "t") { classes[Int(b)] = 2 }
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { classes[Int(b)] = 3 }
        classes[Int(UInt8(ascii: "!"))] = 4
        classes[Int(UInt8(ascii: "#"))] = 5
        classes[Int(UInt8(ascii: "%"))] = 6
        // Loops: 1 on a-j (table 1), 2 on k-t (table 2), 3 on digits (table 3), 1 -!-> 2 -#-> 3.
        // Chain: 1 -%-> 4, then 4...8 each move on on a digit (1*5DIGIT after "%": a chain
        // on the digits' table); 3 and 5...9 accept.
        let c = 7
        var next = [UInt16](repeating: 0, count: 10 * c)
        for b in [1] { next[1 * c + b] = 1 }
        next[1 * c + 4] = 2
        next[1 * c + 6] = 4
        next[2 * c + 2] = 2
        next[2 * c + 5] = 3
        next[3 * c + 3] = 3
        for s in 4...8 { next[s * c + 3] = UInt16(s + 1) }
        let a = automaton(byteClass: classes, next: next, accept: [0, 0, 0, 1, 0, 1, 1, 1, 1, 1], classCount: c)
        func run(_ prefix: String, _ rest: String) throws -> MatchOutcome {
            let row = try XCTUnwrap(a.row(after: Array(prefix.utf8)), prefix)
            let input = Array((prefix + rest).utf8)
            var tags = CaptureTags()
            return input.withUnsafeBytes { a.run($0, from: prefix.utf8.count, row: row, captures: &tags, recording: false) }
        }
        // In state 3 (digits): k-t is state 2's table, not 3's.
        XCTAssertEqual(try run("!#", "0123456789"), .accepted)
        XCTAssertEqual(try run("!#", "kkk"), .rejected(offset: 2, state: 3))
        XCTAssertEqual(try run("!#", "abc"), .rejected(offset: 2, state: 3))
        // In state 2 (k-t): a-j is state 1's table.
        XCTAssertEqual(try run("!", "abc"), .rejected(offset: 1, state: 2))
        XCTAssertEqual(try run("!", "kt#9"), .accepted)
        // After "%" (a chain on the digits): a-j and k-t are other tables.
        XCTAssertEqual(try run("%", "12345"), .accepted)
        XCTAssertEqual(try run("%", "abcdef"), .rejected(offset: 1, state: 4))
        XCTAssertEqual(try run("%", "klmnop"), .rejected(offset: 1, state: 4))
        XCTAssertEqual(try run("%", "123456"), .rejected(offset: 6, state: 9))
    }

    /// Only letters have another case: "@", "[", "`" and "{" (beside the letter ranges)
    /// are matched as they are, and "Z"/"z" (their ends) are folded like any letter.
    func testRowAfterBytesBesideTheLetters() {
        var classes = [UInt8](repeating: 0, count: 256)
        let bytes = Array("@`[{ZzYy".utf8)
        for (i, b) in bytes.enumerated() { classes[Int(b)] = UInt8(i + 1) }
        let c = bytes.count + 1
        // From the start, each byte to a state of its own (2...9), but Y and y to one state.
        var next = [UInt16](repeating: 0, count: 11 * c)
        for i in 0..<bytes.count { next[1 * c + i + 1] = UInt16(i + 2) }
        next[1 * c + 8] = 8
        let a = automaton(byteClass: classes, next: next, accept: [0, 0] + [UInt8](repeating: 1, count: 9), classCount: c)
        for b in ["@", "`", "[", "{"] {
            XCTAssertNotNil(a.row(after: Array(b.utf8)), "\(b) has no other case")
        }
        XCTAssertNil(a.row(after: Array("Z".utf8)), "Z and z lead to different states")
        XCTAssertNil(a.row(after: Array("z".utf8)))
        XCTAssertEqual(a.row(after: Array("Y".utf8)), a.row(after: Array("y".utf8)))
        XCTAssertNotNil(a.row(after: Array("y".utf8)))
    }

    func testRowAfterTheCommandPrefixesInEitherCase() throws {
        let mail = SMTPGrammar.mail
        let upper = try XCTUnwrap(mail.row(after: Array("MAIL FROM:".utf8)))
        XCTAssertEqual(mail.row(after: Array("mail from:".utf8)), upper)
        XCTAssertEqual(mail.row(after: Array("MaIl FrOm:".utf8)), upper)
        XCTAssertNil(mail.row(after: Array("MAIL FROM:<a".utf8)), "the path's capture starts inside: tags are set")
        XCTAssertNil(mail.row(after: Array("MAIL TO:".utf8)))
        // Matching from there gives what matching from the start gives.
        let line = Array("mail from:<a@b>\r\n".utf8)
        var fromRow = CaptureTags()
        var whole = CaptureTags()
        let a = line.withUnsafeBytes { mail.run($0, from: 10, row: upper, captures: &fromRow, recording: true) }
        let b = line.withUnsafeBytes { mail.match($0, captures: &whole) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(fromRow, whole)
    }

    func testRuleNameOfAStateOutsideTheTableIsTheRule() {
        let ehlo = SMTPGrammar.ehlo
        XCTAssertEqual(ehlo.ruleName(atState: ehlo.stateCount + 3), "ehlo")
        XCTAssertEqual(ehlo.ruleName(atState: ehlo.start), "ehlo")
        XCTAssertEqual(ehlo.ruleName(atState: ehlo.stateCount), "ehlo", "one past the last state")
        XCTAssertTrue(ehlo.ruleNames.contains(ehlo.ruleName(atState: ehlo.stateCount - 1)))
        // Inside the table each state names its innermost rule, and EHLO's states span several.
        let names = Set((0..<ehlo.stateCount).map { ehlo.ruleName(atState: $0) })
        XCTAssertTrue(names.isSuperset(of: ["ehlo", "ehlo-domain", "Let-dig"]), "\(names)")
    }

    /// RFC 4648 base64 as the generated tables are written: anything outside the
    /// alphabet (padding, white space, line breaks) is skipped.
    func testBase64DecodingOfTheTables() {
        let abc: [UInt8] = Array("ABC".utf8)
        XCTAssertEqual(Base64.decode("QUJD"), abc)
        XCTAssertEqual(Base64.decode("QU\nJD"), abc)
        XCTAssertEqual(Base64.decode("  Q U J D == "), abc)
        // The bytes just outside each run of the alphabet are not in it.
        XCTAssertEqual(Base64.decode("@Q[U:J`D{"), abc)
        XCTAssertEqual(Base64.decode("Q{U`J[D"), abc, "skipped between letters too, not only at the end")
        XCTAssertEqual(Base64.decode("/+9zaZA0"), [0xFF, 0xEF, 0x73, 0x69, 0x90, 0x34])
        XCTAssertEqual(Base64.decode("AA=="), [0])
        XCTAssertEqual(Base64.decode("////"), [0xFF, 0xFF, 0xFF])
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertEqual(Base64.decode(Self.base64(Array(0...255))), Array(0...255))
    }

    func testSyntaxErrorKindsHashByNumberAndDescribeThemselves() {
        let kinds: [SMTPSyntaxError.Kind] = [.unknownCommand, .invalidArguments, .unknownCommand, .incomplete, .invalidArguments]
        XCTAssertEqual(Set(kinds).count, 3)
        XCTAssertEqual(Set(kinds), [.unknownCommand, .invalidArguments, .incomplete])
        var counts: [SMTPSyntaxError.Kind: Int] = [:]
        for k in kinds { counts[k, default: 0] += 1 }
        XCTAssertEqual(counts[.unknownCommand], 2)
        XCTAssertEqual("\(SMTPSyntaxError.Kind.bareLineFeed)", "bare LF")
        let error = SMTPSyntaxError(.pathTooLong, offset: 266, rule: "Path", hint: "MAIL FROM:<reverse-path>")
        XCTAssertEqual(error.description, "501 path too long at offset 266 in rule Path; syntax: MAIL FROM:<reverse-path>")
        XCTAssertEqual(error.replyText, "501 5.1.3 Syntax: MAIL FROM:<reverse-path>")
    }
}
