// The SIMD kernel path against the table automata ("fast path = portable
// path"): the parser gives the same command or the same error with every
// kernel this CPU runs as with the table automata alone, and every line a
// shuffle automaton accepts, its table automaton accepts with the same
// captures. A shuffle form's shift form (the portable shift DFA that small
// forms also have) accepts after the prefix exactly what the shuffle form
// accepts, up to its longest input, and only what the table automaton accepts.
//
// Input layout: byte 0 bit 2 clear: a line for the parser, bits 0-1 pick the
// options as in the parser target (so its inputs are this target's too); the
// rest is the line. Bit 2 set: byte 1 picks a shuffle automaton (byte1 %
// count, over the four generated files' shuffle forms in file order) and the
// rest is its input.

import SMTPCommandParser
import SMTPParserKernels

public enum KernelProperties {
    /// The kernels this CPU runs; on a CPU with none, the properties hold trivially.
    static let kernels = ShuffleKernel.allCases.filter(\.isSupported)

    static let parsers: [(tables: SMTPCommandParser, kernels: [SMTPCommandParser])] = (0..<4).map { selector in
        let options = ParserProperties.options(selector: UInt8(selector))
        return (SMTPCommandParser(options: options, kernel: nil), kernels.map { SMTPCommandParser(options: options, kernel: $0) })
    }

    /// Every shuffle form with the table automaton of the same rule and file, in selector order.
    public static let automata: [(file: String, shuffle: ShuffleAutomaton, table: Automaton)] = {
        let files: [(String, [Automaton], (String) -> ShuffleAutomaton?)] = [
            ("SMTPGrammar", SMTPGrammar.all, SMTPGrammar.Shuffle.automaton(forRule:)),
            ("SMTPGrammarUTF8", SMTPGrammarUTF8.all, SMTPGrammarUTF8.Shuffle.automaton(forRule:)),
            ("SMTPGrammarLenient", SMTPGrammarLenient.all, SMTPGrammarLenient.Shuffle.automaton(forRule:)),
            ("SMTPGrammarLenientUTF8", SMTPGrammarLenientUTF8.all, SMTPGrammarLenientUTF8.Shuffle.automaton(forRule:)),
        ]
        return files.flatMap { file, tables, shuffle in
            tables.compactMap { table in shuffle(table.rule).map { (file, $0, table) } }
        }
    }()

    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        guard let selector = input.first else { return }
        if selector & 4 == 0 {
            try checkLine(UnsafeRawBufferPointer(rebasing: input[1...]), selector: selector & 3)
        } else if input.count >= 2 {
            let entry = automata[Int(input[1]) % automata.count]
            try checkAutomaton(entry.file, entry.shuffle, entry.table, UnsafeRawBufferPointer(rebasing: input[2...]))
        }
    }

    /// The parser with each kernel against the parser with the table automata alone.
    public static func checkLine(_ line: UnsafeRawBufferPointer, selector: UInt8) throws(PropertyViolation) {
        let (tables, withKernels) = parsers[Int(selector)]
        let expected = ParserProperties.parse(tables, line)
        for (kernel, parser) in zip(kernels, withKernels) {
            let found = ParserProperties.parse(parser, line)
            try require(
                found == expected, "kernel-differs-from-tables",
                "lenient=\(tables.options.lenient) smtputf8=\(tables.options.smtputf8): the \(kernel) kernel gives \(found), the table automata \(expected), on \(escaped(line))"
            )
        }
    }

    /// A shuffle automaton accepts only what its table automaton accepts, with the same captures.
    public static func checkAutomaton(
        _ file: String, _ shuffle: ShuffleAutomaton, _ table: Automaton, _ input: UnsafeRawBufferPointer
    ) throws(PropertyViolation) {
        var expected = CaptureTags()
        let outcome = table.match(input, captures: &expected)
        for kernel in kernels {
            var found = CaptureTags()
            guard shuffle.matcher.match(input, captures: &found, kernel: kernel) else { continue }
            try require(
                outcome == .accepted, "shuffle-accepts-rejected",
                "\(file).Shuffle.\(shuffle.rule) (\(kernel)) accepts what the table automaton finds \(outcome): \(escaped(input))"
            )
            try require(
                found == expected, "shuffle-captures-differ",
                "\(file).Shuffle.\(shuffle.rule) (\(kernel)) captures \(found), the table automaton \(expected): \(escaped(input))"
            )
        }
        if let shift = shuffle.shift { try checkShift(file, shuffle, shift, table, input) }
    }

    /// The shift form over `input` after its prefix, against the table
    /// automaton and the shuffle form over the prefix and `input`.
    static func checkShift(
        _ file: String, _ shuffle: ShuffleAutomaton, _ shift: ShiftMatcher, _ table: Automaton, _ input: UnsafeRawBufferPointer
    ) throws(PropertyViolation) {
        let whole = shuffle.prefix + Array(input)
        // The form runs over the bytes after its prefix; one spare byte, so that
        // an empty input still has a pointer.
        let accepts = (whole + [0]).withUnsafeBufferPointer {
            shift.accepts($0.baseAddress!, from: shuffle.prefix.count, to: whole.count)
        }
        let tableOutcome = whole.withUnsafeBytes { table.match($0) }
        if accepts {
            try require(
                tableOutcome == .accepted, "shift-accepts-rejected",
                "\(file).Shuffle.\(shuffle.rule) (shift form) accepts what the table automaton finds \(tableOutcome): \(escaped(input)) after its prefix"
            )
        }
        // The shuffle form decides only up to its longest input and the kernel's
        // (past either, the kernel hands the input back undecided).
        guard input.count <= shift.longestInput, input.count <= Int(SMTP_SHUFFLE_MAX_INPUT) else { return }
        for kernel in kernels {
            var unused = CaptureTags()
            let shuffleAccepts = whole.withUnsafeBytes { shuffle.matcher.match($0, captures: &unused, kernel: kernel) }
            try require(
                accepts == shuffleAccepts, "shift-differs-from-shuffle",
                "\(file).Shuffle.\(shuffle.rule): the shift form \(accepts ? "accepts" : "does not accept") \(escaped(input)) after its prefix, the \(kernel) kernel \(shuffleAccepts ? "does" : "does not")"
            )
        }
    }
}
