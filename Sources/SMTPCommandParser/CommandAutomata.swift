// The automata one parser mode uses: the strict grammar, or a profile's
// changed rules layered over it (SMTPUTF8, lenient, both). Field indexes are
// looked up once here, not per command.

import SMTPParserRuntime

/// A command's automaton with its literal prefix ("MAIL FROM:"). When a line
/// starts with the prefix (in any letter case), matching starts in the state
/// the automaton reaches after it, which `Automaton.row(after:)` checked is
/// the same for every case variant: the automaton still decides every byte.
/// A class: the parser reads one per line, and a struct holding a class
/// reference cost a copy with retain and release each time.
final class CommandMatcher: Sendable {
    let automaton: Automaton
    /// The rule's shuffle form, from the same generated file (nil: none), and
    /// the view of it the parser matches through (no reference counted per line).
    let shuffleAutomaton: ShuffleAutomaton?
    let shuffle: ShuffleMatcher?
    /// The shortest line the kernel takes (see `kernelMinimum(_:)`).
    let kernelMinimum: Int
    let prefixLength: Int
    /// The prefix as little-endian words (16 bytes at most), lower case, and
    /// the bits to OR into the input first: 0x20 on letters only, so a
    /// letter matches in either case and every other byte must match exactly.
    let low: UInt64, high: UInt64, lowFold: UInt64, highFold: UInt64
    /// The row after the prefix, or -1 when case variants of it diverge.
    let row: Int

    init(_ automata: (Automaton, ShuffleAutomaton?), prefix: StaticString, kernel: Bool = false) {
        (automaton, shuffleAutomaton) = automata
        shuffle = shuffleAutomaton?.matcher
        kernelMinimum = shuffleAutomaton.map { CommandMatcher.kernelMinimum($0, kernel: kernel) } ?? .max
        let bytes = prefix.withUTF8Buffer { Array($0) }
        precondition(bytes.count <= 16)
        prefixLength = bytes.count
        var words: [UInt64] = [0, 0]
        var folds: [UInt64] = [0, 0]
        for (i, b) in bytes.enumerated() {
            let letter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
            words[i / 8] |= UInt64(letter ? b | 0x20 : b) << (8 * UInt64(i % 8))
            folds[i / 8] |= UInt64(letter ? 0x20 : 0) << (8 * UInt64(i % 8))
        }
        low = words[0]; high = words[1]; lowFold = folds[0]; highFold = folds[1]
        row = automaton.row(after: bytes) ?? -1
    }

    /// Whether `line` starts with the prefix, letters in any case. Its first
    /// `verified` bytes are already known to match (the verb the parser read).
    @inline(__always) func matchesPrefix(_ line: UnsafeRawBufferPointer, verified: Int) -> Bool {
        guard line.count >= 16, let base = line.baseAddress else { return slowPrefix(line, from: verified) }
        let a = base.loadUnaligned(as: UInt64.self)
        let b = base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let keep: UInt64 = prefixLength >= 16 ? ~0 : prefixLength <= 8 ? 0 : (1 << (8 * UInt64(prefixLength - 8))) - 1
        let keepLow: UInt64 = prefixLength >= 8 ? ~0 : (1 << (8 * UInt64(prefixLength))) - 1
        return (a | lowFold) & keepLow == low && (b | highFold) & keep == high
    }

    @inline(__always) func slowPrefix(_ line: UnsafeRawBufferPointer, from verified: Int) -> Bool {
        guard line.count >= prefixLength else { return false }
        for i in verified..<max(verified, prefixLength) {
            let word = i < 8 ? low : high
            let fold = i < 8 ? lowFold : highFold
            let shift = 8 * UInt64(i % 8)
            if (line[i] | UInt8(truncatingIfNeeded: fold >> shift)) != UInt8(truncatingIfNeeded: word >> shift) { return false }
        }
        return true
    }

    /// The shortest line that takes the shuffle form: any line for a form
    /// that is its prefix alone (compared as words, no kernel call) and for
    /// the rules the kernel is for (`kernel`); none for the others.
    static func kernelMinimum(_ form: ShuffleAutomaton, kernel: Bool) -> Int {
        form.matcher.literalLength >= 0 || kernel ? 0 : .max
    }

    var rule: String { automaton.rule }
    var fields: [String] { automaton.fields }
}

final class CommandAutomata: Sendable {
    let ehlo, helo, mail, rcpt, data, bdat, rset, vrfy, expn, help, noop, quit, startTLS, auth, clientID: CommandMatcher
    let sizeParam, bodyParam, smtputf8Param, authParam, notifyParam, orcptParam: Automaton
    let retParam, envidParam, requireTLSParam, mtPriorityParam, ipv6Addr: Automaton
    /// RFC 4954 §5: what the xtext of AUTH= decodes to (`LineParse.checkAuthMailbox`).
    let authMailbox: Automaton
    /// Per known parameter (`KnownParameter.rawValue`), the row its automaton
    /// reaches after the keyword, or -1: the parameter scan has read the
    /// keyword already, so the automaton need not step through it again.
    let keywordRows: [Int]
    /// Per known parameter, its value's shift form (nil: none), whose prefix
    /// is the keyword and "=" (or the keyword alone for one that takes no
    /// value); generated, so it lives as long as the program.
    let parameterShifts: [ParameterShift?]
    /// The shift form of `authMailbox` (nil: none).
    let authMailboxShift: ShiftMatcher?

    let ehloDomain, heloDomain, mailPath, mailParameters, rcptPath, rcptParameters: Int
    let vrfyArgument, expnArgument, helpArgument, noopArgument: Int
    let authMechanism, authInitialResponse, bdatSize, bdatLast, clientIDType, clientIDToken: Int

    /// `lookup` finds a rule's automaton and its shuffle form, both from the
    /// same generated file: a shuffle form is derived from its file's grammar.
    init(_ lookup: (String) -> (Automaton, ShuffleAutomaton?)?) {
        func both(_ name: String) -> (Automaton, ShuffleAutomaton?) {
            guard let automata = lookup(name) else {
                preconditionFailure("no generated automaton for rule \(name): run abnfc generate")
            }
            return automata
        }
        func rule(_ name: String) -> Automaton { both(name).0 }
        func field(_ automaton: CommandMatcher, _ name: String) -> Int {
            guard let i = automaton.fields.firstIndex(of: name) else {
                preconditionFailure("rule \(automaton.rule) captures no field \(name): check its ;@capture annotations")
            }
            return i
        }
        // The kernel steps the rules whose lines hold several runs of varying
        // length (domain labels, local parts, parameters), whose ends the table
        // automata mispredict; lines of one run or a few bytes (VRFY, AUTH, BDAT,
        // NOOP) and CLIENTID's long token are faster through the table layout
        // (per-kind figures in Benchmarks/README.md).
        ehlo = .init(both("ehlo"), prefix: "EHLO ", kernel: true)
        helo = .init(both("helo"), prefix: "HELO ", kernel: true)
        mail = .init(both("mail"), prefix: "MAIL FROM:", kernel: true)
        rcpt = .init(both("rcpt"), prefix: "RCPT TO:", kernel: true)
        data = .init(both("data"), prefix: "DATA")
        bdat = .init(both("bdat"), prefix: "BDAT ")
        rset = .init(both("rset"), prefix: "RSET")
        vrfy = .init(both("vrfy"), prefix: "VRFY ")
        expn = .init(both("expn"), prefix: "EXPN ")
        help = .init(both("help"), prefix: "HELP")
        noop = .init(both("noop"), prefix: "NOOP")
        quit = .init(both("quit"), prefix: "QUIT")
        startTLS = .init(both("starttls"), prefix: "STARTTLS")
        auth = .init(both("auth"), prefix: "AUTH ")
        clientID = .init(both("clientid"), prefix: "CLIENTID ")
        // One automaton per known parameter, in `KnownParameter` order.
        let parameters = KnownParameter.allCases.map { rule($0.rule) }
        func parameter(_ known: KnownParameter) -> Automaton { parameters[known.rawValue] }
        sizeParam = parameter(.size); bodyParam = parameter(.body); smtputf8Param = parameter(.smtputf8)
        authParam = parameter(.auth); notifyParam = parameter(.notify); orcptParam = parameter(.orcpt)
        retParam = parameter(.ret); envidParam = parameter(.envid); requireTLSParam = parameter(.requireTLS)
        mtPriorityParam = parameter(.mtPriority); ipv6Addr = rule("IPv6-addr")
        authMailbox = rule("auth-mailbox")
        // LineParse.scanParameter runs these past the parameter's end and
        // relies on each stopping at the SP that ends it.
        for automaton in parameters where !automaton.rejectsEverywhere(0x20) {
            preconditionFailure("the grammar of \(automaton.rule) lets a value contain SP; LineParse.scanParameter assumes not")
        }
        keywordRows = KnownParameter.allCases.map { parameter($0).row(after: Array($0.keyword.utf8)) ?? -1 }
        parameterShifts = KnownParameter.allCases.map { known in
            both(known.rule).1.flatMap { ParameterShift($0, keyword: Array(known.keyword.utf8)) }
        }
        authMailboxShift = both("auth-mailbox").1?.shift
        ehloDomain = field(ehlo, "domain"); heloDomain = field(helo, "domain")
        mailPath = field(mail, "path"); mailParameters = field(mail, "parameters")
        rcptPath = field(rcpt, "path"); rcptParameters = field(rcpt, "parameters")
        vrfyArgument = field(vrfy, "argument"); expnArgument = field(expn, "argument")
        helpArgument = field(help, "argument"); noopArgument = field(noop, "argument")
        authMechanism = field(auth, "mechanism"); authInitialResponse = field(auth, "initialResponse")
        bdatSize = field(bdat, "size"); bdatLast = field(bdat, "last")
        clientIDType = field(clientID, "type"); clientIDToken = field(clientID, "token")
    }

    /// A rule of each generated file: its automaton and shuffle form.
    static func base(_ name: String) -> (Automaton, ShuffleAutomaton?)? {
        SMTPGrammar.automaton(forRule: name).map { ($0, SMTPGrammar.Shuffle.automaton(forRule: name)) }
    }
    static func utf8(_ name: String) -> (Automaton, ShuffleAutomaton?)? {
        SMTPGrammarUTF8.automaton(forRule: name).map { ($0, SMTPGrammarUTF8.Shuffle.automaton(forRule: name)) }
    }
    static func lenientOnly(_ name: String) -> (Automaton, ShuffleAutomaton?)? {
        SMTPGrammarLenient.automaton(forRule: name).map { ($0, SMTPGrammarLenient.Shuffle.automaton(forRule: name)) }
    }
    static func lenientUTF8(_ name: String) -> (Automaton, ShuffleAutomaton?)? {
        SMTPGrammarLenientUTF8.automaton(forRule: name).map { ($0, SMTPGrammarLenientUTF8.Shuffle.automaton(forRule: name)) }
    }

    static let strict = CommandAutomata { base($0) }
    static let smtputf8 = CommandAutomata { utf8($0) ?? base($0) }
    static let lenient = CommandAutomata { lenientOnly($0) ?? base($0) }
    static let lenientSMTPUTF8 = CommandAutomata { lenientUTF8($0) ?? utf8($0) ?? base($0) }
}

/// A known parameter's shift form, and where its value starts.
struct ParameterShift {
    let matcher: ShiftMatcher
    /// 1 when the form's prefix is the keyword and "=" (the value starts
    /// past the "="), 0 when it is the keyword alone (no value).
    let afterKeyword: Int

    /// Nil when the form has no shift form, or its prefix is neither (the
    /// parameter then has none).
    init?(_ form: ShuffleAutomaton, keyword: [UInt8]) {
        guard let matcher = form.shift else { return nil }
        self.matcher = matcher
        if form.prefix == keyword + [UInt8(ascii: "=")] {
            afterKeyword = 1
        } else if form.prefix == keyword {
            afterKeyword = 0
        } else {
            return nil
        }
    }
}
