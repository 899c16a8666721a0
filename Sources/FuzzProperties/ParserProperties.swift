// Properties of `SMTPCommandParser.parse` on any bytes.
//
// Input layout: byte 0 picks the options (bit 0 lenient, bit 1 SMTPUTF8);
// the rest is the line, passed in place (no copy), so a read past its end
// lands outside libFuzzer's allocation and ASan reports it.

import SMTPCommandParser

public enum ParserProperties {
    /// The options, printed only when a property breaks (building the text per input would dominate the run time).
    struct Mode: CustomStringConvertible {
        let options: SMTPCommandParser.Options
        var description: String { "lenient=\(options.lenient) smtputf8=\(options.smtputf8)" }
    }

    /// One parser per option set, built once (the automata are shared statics).
    static let parsers: [SMTPCommandParser] = (0..<4).map { options(selector: UInt8($0)) }.map { SMTPCommandParser(options: $0) }

    public static func options(selector: UInt8) -> SMTPCommandParser.Options {
        SMTPCommandParser.Options(lenient: selector & 1 != 0, smtputf8: selector & 2 != 0)
    }

    static func parser(_ options: SMTPCommandParser.Options) -> SMTPCommandParser {
        parsers[(options.lenient ? 1 : 0) | (options.smtputf8 ? 2 : 0)]
    }

    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        guard let selector = input.first else { return }
        try checkLine(UnsafeRawBufferPointer(rebasing: input[1...]), options: options(selector: selector))
    }

    /// Every property for one line under one option set.
    public static func checkLine(_ line: UnsafeRawBufferPointer, options: SMTPCommandParser.Options) throws(PropertyViolation) {
        let mode = Mode(options: options)
        let command: SMTPCommand
        let result = parse(parser(options), line)
        try checkVerb(result, line: line, options: options, mode: mode)
        switch result {
        case .success(let c): command = c
        case .failure(let error):
            try checkError(error, line: line, mode: mode)
            return
        }
        let endsInCRLF = line.count >= 2 && line[line.count - 2] == 0x0D && line[line.count - 1] == 0x0A
        try require(
            endsInCRLF, "accepted-without-crlf",
            "\(mode): accepted \(command.verb) but the line does not end in CRLF: \(escaped(line))")
        try checkRanges(command, line: line, mode: mode)
        try checkFields(command, line: line, mode: mode)
        let owned = OwnedSMTPCommand(command, line: line)
        try checkRoundTrip(owned, options: options, mode: mode, line: line)
        try checkPrefixes(line, options: options, mode: mode)

        // Strict acceptance implies lenient acceptance of the same command; an
        // ASCII-mode acceptance implies SMTPUTF8-mode acceptance (RFC 6531 only adds).
        if !options.lenient {
            try checkWiderMode(
                owned, line: line, from: options, to: .init(lenient: true, smtputf8: options.smtputf8),
                what: "strict-accepted-lenient")
        }
        if !options.smtputf8 {
            try checkWiderMode(
                owned, line: line, from: options, to: .init(lenient: options.lenient, smtputf8: true),
                what: "ascii-accepted-smtputf8")
        }
    }

    /// One verb reading (RFC 5321 §4.2.4): `firstToken(of:)` names the verb `parse` judged
    /// the line by, and a first token that is no known verb is a 500 whatever it holds.
    static func checkVerb(
        _ result: Result<SMTPCommand, SMTPSyntaxError>, line: UnsafeRawBufferPointer, options: SMTPCommandParser.Options,
        mode: Mode
    ) throws(PropertyViolation) {
        let token = parser(options).firstToken(of: line)
        try require(
            token.range.lowerBound == 0 && token.range.upperBound <= line.count, "first-token-out-of-bounds",
            "\(mode): \(token.range) for \(escaped(line))")
        switch result {
        case .success(let command):
            try require(
                command.knownVerb == token.verb, "verb-readings-differ",
                "\(mode): parsed as \(command.verb), first token \(String(describing: token.verb)): \(escaped(line))")
        case .failure(let error) where token.verb == nil:
            try require(
                error.replyCode == 500, "first-token-not-a-verb-not-500",
                "\(mode): no known verb in \(escaped(line[token.range])), yet \(error)")
        case .failure(let error):
            try require(
                error.kind != .unknownCommand, "known-verb-unrecognized",
                "\(mode): first token \(String(describing: token.verb)) but \(error): \(escaped(line))")
        }
    }

    /// The reply code of each kind, written down independently of SMTPSyntaxError.swift
    /// (RFC 5321 §4.2.2 / §4.5.3.1, RFC 1870 §6, D11, D12), indexed by kind number:
    /// numbers are never reused.
    static let expectedReply: [(code: Int, name: String)?] = [
        nil, (500, "unknown command"), (501, "invalid arguments"), (500, "incomplete command"),
        (501, "path too long"), (501, "local part too long"), (501, "domain too long"),
        (501, "invalid address literal"), (501, "invalid parameter value"), (501, "duplicate parameter"),
        (555, "parameter not allowed here"), (552, "size too large"), (500, "line too long"),
        (500, "bare LF"), (500, "bare CR"), (501, "NUL byte"), (501, "non-ASCII byte without SMTPUTF8"),
    ]

    /// (kind, hint) pairs whose texts were already checked: formatting them for every
    /// input would cost more than the parse. The harness is single-threaded.
    nonisolated(unsafe) static var checkedTexts = Set<Int>()

    static func checkError(_ error: SMTPSyntaxError, line: UnsafeRawBufferPointer, mode: Mode) throws(PropertyViolation) {
        try require(
            error.offset >= 0 && error.offset <= line.count, "error-offset-out-of-bounds",
            "\(mode): offset \(error.offset) outside 0...\(line.count) for \(escaped(line))")
        let number = Int(error.kind.number)
        guard number < expectedReply.count, let expected = expectedReply[number] else {
            throw PropertyViolation("unknown-error-kind", "\(mode): kind number \(number) (\(error.kind)) is not in the table")
        }
        try require(
            error.replyCode == expected.code && error.kind.replyCode == expected.code, "reply-code-inconsistent",
            "\(mode): \(error.kind) answers \(error.replyCode), expected \(expected.code)")
        let endsInCRLF = line.count >= 2 && line[line.count - 2] == 0x0D && line[line.count - 1] == 0x0A
        try require(
            !(endsInCRLF && error.kind == .incomplete), "complete-line-incomplete",
            "\(mode): a line ending in CRLF is reported incomplete (rule \(error.rule)): \(escaped(line))")
        try require(
            !(line.isEmpty && error.kind != .incomplete), "empty-line-not-incomplete", "\(mode): empty input gave \(error.kind)")

        let key = number &<< 56 | Int(bitPattern: error.hint.utf8Start)
        guard !checkedTexts.contains(key) else { return }
        checkedTexts.insert(key)
        try require(
            "\(error.kind.name)" == expected.name, "error-kind-renamed", "\(mode): kind \(number) is now \"\(error.kind.name)\"")
        let status = "\(error.kind.enhancedStatus)"
        try require(
            status.first == "\(expected.code)".first, "enhanced-status-inconsistent",
            "\(mode): \(error.kind) has enhanced status \(status) for reply \(expected.code)")
        try require(
            error.replyText.hasPrefix("\(expected.code) \(status) "), "reply-text-inconsistent", "\(mode): \(error.replyText)")
    }

    static func inBounds(_ r: Range<Int>?, _ count: Int) -> Bool {
        guard let r else { return true }
        return r.lowerBound >= 0 && r.upperBound <= count
    }

    static func checkRanges(_ command: SMTPCommand, line: UnsafeRawBufferPointer, mode: Mode) throws(PropertyViolation) {
        let n = line.count
        var ranges: [(String, Range<Int>?)] = []
        switch command {
        case .ehlo(let d), .helo(let d): ranges = [("domain", d)]
        case .mail(let m):
            ranges = [("path", m.path), ("parameters", m.parameters), ("auth", m.auth), ("envelopeID", m.envelopeID)]
        case .rcpt(let r):
            ranges = [
                ("path", r.path), ("parameters", r.parameters), ("orcpt type", r.originalRecipientType),
                ("orcpt", r.originalRecipient),
            ]
        case .vrfy(let a, _), .expn(let a, _): ranges = [("argument", a)]
        case .help(let a), .noop(let a): ranges = [("argument", a)]
        case .auth(let m, let r): ranges = [("mechanism", m), ("initialResponse", r)]
        case .clientID(let t, let k): ranges = [("type", t), ("token", k)]
        case .unknown(let v): ranges = [("verb", v)]
        case .data, .bdat, .rset, .quit, .startTLS: ranges = []
        }
        for (name, range) in ranges {
            try require(
                inBounds(range, n), "range-out-of-bounds",
                "\(mode): \(command.verb) field \(name) = \(String(describing: range)) outside 0..<\(n) for \(escaped(line))")
        }
    }

    /// Fields agree with the text they came from.
    static func checkFields(_ command: SMTPCommand, line: UnsafeRawBufferPointer, mode: Mode) throws(PropertyViolation) {
        func upper(_ r: Range<Int>) -> [UInt8] { line[r].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 } }
        switch command {
        case .vrfy(let a, true), .expn(let a, true):
            // RFC 6531 §3.7.4.2: the flag comes from an explicit " SMTPUTF8" after the argument.
            let after = a.upperBound..<min(a.upperBound + 9, line.count)
            try require(
                upper(after) == Array(" SMTPUTF8".utf8), "smtputf8-flag-without-keyword",
                "\(mode): \(command.verb) has smtputf8 = true but the argument is followed by \(escaped(line[after])): \(escaped(line))"
            )
        case .clientID(let t, let k):
            // D2: 1*16 type characters, 1*128 VCHAR.
            try require(
                (1...16).contains(t.count) && (1...128).contains(k.count), "clientid-field-length",
                "\(mode): type \(t.count) / token \(k.count) bytes: \(escaped(line))")
            try require(line[k].allSatisfy { $0 >= 0x21 && $0 <= 0x7E }, "clientid-token-not-vchar", "\(mode): \(escaped(line))")
        default:
            break
        }
    }

    static func checkRoundTrip(
        _ owned: OwnedSMTPCommand, options: SMTPCommandParser.Options, mode: Mode, line: UnsafeRawBufferPointer
    ) throws(PropertyViolation) {
        let text = owned.serialized()
        let reparsed: Result<OwnedSMTPCommand, SMTPSyntaxError> = text.withUnsafeBytes { buffer in
            parse(parser(options), buffer).map { OwnedSMTPCommand($0, line: buffer) }
        }
        let again: OwnedSMTPCommand
        switch reparsed {
        case .success(let command): again = command
        case .failure(let error):
            // The error kind is part of the symptom: different causes, different bugs.
            throw PropertyViolation(
                "round-trip-rejected-\(slug(error.kind.name))",
                "\(mode): \(escaped(line)) serialises to \(escaped(text)), which is refused: \(error)")
        }
        try require(
            again == owned, "round-trip-mismatch",
            "\(mode): \(escaped(line)) → \(owned) → \(escaped(text)) → \(again)")
    }

    /// CONTRIBUTING.md, House style: every proper prefix of a valid line is "incomplete", never an error.
    /// A prefix that itself ends in CRLF is a complete line (an unknown verb's
    /// line may hold an inner CRLF; the framer never passes one), so it is skipped.
    static func checkPrefixes(_ line: UnsafeRawBufferPointer, options: SMTPCommandParser.Options, mode: Mode)
        throws(PropertyViolation)
    {
        let parser = parser(options)
        // Three prefixes: without the LF, without CRLF, and one chosen by the
        // line's bytes (deterministic, so a replay checks the same ones). Every
        // prefix of every line would cost many times the parse itself.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in line { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let ends = (line.count - 1, line.count - 2, Int(h % UInt64(max(line.count, 1))))
        for end in [ends.0, ends.1, ends.2] where end >= 0 {
            if end >= 2 && line[end - 2] == 0x0D && line[end - 1] == 0x0A { continue }
            let prefix = UnsafeRawBufferPointer(rebasing: line[0..<end])
            switch parse(parser, prefix) {
            case .success(let command):
                throw PropertyViolation(
                    "prefix-accepted",
                    "\(mode): the proper prefix \(escaped(prefix)) of \(escaped(line)) parses as \(command.verb)")
            case .failure(let error):
                try require(
                    error.kind == .incomplete, "prefix-not-incomplete",
                    "\(mode): the proper prefix \(escaped(prefix)) of the valid \(escaped(line)) gives \(error) instead of incomplete"
                )
            }
        }
    }

    static func parse(_ parser: SMTPCommandParser, _ line: UnsafeRawBufferPointer) -> Result<SMTPCommand, SMTPSyntaxError> {
        do throws(SMTPSyntaxError) { return .success(try parser.parse(line)) } catch { return .failure(error) }
    }

    static func checkWiderMode(
        _ owned: OwnedSMTPCommand, line: UnsafeRawBufferPointer, from: SMTPCommandParser.Options,
        to: SMTPCommandParser.Options, what: String
    ) throws(PropertyViolation) {
        let wider: OwnedSMTPCommand
        switch parse(parser(to), line) {
        case .success(let c): wider = OwnedSMTPCommand(c, line: line)
        case .failure(let error):
            throw PropertyViolation(
                "\(what)-rejected",
                "accepted with lenient=\(from.lenient) smtputf8=\(from.smtputf8), refused with lenient=\(to.lenient) smtputf8=\(to.smtputf8): \(error): \(escaped(line))"
            )
        }
        try require(
            wider == owned, "\(what)-differs",
            "lenient=\(from.lenient) smtputf8=\(from.smtputf8) gives \(owned), lenient=\(to.lenient) smtputf8=\(to.smtputf8) gives \(wider): \(escaped(line))"
        )
    }
}
