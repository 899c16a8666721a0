// ShiftMatcher, the shift DFA that small shuffle forms also have: which forms
// get one, that it accepts ordinary values of its rule (a form that accepted
// nothing would pass every agreement check, since the table automaton then
// decides), and that it agrees with the shuffle form and the table automaton
// on values and on mutations of them. It is portable: these run on every CPU,
// the comparisons with a kernel where this CPU runs one.

import XCTest

@testable import SMTPCommandParser
@testable import SMTPParserRuntime

final class ShiftMatcherTests: XCTestCase {
    /// Rule, then values its shift form must accept after its prefix.
    static let accepted: [(rule: String, values: [String], line: UInt)] = [
        ("size-param", ["1200", "0", "12345678901234567890"], #line),
        ("smtputf8-param", [""], #line),
        ("requiretls-param", [""], #line),
        ("auth-param", ["<>", "user+40example.com", "a"], #line),
        ("orcpt-param", ["rfc822;user+40example.com", "x;y"], #line),
        ("ret-param", ["FULL", "hdrs"], #line),
        ("envid-param", ["QQ314159", "a+2Bb"], #line),
        ("mt-priority-param", ["4", "-9", "0"], #line),
        ("auth-mailbox", ["user@example.com", "<>", "a.b@c"], #line),
    ]

    static var files: [(name: String, all: [Automaton], shuffle: (String) -> ShuffleAutomaton?)] {
        [
            ("SMTPGrammar", SMTPGrammar.all, SMTPGrammar.Shuffle.automaton(forRule:)),
            ("SMTPGrammarUTF8", SMTPGrammarUTF8.all, SMTPGrammarUTF8.Shuffle.automaton(forRule:)),
            ("SMTPGrammarLenient", SMTPGrammarLenient.all, SMTPGrammarLenient.Shuffle.automaton(forRule:)),
            ("SMTPGrammarLenientUTF8", SMTPGrammarLenientUTF8.all, SMTPGrammarLenientUTF8.Shuffle.automaton(forRule:)),
        ]
    }

    func accepts(_ shift: ShiftMatcher, _ value: [UInt8]) -> Bool {
        // One spare byte, so that an empty value still has a pointer.
        (value + [0]).withUnsafeBufferPointer { shift.accepts($0.baseAddress!, from: 0, to: value.count) }
    }

    /// `text` parsed with `automata` on `kernel`'s path (nil: the table automata), or nil when refused.
    func parse(_ text: String, _ automata: CommandAutomata, kernel: ShuffleKernel?) -> SMTPCommand? {
        Array(text.utf8).withUnsafeBytes { try? LineParse(line: $0, options: .init(), kernel: kernel).run(automata) }
    }

    /// The strict automata with `form` planted as the AUTH= mailbox's shuffle form.
    func plantingMailboxForm(_ form: ShuffleAutomaton) -> CommandAutomata {
        CommandAutomata { name in
            guard let (table, strict) = CommandAutomata.base(name) else { return nil }
            return name == "auth-mailbox" ? (table, form) : (table, strict)
        }
    }

    func testEveryShiftFormAcceptsOrdinaryValuesOfItsRule() throws {
        for (rule, values, line) in Self.accepted {
            guard let shift = SMTPGrammar.Shuffle.automaton(forRule: rule)?.shift else {
                XCTFail("\(rule): no shift form", line: line)
                continue
            }
            for value in values {
                XCTAssertTrue(accepts(shift, Array(value.utf8)), "\(rule) \(value.debugDescription)", line: line)
            }
        }
    }

    /// The parser's parameters and AUTH mailbox run through shift forms: in
    /// every profile, each parameter form that has one has the prefix the
    /// parameter scan expects; the strict profile has one for every parameter
    /// but BODY and NOTIFY (whose automata need more than 16 states).
    func testTheParserUsesTheShiftFormOfEachParameterThatHasOne() {
        for (name, automata, lookup) in [
            ("strict", CommandAutomata.strict, CommandAutomata.base),
            ("smtputf8", .smtputf8, { CommandAutomata.utf8($0) ?? CommandAutomata.base($0) }),
            ("lenient", .lenient, { CommandAutomata.lenientOnly($0) ?? CommandAutomata.base($0) }),
            (
                "lenient smtputf8", .lenientSMTPUTF8,
                { CommandAutomata.lenientUTF8($0) ?? CommandAutomata.utf8($0) ?? CommandAutomata.base($0) }
            ),
        ] as [(String, CommandAutomata, (String) -> (Automaton, ShuffleAutomaton?)?)] {
            for known in KnownParameter.allCases {
                let hasShift = lookup(known.rule)?.1?.shift != nil
                XCTAssertEqual(automata.parameterShifts[known.rawValue] != nil, hasShift, "\(name) \(known.keyword)")
                if name == "strict" { XCTAssertEqual(hasShift, known != .body && known != .notify, known.keyword) }
            }
            XCTAssertEqual(automata.authMailboxShift != nil, lookup("auth-mailbox")?.1?.shift != nil, name)
        }
        XCTAssertNotNil(CommandAutomata.strict.authMailboxShift)
    }

    /// Each shift form against its shuffle form (every kernel this CPU runs)
    /// and its table automaton, on the values above and on every one-byte
    /// deletion, and replacement from a set of bytes, of them.
    func testShiftFormsAgreeWithTheirShuffleFormsAndTableAutomata() {
        let kernels = ShuffleKernel.allCases.filter(\.isSupported)
        let replacements: [UInt8] = Array(" +-.;:<>@[]\"=\\09AZaz~".utf8) + [0x00, 0x0D, 0x0A, 0x7F, 0xC3, 0xFF]
        var compared = 0
        for file in Self.files {
            for table in file.all {
                guard let shuffle = file.shuffle(table.rule), let shift = shuffle.shift else { continue }
                let seeds = Self.accepted.first { $0.rule == table.rule }?.values ?? []
                var inputs = Set<[UInt8]>(seeds.map { Array($0.utf8) })
                for seed in seeds.map({ Array($0.utf8) }) {
                    for i in seed.indices {
                        var deleted = seed
                        deleted.remove(at: i)
                        inputs.insert(deleted)
                        for b in replacements {
                            var replaced = seed
                            replaced[i] = b
                            inputs.insert(replaced)
                        }
                    }
                    inputs.insert(seed + seed)
                }
                for input in inputs {
                    let whole = shuffle.prefix + input
                    let accepted = accepts(shift, input)
                    if accepted {
                        XCTAssertEqual(
                            whole.withUnsafeBytes { table.match($0) }, .accepted,
                            "\(file.name) \(table.rule): shift accepts \(String(decoding: input, as: UTF8.self).debugDescription)"
                        )
                    }
                    guard input.count <= shift.longestInput else { continue }
                    for kernel in kernels {
                        var tags = CaptureTags()
                        let shuffled = whole.withUnsafeBytes { shuffle.matcher.match($0, captures: &tags, kernel: kernel) }
                        XCTAssertEqual(
                            accepted, shuffled,
                            "\(file.name) \(table.rule) \(kernel): \(String(decoding: input, as: UTF8.self).debugDescription)")
                    }
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 1000)
    }

    /// The parser takes the shift forms, not only gets the same answers
    /// (whatever a form does not accept goes to the table automaton, which
    /// answers the same): with a planted SIZE form that accepts lower-case
    /// letters (and an empty value), and a planted AUTH mailbox form that
    /// accepts "x", lines the grammar refuses pass, which only those forms
    /// can let them do; a SIZE with no "=" still goes to the table automaton.
    func testTheParserTakesTheShiftForms() throws {
        let tables = ShuffleAutomatonTests.self
        var letters = [UInt8](repeating: 0, count: 256)
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { letters[Int(b)] = 1 }
        var stay = [UInt8](repeating: 0, count: 32)
        stay[16 + 1] = 1  // a letter in state 1 stays there; state 1 accepts
        let size = ShuffleAutomaton(
            rule: "size-param", tagMasks: [0, 0],
            tables: tables.tables(prefix: "SIZE=", states: 2, classes: 2, byteClass: letters, next: stay, accept: [0, 1]))
        var x = [UInt8](repeating: 0, count: 256)
        x[Int(UInt8(ascii: "x"))] = 1
        var toAccepting = [UInt8](repeating: 0, count: 32)
        toAccepting[16 + 1] = 2  // "x" in state 1: to state 2, which accepts
        let mailbox = ShuffleAutomaton(
            rule: "auth-mailbox", tagMasks: [0, 0],
            tables: tables.tables(prefix: "", states: 3, classes: 2, byteClass: x, next: toAccepting, accept: [0, 0, 1]))
        // SMTPUTF8 with a form that accepts nothing: the table automaton takes it.
        let refusing = ShuffleAutomaton(
            rule: "smtputf8-param", tagMasks: [0],
            tables: tables.tables(prefix: "SMTPUTF8", states: 2, classes: 1, accept: [0, 0]))
        let planted = CommandAutomata { name in
            guard let (table, form) = CommandAutomata.base(name) else { return nil }
            switch name {
            case "size-param": return (table, size)
            case "auth-mailbox": return (table, mailbox)
            case "smtputf8-param": return (table, refusing)
            default: return (table, form)
            }
        }
        XCTAssertNotNil(planted.parameterShifts[KnownParameter.size.rawValue])
        XCTAssertNotNil(planted.authMailboxShift)
        let kernels: [ShuffleKernel?] = [nil] + ShuffleKernel.allCases.filter(\.isSupported)
        for kernel in kernels {
            func parse(_ text: String, _ automata: CommandAutomata) -> SMTPCommand? {
                self.parse(text, automata, kernel: kernel)
            }
            for line in ["MAIL FROM:<> SIZE=abc\r\n", "MAIL FROM:<a@b.example> AUTH=x\r\n"] {
                XCTAssertNil(parse(line, .strict), "\(line.debugDescription), kernel \(String(describing: kernel))")
                XCTAssertNotNil(parse(line, planted), "\(line.debugDescription), kernel \(String(describing: kernel))")
            }
            XCTAssertNil(parse("MAIL FROM:<> SIZE\r\n", planted), "kernel \(String(describing: kernel))")
            guard case .mail(let mail) = parse("MAIL FROM:<> SMTPUTF8\r\n", planted) else {
                XCTFail("SMTPUTF8 through the table automaton, kernel \(String(describing: kernel))")
                continue
            }
            XCTAssertTrue(mail.smtputf8)
        }
        // The AUTH= mailbox form steps the decoded bytes: a form that accepts
        // only "=" takes AUTH=+3D (and the table automaton refuses "=").
        var equals = [UInt8](repeating: 0, count: 256)
        equals[Int(UInt8(ascii: "="))] = 1
        let decodedOnly = ShuffleAutomaton(
            rule: "auth-mailbox", tagMasks: [0, 0],
            tables: tables.tables(prefix: "", states: 3, classes: 2, byteClass: equals, next: toAccepting, accept: [0, 0, 1]))
        let plantedDecoded = plantingMailboxForm(decodedOnly)
        for kernel in kernels {
            XCTAssertNotNil(
                parse("MAIL FROM:<> AUTH=+3D\r\n", plantedDecoded, kernel: kernel), "kernel \(String(describing: kernel))")
            XCTAssertNil(
                parse("MAIL FROM:<> AUTH=+3D+3D\r\n", plantedDecoded, kernel: kernel), "kernel \(String(describing: kernel))")
            XCTAssertNil(
                parse("MAIL FROM:<> AUTH=3D\r\n", plantedDecoded, kernel: kernel), "kernel \(String(describing: kernel))")
        }
        // A mailbox form with a run limit (at most 3 bytes of "=") decides only
        // xtext within it: AUTH=+3D+3D is 6 bytes, past the limit, so the table
        // automaton takes it (and refuses "==").
        var loop = [UInt8](repeating: 0, count: 32)
        loop[16 + 1] = 1  // "=" in state 1: stays; state 1 accepts
        var limit = [UInt16](repeating: 0, count: 16)
        limit[1] = 3
        let limited = ShuffleAutomaton(
            rule: "auth-mailbox", tagMasks: [0, 0],
            tables: tables.tables(
                prefix: "", states: 2, classes: 2, byteClass: equals, next: loop, accept: [0, 1], limits: limit))
        XCTAssertEqual(limited.shift?.longestInput, 3)
        let plantedLimited = plantingMailboxForm(limited)
        for kernel in kernels {
            XCTAssertNotNil(
                parse("MAIL FROM:<> AUTH=+3D\r\n", plantedLimited, kernel: kernel),
                "within the limit, kernel \(String(describing: kernel))")
            XCTAssertNil(
                parse("MAIL FROM:<> AUTH=+3D+3D\r\n", plantedLimited, kernel: kernel),
                "past the limit, kernel \(String(describing: kernel))")
        }
        // A form whose prefix is neither the keyword nor the keyword and "=" is not used.
        XCTAssertNil(ParameterShift(size, keyword: Array("BODY".utf8)))
        XCTAssertEqual(ParameterShift(size, keyword: Array("SIZE".utf8))?.afterKeyword, 1)
        XCTAssertEqual(ParameterShift(refusing, keyword: Array("SMTPUTF8".utf8))?.afterKeyword, 0)
    }

    /// The derived words themselves, for a digits form (1-9 digits after its
    /// prefix; states 0 dead, 1 start, 2 digits, which accepts; here the
    /// first and last byte values count as digits too, so that a row left
    /// unwritten at either end shows): every byte's row holds each state's
    /// target times 6 in its 6 bits.
    func testTheDerivedRowsAndAcceptBits() throws {
        let digits = Set(0x30...0x39).union([0x00, 0xFF])
        var byteClass = [UInt8](repeating: 0, count: 256)
        for b in digits { byteClass[b] = 1 }
        var next = [UInt8](repeating: 0, count: 32)
        next[16 + 1] = 0x12  // a digit in state 1: to state 2 (the tag set is dropped)
        next[16 + 2] = 0x02  // a digit in state 2: stays
        var accept = [UInt8](repeating: 0, count: 16)
        accept[2] = 2
        var limits = [Int](repeating: 0, count: 16)
        limits[2] = 9
        let shift = try XCTUnwrap(
            ShiftMatcher.derive(stateCount: 3, byteClass: byteClass, next: next, accept: accept, limits: limits))
        defer { shift.rows.deallocate() }
        let digit: UInt64 = 12 << 6 | 12 << 12  // state 1 to 2, state 2 to 2, state 0 to 0
        for b in 0..<256 { XCTAssertEqual(shift.rows[b], digits.contains(b) ? digit : 0, "byte \(b)") }
        XCTAssertEqual(shift.acceptBits, 1 << 12)
        XCTAssertEqual(shift.longestInput, 9)
    }

    /// Only forms of at most ten states have a shift form, tags or not (it
    /// decides acceptance only); its longest input is the smallest run limit.
    func testWhichFormsHaveOneAndHowLong() throws {
        let tables = ShuffleAutomatonTests.self
        // "AB:" then 1-9 digits, without tags.
        let plain = ShuffleAutomaton(rule: "digits", tagMasks: [0, 0, 0], tables: tables.digitsTables(firstDigit: 0x02))
        let shift = try XCTUnwrap(plain.shift)
        XCTAssertEqual(plain.prefix, Array("AB:".utf8), "the caller matches the prefix; the shift form runs after it")
        XCTAssertEqual(shift.longestInput, 9)
        for (value, expected) in [("1", true), ("123456789", true), ("", false), ("12a", false), ("a", false)] {
            XCTAssertEqual(accepts(shift, Array(value.utf8)), expected, value)
        }
        // Ten digits: past the limit, so not decided here (the table automaton rejects it).
        XCTAssertFalse(accepts(shift, Array("1234567890".utf8)))
        XCTAssertEqual(tables.digits.shift?.longestInput, 9, "the digits form, with its tags")
        // Ten states fit (6 bits each); eleven do not, whoever derives the form.
        for (states, fits) in [(10, true), (11, false)] {
            let form = ShuffleAutomaton(
                rule: "states", tagMasks: [0, 0, 0], tables: tables.digitsTables(states: states, firstDigit: 0x02))
            XCTAssertEqual(form.shift != nil, fits, "\(states) states")
            let derived = ShiftMatcher.derive(
                stateCount: states, byteClass: Array(repeating: 0, count: 256), next: Array(repeating: 0, count: 16),
                accept: Array(repeating: 0, count: 16), limits: Array(repeating: 0, count: 16))
            XCTAssertEqual(derived != nil, fits, "\(states) states, derived directly")
            derived?.rows.deallocate()
        }
    }
}
