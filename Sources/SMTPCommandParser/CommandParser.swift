// Turns one command line (CRLF included) into a typed command. The verb is
// read as an integer to pick the command's automaton; the automaton then
// makes every syntax decision over the whole line, byte by byte, and its
// capture tags give the fields. What the RFCs say in prose (length limits,
// the IPv6 tag of an address literal, SIZE overflow, which parameter goes
// with which command) is checked here, after the automaton accepted.

import SMTPParserRuntime

public struct SMTPCommandParser: Sendable {
    public struct Options: Sendable, Equatable {
        /// Accept the deviations of Grammar/lenient.abnf (L1–L4). Off: exactly the RFC grammar.
        public var lenient: Bool
        /// Apply RFC 6531's grammar. Off: any byte above 0x7F is a 501.
        public var smtputf8: Bool

        public init(lenient: Bool = false, smtputf8: Bool = false) {
            self.lenient = lenient
            self.smtputf8 = smtputf8
        }
    }

    public let options: Options
    /// The SIMD kernel that steps the grammar's shuffle forms, or nil when
    /// only the table automata run (the verdicts and fields are the same).
    public let kernel: ShuffleKernel?
    let automata: CommandAutomata

    /// A parser that uses the best SIMD kernel this CPU supports (`ShuffleKernel.best`).
    public init(options: Options = Options()) {
        self.init(options: options, kernel: ShuffleKernel.best)
    }

    /// A parser that uses `kernel`, or the table automata alone when it is
    /// nil or this CPU cannot run it.
    public init(options: Options = Options(), kernel: ShuffleKernel?) {
        self.options = options
        self.kernel = kernel.flatMap { $0.isSupported ? $0 : nil }
        switch (options.lenient, options.smtputf8) {
        case (false, false): automata = .strict
        case (false, true): automata = .smtputf8
        case (true, false): automata = .lenient
        case (true, true): automata = .lenientSMTPUTF8
        }
    }

    /// Parses one line, which should end in CRLF. Ranges in the result are
    /// offsets into `line`.
    public func parse(_ line: UnsafeRawBufferPointer) throws(SMTPSyntaxError) -> SMTPCommand {
        try LineParse(line: line, options: options, kernel: kernel).run(automata)
    }

    /// The first token of a command line, as `parse` reads it.
    public struct FirstToken: Sendable, Equatable {
        /// From the line's first byte up to its first SP or CR (in lenient mode also
        /// HTAB, L3), or to the end of the input.
        public var range: Range<Int>
        /// The verb the token is, in any letter case (RFC 5321 §2.4), when this parser
        /// knows it: `parse` then judges the rest of the line by that command's grammar.
        /// Nil for any other token, which `parse` answers with a 500 (`.unknown` or
        /// `unknownCommand`) whatever bytes the line holds.
        public var verb: SMTPVerb?
    }

    /// The first token of `line`, read as `parse` reads it, without parsing the
    /// rest: for a server that needs the verb of a line the parser refused (the
    /// rules that come before a syntax reply, D6–D10) or of any line (telling an
    /// HTTP request from a command). Allocates nothing.
    public func firstToken(of line: UnsafeRawBufferPointer) -> FirstToken {
        let reading = LineParse(line: line, options: options, kernel: nil)
        var end = 0
        while end < line.count && !reading.endsVerb(line[end]) { end += 1 }
        let (packed, length) = reading.readVerb()
        return FirstToken(range: 0..<end, verb: length > 0 && length <= 8 ? SMTPVerb(packed: packed) : nil)
    }

    /// The first token of a line held in an array.
    public func firstToken(of line: [UInt8]) -> FirstToken {
        line.withUnsafeBytes { firstToken(of: $0) }
    }

    /// Parses one line held in an array (a convenience for tests and tools).
    public func parse(_ line: [UInt8]) throws(SMTPSyntaxError) -> SMTPCommand {
        let result: Result<SMTPCommand, SMTPSyntaxError> = line.withUnsafeBytes { buffer in
            do throws(SMTPSyntaxError) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// Verbs packed as big-endian ASCII integers, upper case (literals, so a
/// `switch` over them compiles to comparisons with constants).
enum Verb {
    static let ehlo: UInt64 = 0x45484C4F  // "EHLO"
    static let helo: UInt64 = 0x48454C4F  // "HELO"
    static let mail: UInt64 = 0x4D41494C  // "MAIL"
    static let rcpt: UInt64 = 0x52435054  // "RCPT"
    static let data: UInt64 = 0x44415441  // "DATA"
    static let bdat: UInt64 = 0x42444154  // "BDAT"
    static let rset: UInt64 = 0x52534554  // "RSET"
    static let vrfy: UInt64 = 0x56524659  // "VRFY"
    static let expn: UInt64 = 0x4558504E  // "EXPN"
    static let help: UInt64 = 0x48454C50  // "HELP"
    static let noop: UInt64 = 0x4E4F4F50  // "NOOP"
    static let quit: UInt64 = 0x51554954  // "QUIT"
    static let startTLS: UInt64 = 0x5354415254544C53  // "STARTTLS"
    static let auth: UInt64 = 0x41555448  // "AUTH"
    static let clientID: UInt64 = 0x434C49454E544944  // "CLIENTID"
}

extension SMTPVerb {
    /// The known verb packed as `LineParse.readVerb` packs it; nil for any other.
    init?(packed: UInt64) {
        switch packed {
        case Verb.ehlo: self = .ehlo
        case Verb.helo: self = .helo
        case Verb.mail: self = .mail
        case Verb.rcpt: self = .rcpt
        case Verb.data: self = .data
        case Verb.bdat: self = .bdat
        case Verb.rset: self = .rset
        case Verb.vrfy: self = .vrfy
        case Verb.expn: self = .expn
        case Verb.help: self = .help
        case Verb.noop: self = .noop
        case Verb.quit: self = .quit
        case Verb.startTLS: self = .startTLS
        case Verb.auth: self = .auth
        case Verb.clientID: self = .clientID
        default: return nil
        }
    }
}

enum Hint {
    static let ehlo: StaticString = "EHLO SP ( Domain / address-literal ) CRLF"
    static let helo: StaticString = "HELO SP Domain CRLF"
    static let mail: StaticString = "MAIL FROM:<reverse-path> [SP mail-parameters] CRLF"
    static let rcpt: StaticString = "RCPT TO:<forward-path> [SP rcpt-parameters] CRLF"
    static let data: StaticString = "DATA CRLF"
    static let bdat: StaticString = "BDAT SP chunk-size [SP LAST] CRLF"
    static let rset: StaticString = "RSET CRLF"
    static let vrfy: StaticString = "VRFY SP String CRLF"
    static let expn: StaticString = "EXPN SP String CRLF"
    static let help: StaticString = "HELP [SP String] CRLF"
    static let noop: StaticString = "NOOP [SP String] CRLF"
    static let quit: StaticString = "QUIT CRLF"
    static let startTLS: StaticString = "STARTTLS CRLF"
    static let auth: StaticString = "AUTH SP mechanism [SP initial-response] CRLF"
    static let clientID: StaticString = "CLIENTID SP client-id-type SP client-id-token CRLF"
    static let command: StaticString = "VERB [SP arguments] CRLF, e.g. EHLO, MAIL, RCPT, DATA, QUIT"
}

/// The automata are passed to the methods that need them rather than
/// stored: a struct holding the class reference made the compiler retain and
/// release it on every line, where a parameter is borrowed for free.
struct LineParse {
    let line: UnsafeRawBufferPointer
    let options: Options
    let kernel: ShuffleKernel?
    typealias Options = SMTPCommandParser.Options

    @inline(__always) func byte(_ i: Int) -> UInt8 { line[i] }

    /// Not `mutating`: reading the matchers through an inout self made the
    /// compiler retain and release one per line. Inlined into `parse`: called,
    /// it returned the command into a temporary that `parse` then copied, and
    /// the copy's loads straddled the callee's narrower stores, so they could
    /// not be forwarded (perf put two thirds of `parse`'s samples on one load).
    @inline(__always)
    func run(_ a: CommandAutomata) throws(SMTPSyntaxError) -> SMTPCommand {
        let (verb, length) = readVerb()
        guard length > 0 else { throw notAVerb(length) }
        if length > 8 { return try unknown(length) }
        // Filled in place by the matcher: returned, the tags were copied from
        // stores the kernel's path had just made, whose loads could not be forwarded.
        var tags = CaptureTags()
        // One indirect jump instead of a search over the verbs (whose branches
        // the predictor misses on a mix of commands): the verbs' first four
        // letters hash to distinct slots; each slot checks its whole verb.
        let first4 = UInt32(truncatingIfNeeded: verb &>> (8 &* UInt64(max(length &- 4, 0))))
        switch (first4 &* 0xE2F4_9373) &>> 28 {
        case 1:
            guard verb == Verb.ehlo else { return try unknown(length) }
            try run(a.ehlo, Hint.ehlo, verb: length, &tags)
            let domain = tags.range(ofField: a.ehloDomain)!
            try checkDomain(domain, hint: Hint.ehlo, a)
            return .ehlo(domain: domain)
        case 11:
            guard verb == Verb.helo else { return try unknown(length) }
            try run(a.helo, Hint.helo, verb: length, &tags)
            let domain = tags.range(ofField: a.heloDomain)!
            try checkDomain(domain, hint: Hint.helo, a)
            return .helo(domain: domain)
        case 2:
            guard verb == Verb.mail else { return try unknown(length) }
            try run(a.mail, Hint.mail, verb: length, &tags)
            var command = MailCommand(
                path: try path(tags.range(ofField: a.mailPath), after: 10, hint: Hint.mail, a),
                parameters: trimmed(tags.range(ofField: a.mailParameters)))
            if let parameters = command.parameters { try decodeMailParameters(parameters, a).apply(to: &command) }
            return .mail(command)
        case 5:
            guard verb == Verb.rcpt else { return try unknown(length) }
            try run(a.rcpt, Hint.rcpt, verb: length, &tags)
            var command = RcptCommand(
                path: try path(tags.range(ofField: a.rcptPath), after: 8, hint: Hint.rcpt, a),
                parameters: trimmed(tags.range(ofField: a.rcptParameters)))
            if let parameters = command.parameters { try decodeRcptParameters(parameters, a).apply(to: &command) }
            return .rcpt(command)
        case 13:
            guard verb == Verb.data else { return try unknown(length) }
            try run(a.data, Hint.data, verb: length, &tags)
            return .data
        case 6:
            guard verb == Verb.bdat else { return try unknown(length) }
            try run(a.bdat, Hint.bdat, verb: length, &tags)
            let sizeRange = tags.range(ofField: a.bdatSize)!
            guard let size = decimal(sizeRange) else {
                throw fail(.sizeTooLarge, at: sizeRange.lowerBound, rule: "chunk-size", hint: Hint.bdat)
            }
            return .bdat(size: size, last: tags.range(ofField: a.bdatLast) != nil)
        case 0:
            guard verb == Verb.rset else { return try unknown(length) }
            try run(a.rset, Hint.rset, verb: length, &tags)
            return .rset
        case 10:
            guard verb == Verb.vrfy else { return try unknown(length) }
            try run(a.vrfy, Hint.vrfy, verb: length, &tags)
            let argument = tags.range(ofField: a.vrfyArgument)!
            return .vrfy(argument: argument, smtputf8: hasSMTPUTF8Suffix(after: argument))
        case 4:
            guard verb == Verb.expn else { return try unknown(length) }
            try run(a.expn, Hint.expn, verb: length, &tags)
            let argument = tags.range(ofField: a.expnArgument)!
            return .expn(argument: argument, smtputf8: hasSMTPUTF8Suffix(after: argument))
        case 9:
            guard verb == Verb.help else { return try unknown(length) }
            try run(a.help, Hint.help, verb: length, &tags)
            return .help(argument: tags.range(ofField: a.helpArgument))
        case 15:
            guard verb == Verb.noop else { return try unknown(length) }
            try run(a.noop, Hint.noop, verb: length, &tags)
            return .noop(argument: tags.range(ofField: a.noopArgument))
        case 8:
            guard verb == Verb.quit else { return try unknown(length) }
            try run(a.quit, Hint.quit, verb: length, &tags)
            return .quit
        case 7:
            guard verb == Verb.startTLS else { return try unknown(length) }
            try run(a.startTLS, Hint.startTLS, verb: length, &tags)
            return .startTLS
        case 3:
            guard verb == Verb.auth else { return try unknown(length) }
            try run(a.auth, Hint.auth, verb: length, &tags)
            return .auth(
                mechanism: tags.range(ofField: a.authMechanism)!, initialResponse: tags.range(ofField: a.authInitialResponse))
        case 12:
            guard verb == Verb.clientID else { return try unknown(length) }
            try run(a.clientID, Hint.clientID, verb: length, &tags)
            return .clientID(type: tags.range(ofField: a.clientIDType)!, token: tags.range(ofField: a.clientIDToken)!)
        default:
            return try unknown(length)
        }
    }

    /// The one reading of the verb, for `parse` and `SMTPCommandParser.firstToken(of:)`:
    /// the letters of the line's first token, upper case and packed big-endian
    /// (RFC 5321 §2.4: verbs are case-insensitive), and the token's length. The
    /// token ends at SP or CR, in lenient mode also at HTAB (L3: "DATA" HTAB CRLF),
    /// or where the input ends. A token that is no verb has a length of 0 or less
    /// (`notAVerb` says why). Past 8 letters the packed value is meaningless: no
    /// known verb is that long. It returns rather than throws so that it is inlined
    /// into `parse`: a throwing one stayed a call on every line.
    @inline(__always)
    func readVerb() -> (verb: UInt64, length: Int) {
        var verb: UInt64 = 0
        var length = 0
        // Most verbs are four letters and a delimiter: test the four at once.
        // With no byte above 0x7F, x = w | 0x20 per byte is a letter iff
        // 0x61 <= x <= 0x7A: adding 5 sets bit 7 of bytes above 0x7A, and
        // (x | 0x80) - 0x61 clears it in bytes below 0x61 (no carries either way).
        if line.count >= 5, let base = line.baseAddress {
            let w = base.loadUnaligned(as: UInt32.self)
            let x = w | 0x2020_2020
            let above = x &+ 0x0505_0505
            let below = ~((x | 0x8080_8080) &- 0x6161_6161)
            let next = base.load(fromByteOffset: 4, as: UInt8.self)
            if (w | above | below) & 0x8080_8080 == 0 {
                if endsVerb(next) {
                    verb = UInt64((w & 0xDFDF_DFDF).bigEndian)
                    length = 4
                } else if line.count >= 9 {
                    // The eight-letter verbs (STARTTLS, CLIENTID): the same test on eight bytes.
                    let w8 = base.loadUnaligned(as: UInt64.self)
                    let x8 = w8 | 0x2020_2020_2020_2020
                    let above8 = x8 &+ 0x0505_0505_0505_0505
                    let below8 = ~((x8 | 0x8080_8080_8080_8080) &- 0x6161_6161_6161_6161)
                    if (w8 | above8 | below8) & 0x8080_8080_8080_8080 == 0
                        && endsVerb(base.load(fromByteOffset: 8, as: UInt8.self))
                    {
                        verb = (w8 & 0xDFDF_DFDF_DFDF_DFDF).bigEndian
                        length = 8
                    }
                }
            }
        }
        if length == 0 {
            while length < line.count {
                let b = line[length]
                if endsVerb(b) { break }
                guard (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A else { return (0, -1 - length) }
                verb = verb << 8 | UInt64(b & ~0x20)
                length += 1
            }
        }
        return (verb, length)
    }

    /// SP and CR end the verb, and HTAB in lenient mode only: strictly, "QUIT" HTAB
    /// is one token that is no verb (L3 is lenient.abnf's). LF never ends it (D12).
    @inline(__always) func endsVerb(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0D || (b == 0x09 && options.lenient)
    }

    /// A first token that is no verb (`readVerb`'s `length` of 0 or less): an empty one,
    /// or one with a byte that is not a letter at offset -1 - `length`. The line is
    /// "command unrecognized" (500, RFC 5321 §4.2.4) whatever the byte, NUL and bytes
    /// above 0x7F included: the 501s of D5 are for the arguments of a known verb. A
    /// bare LF keeps its own name, also a 500 (D12).
    func notAVerb(_ length: Int) -> SMTPSyntaxError {
        guard length < 0 else {
            return fail(line.isEmpty ? .incomplete : .unknownCommand, at: 0, rule: "command", hint: Hint.command, scanned: true)
        }
        let offset = -1 - length
        return SMTPSyntaxError(
            line[offset] == 0x0A ? .bareLineFeed : .unknownCommand, offset: offset, rule: "command", hint: Hint.command)
    }

    /// An alphabetic verb we do not know: reported as a command (the
    /// session answers 500) once the line is known to be complete.
    func unknown(_ length: Int) throws(SMTPSyntaxError) -> SMTPCommand {
        guard line.count >= 2, line[line.count - 2] == 0x0D, line[line.count - 1] == 0x0A else {
            throw SMTPSyntaxError(.incomplete, offset: line.count, rule: "command", hint: Hint.command)
        }
        return .unknown(verb: 0..<length)
    }

    /// Runs the command's shuffle form over the whole line; when it does not
    /// accept, the table automaton (from after its literal prefix when the
    /// line starts with it), which decides.
    /// `verb` letters at the start of the line are known to spell its verb.
    @_transparent
    func run(_ matcher: CommandMatcher, _ hint: StaticString, verb: Int, _ tags: inout CaptureTags) throws(SMTPSyntaxError) {
        if let kernel, line.count >= matcher.kernelMinimum, let shuffle = matcher.shuffle,
            shuffle.match(line, captures: &tags, kernel: kernel)
        {
            return
        }
        try runTable(matcher, hint, verb: verb, &tags)
    }

    /// The table automaton's run, and its error. Not inlined: each command's
    /// case then holds only the kernel's call, and shares this code.
    @inline(never)
    func runTable(_ matcher: CommandMatcher, _ hint: StaticString, verb: Int, _ tags: inout CaptureTags) throws(SMTPSyntaxError) {
        let automaton = matcher.automaton
        let outcome: MatchOutcome
        if matcher.row >= 0, matcher.matchesPrefix(line, verified: verb) {
            outcome = automaton.run(line, from: matcher.prefixLength, row: matcher.row, captures: &tags, recording: true)
        } else {
            outcome = automaton.match(line, captures: &tags)
        }
        switch outcome {
        case .accepted:
            return
        case .incomplete(let state):
            throw SMTPSyntaxError(.incomplete, offset: line.count, rule: automaton.ruleName(atState: state), hint: hint)
        case .rejected(let offset, let state):
            throw fail(.invalidArguments, at: offset, rule: automaton.ruleName(atState: state), hint: hint)
        }
    }

    /// Names the byte-level reason when the offending byte explains it better
    /// than the grammar (framing bytes, NUL, non-ASCII without SMTPUTF8).
    func fail(_ kind: SMTPSyntaxError.Kind, at offset: Int, rule: String, hint: StaticString, scanned: Bool = false)
        -> SMTPSyntaxError
    {
        guard offset < line.count else { return SMTPSyntaxError(kind, offset: offset, rule: rule, hint: hint) }
        let b = line[offset]
        let specific: SMTPSyntaxError.Kind
        if offset > 0 && line[offset - 1] == 0x0D && b != 0x0A {
            // The automaton took that CR for the start of CRLF: a bare CR (D12).
            return SMTPSyntaxError(.bareCarriageReturn, offset: offset - 1, rule: rule, hint: hint)
        } else if b == 0x00 {
            specific = .nulByte
        } else if b == 0x0A {
            specific = .bareLineFeed
        } else if b == 0x0D && !(offset + 1 < line.count && line[offset + 1] == 0x0A) {
            specific = offset + 1 == line.count ? .incomplete : .bareCarriageReturn
        } else if b >= 0x80 && !options.smtputf8 {
            specific = .nonASCII
        } else {
            specific = kind
        }
        return SMTPSyntaxError(specific, offset: offset, rule: rule, hint: hint)
    }

    // MARK: Paths (RFC 5321 §4.1.2, limits of §4.5.3.1)

    /// The mailbox range for `path` (nil for `<>`), after checking the limits.
    /// `after` is the offset just past "FROM:" / "TO:".
    func path(_ mailbox: Range<Int>?, after: Int, hint: StaticString, _ a: CommandAutomata) throws(SMTPSyntaxError)
        -> Range<Int>
    {
        var start = after
        while start < line.count && (line[start] == 0x20) { start += 1 }  // L1 (lenient only reaches here with spaces)
        guard let mailbox else {
            // "<>": an empty range just inside the brackets.
            return (start + 1)..<(start + 1)
        }
        let bracketed = mailbox.upperBound < line.count && line[mailbox.upperBound] == UInt8(ascii: ">")
        let end = bracketed ? mailbox.upperBound + 1 : mailbox.upperBound
        // RFC 5321 §4.5.3.1.3 counts the angle brackets: a lenient (L2) path
        // written without them gets the same limit as its canonical form.
        let limit = bracketed ? 256 : 254
        if end - start > limit {
            throw SMTPSyntaxError(.pathTooLong, offset: start + limit, rule: "Path", hint: hint)
        }
        // Postmaster without a domain has no local-part/domain split.
        guard let at = domainSeparator(in: mailbox) else { return mailbox }
        if at - mailbox.lowerBound > 64 {
            throw SMTPSyntaxError(.localPartTooLong, offset: mailbox.lowerBound + 64, rule: "Local-part", hint: hint)
        }
        try checkDomain((at + 1)..<mailbox.upperBound, hint: hint, a)
        return mailbox
    }

    /// The "@" between local part and domain: the first one after the local
    /// part, which may be a quoted string containing "@" itself.
    func domainSeparator(in mailbox: Range<Int>) -> Int? {
        var i = mailbox.lowerBound
        if i < mailbox.upperBound && line[i] == 0x22 {
            i += 1
            while i < mailbox.upperBound && line[i] != 0x22 { i += line[i] == 0x5C ? 2 : 1 }
            i += 1
        }
        guard let base = line.baseAddress else { return nil }
        let at = ByteScan.firstIndex(
            of: UInt8(ascii: "@"), in: base.assumingMemoryBound(to: UInt8.self), from: i, to: mailbox.upperBound)
        return at < mailbox.upperBound ? at : nil
    }

    /// RFC 5321 §4.5.3.1.2 length, and the IPv6 syntax of `[IPv6:...]`
    /// literals (RFC 5321 §4.1.3; the general literal form would accept anything).
    func checkDomain(_ domain: Range<Int>, hint: StaticString, _ a: CommandAutomata)
        throws(SMTPSyntaxError)
    {
        if domain.count > 255 {
            throw SMTPSyntaxError(.domainTooLong, offset: domain.lowerBound + 255, rule: "Domain", hint: hint)
        }
        let tag: [UInt8] = [0x5B, 0x49, 0x50, 0x56, 0x36, 0x3A]  // "[IPv6:"
        guard domain.count > tag.count + 1, line[domain.upperBound - 1] == 0x5D else { return }
        for (i, t) in tag.enumerated() where asciiUpper(line[domain.lowerBound + i]) != asciiUpper(t) { return }
        let inner = UnsafeRawBufferPointer(rebasing: line[(domain.lowerBound + tag.count)..<(domain.upperBound - 1)])
        if case .rejected(let offset, _) = a.ipv6Addr.match(inner) {
            throw SMTPSyntaxError(
                .invalidAddressLiteral, offset: domain.lowerBound + tag.count + offset, rule: "IPv6-addr", hint: hint)
        } else if a.ipv6Addr.match(inner) != .accepted {
            throw SMTPSyntaxError(.invalidAddressLiteral, offset: domain.upperBound - 1, rule: "IPv6-addr", hint: hint)
        }
    }

    /// Lenient parameter captures include trailing white space (lenient.abnf); drop it.
    func trimmed(_ range: Range<Int>?) -> Range<Int>? {
        guard var range else { return nil }
        while range.upperBound > range.lowerBound, line[range.upperBound - 1] == 0x20 || line[range.upperBound - 1] == 0x09 {
            range = range.lowerBound..<(range.upperBound - 1)
        }
        return range
    }

    /// RFC 6531 §3.7.4.2: "VRFY String SP SMTPUTF8". The keyword itself is
    /// compared: in lenient mode an SP after the argument may be L3 white space.
    func hasSMTPUTF8Suffix(after argument: Range<Int>) -> Bool {
        let keyword: StaticString = " SMTPUTF8"
        guard argument.upperBound + keyword.utf8CodeUnitCount <= line.count else { return false }
        return keyword.withUTF8Buffer { k in
            (0..<k.count).allSatisfy { asciiUpper(line[argument.upperBound + $0]) == k[$0] }
        }
    }

    /// A decimal number (the automaton has checked the digits), or nil on overflow of UInt64.
    func decimal(_ range: Range<Int>) -> UInt64? {
        let n = range.count
        if n >= 1 && n <= 8 && range.upperBound >= 8, let base = line.baseAddress {
            // Up to 8 digits in one word: the word that ends at the last digit,
            // its bytes before the first digit cleared (before subtracting "0",
            // so that no borrow runs into a digit), then pairs, quads, octets.
            let keep: UInt64 = ~0 << (8 * UInt64(8 - n))
            var v = base.loadUnaligned(fromByteOffset: range.upperBound - 8, as: UInt64.self).littleEndian & keep
            v -= 0x3030_3030_3030_3030 & keep
            v = (v &* 10 &+ (v >> 8)) & 0x00FF_00FF_00FF_00FF
            v = (v &* 100 &+ (v >> 16)) & 0x0000_FFFF_0000_FFFF
            return (v &* 10000 &+ (v >> 32)) & 0xFFFF_FFFF
        }
        var value: UInt64 = 0
        for i in range {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(line[i] &- 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
