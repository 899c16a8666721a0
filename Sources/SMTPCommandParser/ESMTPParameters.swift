// MAIL and RCPT parameters (RFC 5321 §4.1.2 esmtp-param). The line's
// automaton has already checked the generic `keyword[=value]` syntax; each
// known keyword's value is checked here by that parameter's own generated
// automaton (Grammar/esmtp-parameters.abnf), then decoded. Unknown keywords
// stay generic pairs for the session to accept or answer 555.

import SMTPParserRuntime

/// One `keyword[=value]`, as ranges of the line.
public struct ESMTPParameter: Sendable, Equatable {
    public var keyword: Range<Int>
    public var value: Range<Int>?
}

/// Iterates the parameters in a range of a line, in input order, without allocating.
public struct ESMTPParameterIterator: IteratorProtocol, Sequence {
    let line: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    /// `line` must outlive the iteration (it is the caller's buffer).
    public init(line: UnsafeRawBufferPointer, range: Range<Int>) {
        self.line = line
        position = range.lowerBound
        end = range.upperBound
    }

    public mutating func next() -> ESMTPParameter? {
        while position < end && line[position] == 0x20 { position += 1 }
        guard position < end else { return nil }
        let start = position
        var equals: Int?
        while position < end && line[position] != 0x20 {
            if equals == nil && line[position] == UInt8(ascii: "=") { equals = position }
            position += 1
        }
        guard let equals else { return ESMTPParameter(keyword: start..<position, value: nil) }
        return ESMTPParameter(keyword: start..<equals, value: (equals + 1)..<position)
    }
}

enum ParameterHint {
    static let size: StaticString = "SIZE=1*20DIGIT (RFC 1870)"
    static let body: StaticString = "BODY=7BIT / 8BITMIME / BINARYMIME (RFC 6152, RFC 3030)"
    static let smtputf8: StaticString = "SMTPUTF8 (RFC 6531), no value"
    static let auth: StaticString = "AUTH=xtext or AUTH=<> (RFC 4954 §5)"
    static let notify: StaticString = "NOTIFY=NEVER / SUCCESS,FAILURE,DELAY (RFC 3461 §4.1)"
    static let orcpt: StaticString = "ORCPT=addr-type;xtext (RFC 3461 §4.2)"
    static let ret: StaticString = "RET=FULL / HDRS (RFC 3461 §4.3)"
    static let envid: StaticString = "ENVID=xtext (RFC 3461 §4.4)"
    static let requireTLS: StaticString = "REQUIRETLS (RFC 8689), no value"
    static let mtPriority: StaticString = "MT-PRIORITY=-9..9 (RFC 6710)"
}

enum KnownParameter: Int, CaseIterable {
    case size, body, smtputf8, auth, notify, orcpt, ret, envid, requireTLS, mtPriority

    /// As `identify` knows it (upper case).
    var keyword: String {
        switch self {
        case .size: "SIZE"
        case .body: "BODY"
        case .smtputf8: "SMTPUTF8"
        case .auth: "AUTH"
        case .notify: "NOTIFY"
        case .orcpt: "ORCPT"
        case .ret: "RET"
        case .envid: "ENVID"
        case .requireTLS: "REQUIRETLS"
        case .mtPriority: "MT-PRIORITY"
        }
    }

    /// The keyword packed big-endian, upper case, at most 11 bytes.
    @inline(__always)
    static func identify(_ packed: UInt128) -> KnownParameter? {
        switch packed {
        case 0x53495A45:  // "SIZE"
            return .size
        case 0x424F4459:  // "BODY"
            return .body
        case 0x534D545055544638:  // "SMTPUTF8"
            return .smtputf8
        case 0x41555448:  // "AUTH"
            return .auth
        case 0x4E4F54494659:  // "NOTIFY"
            return .notify
        case 0x4F52435054:  // "ORCPT"
            return .orcpt
        case 0x524554:  // "RET"
            return .ret
        case 0x454E564944:  // "ENVID"
            return .envid
        case 0x52455155495245544C53:  // "REQUIRETLS"
            return .requireTLS
        case 0x4D542D5052494F52495459:  // "MT-PRIORITY"
            return .mtPriority
        default: return nil
        }
    }

    /// Bit for duplicate detection.
    var bit: UInt16 {
        switch self {
        case .size: 1 << 0
        case .body: 1 << 1
        case .smtputf8: 1 << 2
        case .auth: 1 << 3
        case .notify: 1 << 4
        case .orcpt: 1 << 5
        case .ret: 1 << 6
        case .envid: 1 << 7
        case .requireTLS: 1 << 8
        case .mtPriority: 1 << 9
        }
    }

    var forRcpt: Bool { self == .notify || self == .orcpt }

    /// Its value's rule in Grammar/esmtp-parameters.abnf.
    var rule: String {
        switch self {
        case .size: "size-param"
        case .body: "body-param"
        case .smtputf8: "smtputf8-param"
        case .auth: "auth-param"
        case .notify: "notify-param"
        case .orcpt: "orcpt-param"
        case .ret: "ret-param"
        case .envid: "envid-param"
        case .requireTLS: "requiretls-param"
        case .mtPriority: "mt-priority-param"
        }
    }

    func automaton(_ a: CommandAutomata) -> Automaton {
        switch self {
        case .size: a.sizeParam
        case .body: a.bodyParam
        case .smtputf8: a.smtputf8Param
        case .auth: a.authParam
        case .notify: a.notifyParam
        case .orcpt: a.orcptParam
        case .ret: a.retParam
        case .envid: a.envidParam
        case .requireTLS: a.requireTLSParam
        case .mtPriority: a.mtPriorityParam
        }
    }

    var hint: StaticString {
        switch self {
        case .size: ParameterHint.size
        case .body: ParameterHint.body
        case .smtputf8: ParameterHint.smtputf8
        case .auth: ParameterHint.auth
        case .notify: ParameterHint.notify
        case .orcpt: ParameterHint.orcpt
        case .ret: ParameterHint.ret
        case .envid: ParameterHint.envid
        case .requireTLS: ParameterHint.requireTLS
        case .mtPriority: ParameterHint.mtPriority
        }
    }
}

extension LineParse {
    /// One parameter of a MAIL or RCPT line, starting at `start`, in a
    /// parameter list that ends at `end`. The line's automaton has already
    /// checked the generic `keyword[=value]` syntax, so the parameter ends at
    /// the next SP. A known keyword is validated by its own automaton, run
    /// from `start` until it stops: every parameter automaton rejects SP
    /// (`CommandAutomata` checks that at start-up), so it stops exactly at
    /// the parameter's end, and this one pass finds both the end and the
    /// verdict (the same offset, rule and state a run over the parameter
    /// alone would give). The automaton starts after the keyword, which this
    /// scan has read (in the state every letter case of it leads to). An
    /// unknown keyword is skipped to its end.
    @inline(__always)
    func scanParameter(at start: Int, end: Int, forRcpt: Bool, seen: inout UInt16, _ a: CommandAutomata)
        throws(SMTPSyntaxError) -> (
            known: KnownParameter?, value: Range<Int>?, end: Int
        )
    {
        var i = start
        var packed: UInt128 = 0
        while i < end {
            let b = line[i]
            if b == 0x3D || b == 0x20 { break }  // "=", SP
            packed = packed << 8 | UInt128(asciiUpper(b))
            i &+= 1
        }
        let keywordEnd = i
        guard keywordEnd - start <= 11, let known = KnownParameter.identify(packed) else {
            while i < end && line[i] != 0x20 { i &+= 1 }
            return (nil, nil, i)
        }
        guard known.forRcpt == forRcpt else {
            throw SMTPSyntaxError(.parameterNotAllowed, offset: start, rule: known.automaton(a).rule, hint: known.hint)
        }
        guard seen & known.bit == 0 else {
            throw SMTPSyntaxError(.duplicateParameter, offset: start, rule: known.automaton(a).rule, hint: known.hint)
        }
        seen |= known.bit
        var unused = CaptureTags()
        if let kernel, let shuffle = a.parameterShuffles[known.rawValue], let base = line.baseAddress {
            // The parameter ends at the next SP (its automaton rejects SP).
            let parameterEnd = ByteScan.firstIndex(
                of: 0x20, in: base.assumingMemoryBound(to: UInt8.self), from: keywordEnd, to: end)
            if shuffle.match(UnsafeRawBufferPointer(rebasing: line[start..<parameterEnd]), captures: &unused, kernel: kernel) {
                return (known, keywordEnd < parameterEnd ? (keywordEnd + 1)..<parameterEnd : nil, parameterEnd)
            }
        }
        let automaton = known.automaton(a)
        let rest = UnsafeRawBufferPointer(rebasing: line[start..<end])
        let parameterEnd: Int
        let keywordRow = a.keywordRows[known.rawValue]
        let outcome =
            keywordRow >= 0
            ? automaton.run(rest, from: keywordEnd &- start, row: keywordRow, captures: &unused, recording: false)
            : automaton.run(rest, from: 0, row: automaton.startRow, captures: &unused, recording: false)
        switch outcome {
        case .accepted:
            parameterEnd = end
        case .rejected(let offset, let state) where line[start + offset] == 0x20:
            // The SP after the parameter: the parameter is whole if the
            // automaton was in an accepting state before it.
            guard automaton.accept[state] != 0 else {
                throw SMTPSyntaxError(
                    .invalidParameter, offset: start + offset, rule: automaton.ruleName(atState: state), hint: known.hint)
            }
            parameterEnd = start + offset
        case .rejected(let offset, let state):
            throw fail(.invalidParameter, at: start + offset, rule: automaton.ruleName(atState: state), hint: known.hint)
        case .incomplete(let state):
            throw SMTPSyntaxError(.invalidParameter, offset: end, rule: automaton.ruleName(atState: state), hint: known.hint)
        }
        let value = keywordEnd < parameterEnd ? (keywordEnd + 1)..<parameterEnd : nil
        return (known, value, parameterEnd)
    }

    @inline(__always)
    func decodeMailParameters(_ range: Range<Int>, into command: inout MailCommand, _ a: CommandAutomata)
        throws(SMTPSyntaxError)
    {
        var seen: UInt16 = 0
        var position = range.lowerBound
        while position < range.upperBound {
            if line[position] == 0x20 {
                position &+= 1
                continue
            }
            let (found, parameterValue, parameterEnd) = try scanParameter(
                at: position, end: range.upperBound, forRcpt: false, seen: &seen, a)
            position = parameterEnd
            guard let known = found else { continue }
            let value = parameterValue ?? parameterEnd..<parameterEnd
            switch known {
            case .size:
                guard let size = decimal(value) else {
                    throw SMTPSyntaxError(.sizeTooLarge, offset: value.lowerBound, rule: "size-value", hint: known.hint)
                }
                command.size = size
            case .body:
                // The automaton accepted one of three words; the length tells them apart.
                command.body = value.count == 4 ? .sevenBit : value.count == 8 ? .eightBitMIME : .binaryMIME
            case .smtputf8: command.smtputf8 = true
            case .requireTLS: command.requireTLS = true
            case .auth: command.auth = value
            case .ret: command.ret = asciiUpper(line[value.lowerBound]) == UInt8(ascii: "F") ? .full : .headers
            case .envid: command.envelopeID = value
            case .mtPriority:
                let negative = line[value.lowerBound] == UInt8(ascii: "-")
                let digit = Int8(line[value.upperBound - 1] - 0x30)
                command.priority = negative ? -digit : digit
            case .notify, .orcpt:
                break  // rejected above for MAIL
            }
        }
    }

    @inline(__always)
    func decodeRcptParameters(_ range: Range<Int>, into command: inout RcptCommand, _ a: CommandAutomata)
        throws(SMTPSyntaxError)
    {
        var seen: UInt16 = 0
        var position = range.lowerBound
        while position < range.upperBound {
            if line[position] == 0x20 {
                position &+= 1
                continue
            }
            let (found, parameterValue, parameterEnd) = try scanParameter(
                at: position, end: range.upperBound, forRcpt: true, seen: &seen, a)
            position = parameterEnd
            guard let known = found, let value = parameterValue else { continue }
            switch known {
            case .notify:
                var notify = DSNNotify()
                var i = value.lowerBound
                while i < value.upperBound {
                    switch asciiUpper(line[i]) {
                    case UInt8(ascii: "S"): notify.insert(.success)
                    case UInt8(ascii: "F"): notify.insert(.failure)
                    case UInt8(ascii: "D"): notify.insert(.delay)
                    default: break  // NEVER
                    }
                    while i < value.upperBound && line[i] != UInt8(ascii: ",") { i += 1 }
                    i += 1
                }
                command.notify = notify
            case .orcpt:
                var semicolon = value.lowerBound
                while line[semicolon] != UInt8(ascii: ";") { semicolon += 1 }
                command.originalRecipientType = value.lowerBound..<semicolon
                command.originalRecipient = (semicolon + 1)..<value.upperBound
            default:
                break  // rejected above for RCPT
            }
        }
    }
}

/// RFC 3461 §4 xtext: "+" and two upper-case hex digits stand for one byte.
public enum XText {
    /// Decodes xtext (which the parser has already validated). Allocates: on request only.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = bytes.makeIterator()
        while let b = iterator.next() {
            guard b == UInt8(ascii: "+"), let h = iterator.next(), let l = iterator.next() else {
                out.append(b)
                continue
            }
            out.append(hexValue(h) << 4 | hexValue(l))
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8 {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: 0
        }
    }
}
