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
    static let auth: StaticString = "AUTH=xtext of a Mailbox, or AUTH=<> (RFC 4954 §5)"
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

    /// The known keyword whose first 16 bytes (upper case, little-endian,
    /// zero past its end) are `low` and `high`: one jump on a hash of the first
    /// four bytes (distinct for the ten keywords), then one comparison.
    @inline(__always)
    static func identify(low: UInt64, high: UInt64) -> KnownParameter? {
        let known: KnownParameter
        let expected: (UInt64, UInt64)
        switch (UInt32(truncatingIfNeeded: low) &* 0xEB8F_624F) >> 28 {
        case 0: (known, expected) = (.orcpt, (0x54_5043_524F, 0))  // "ORCPT"
        case 1: (known, expected) = (.size, (0x455A_4953, 0))  // "SIZE"
        case 5: (known, expected) = (.ret, (0x54_4552, 0))  // "RET"
        case 6: (known, expected) = (.requireTLS, (0x5445_5249_5551_4552, 0x534C))  // "REQUIRETLS"
        case 7: (known, expected) = (.smtputf8, (0x3846_5455_5054_4D53, 0))  // "SMTPUTF8"
        case 8: (known, expected) = (.body, (0x5944_4F42, 0))  // "BODY"
        case 11: (known, expected) = (.envid, (0x44_4956_4E45, 0))  // "ENVID"
        case 12: (known, expected) = (.notify, (0x5946_4954_4F4E, 0))  // "NOTIFY"
        case 13: (known, expected) = (.mtPriority, (0x524F_4952_502D_544D, 0x59_5449))  // "MT-PRIORITY"
        case 14: (known, expected) = (.auth, (0x4854_5541, 0))  // "AUTH"
        default: return nil
        }
        return low == expected.0 && high == expected.1 ? known : nil
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
        let (keywordEnd, low, high) = keyword(from: start, to: end)
        guard keywordEnd - start <= 11, let known = KnownParameter.identify(low: low, high: high) else {
            var i = keywordEnd
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
        if let shift = a.parameterShifts[known.rawValue], let base = line.baseAddress {
            // The parameter ends at the next SP (its automaton rejects SP).
            // The keyword ends at "=" or at that SP: the form runs over what
            // follows its prefix, when the parameter has the "=" the prefix
            // ends in (or has no value, for a form without "=").
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            let parameterEnd = ByteScan.firstIndex(of: 0x20, in: bytes, from: keywordEnd, to: end)
            let hasValue = keywordEnd < parameterEnd
            if hasValue == (shift.afterKeyword == 1),
                shift.matcher.accepts(bytes, from: keywordEnd &+ shift.afterKeyword, to: parameterEnd)
            {
                return (known, hasValue ? (keywordEnd + 1)..<parameterEnd : nil, parameterEnd)
            }
        }
        let automaton = known.automaton(a)
        var unused = CaptureTags()
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

    /// The keyword of the parameter at `start`: where it ends ("=", SP or
    /// `end`), and its first 16 bytes in upper case as little-endian words
    /// (zero past its end). The line's automaton has checked that a keyword is
    /// ALPHA / DIGIT / "-": of those only letters have bit 6 set, so clearing
    /// bit 5 where bit 6 is set makes letters upper case and leaves the rest.
    @inline(__always)
    func keyword(from start: Int, to end: Int) -> (end: Int, low: UInt64, high: UInt64) {
        let available = line.count - start
        guard available >= 8, let base = line.baseAddress else {
            // Fewer than 8 bytes left: the keyword fits the first word.
            var i = start
            var low: UInt64 = 0
            while i < end && line[i] != 0x3D && line[i] != 0x20 {
                low |= UInt64(asciiUpper(line[i])) << (8 * UInt64(i - start))
                i &+= 1
            }
            return (i, low, 0)
        }
        let a = base.loadUnaligned(fromByteOffset: start, as: UInt64.self).littleEndian
        // The second word, zero past the line's end (the last parameter is often
        // followed by CRLF alone): a load that ends at the end, shifted into place.
        let b: UInt64 =
            available >= 16
            ? base.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self).littleEndian
            : available > 8
                ? base.loadUnaligned(fromByteOffset: line.count - 8, as: UInt64.self).littleEndian
                    &>> (8 * UInt64(16 - available))
                : 0
        // "=" or SP flagged in bit 7 of its byte; the lowest flag is exact.
        func stops(_ w: UInt64) -> UInt64 {
            let equals = w ^ 0x3D3D_3D3D_3D3D_3D3D
            let space = w ^ 0x2020_2020_2020_2020
            return ((equals &- 0x0101_0101_0101_0101) & ~equals | (space &- 0x0101_0101_0101_0101) & ~space)
                & 0x8080_8080_8080_8080
        }
        let first = stops(a)
        let length = min(
            first != 0 ? first.trailingZeroBitCount >> 3 : 8 + (stops(b) | 1 << 63).trailingZeroBitCount >> 3, end - start)
        let keepLow: UInt64 = length >= 8 ? ~0 : (1 << (8 * UInt64(length))) - 1
        // At most 15: the bit set in the second word's flags stops its count at 7 bytes.
        let keepHigh: UInt64 = length <= 8 ? 0 : (1 << (8 * UInt64(length - 8))) - 1
        func upper(_ w: UInt64) -> UInt64 { w & ~((w & 0x4040_4040_4040_4040) >> 1) }
        return (start + length, upper(a) & keepLow, upper(b) & keepHigh)
    }

    func decodeMailParameters(_ range: Range<Int>, _ a: CommandAutomata) throws(SMTPSyntaxError) -> MailParameterValues {
        var values = MailParameterValues()
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
                values.size = size
                values.flags |= MailParameterValues.hasSize
            case .body:
                // The automaton accepted one of three words; the length tells them apart.
                values.flags |= (value.count == 4 ? 1 : value.count == 8 ? 2 : 3) << MailParameterValues.bodyShift
            case .smtputf8: values.flags |= MailParameterValues.smtputf8
            case .requireTLS: values.flags |= MailParameterValues.requireTLS
            case .auth:
                try checkAuthMailbox(value, a)
                values.auth = packed(value)
            case .ret:
                values.flags |= (asciiUpper(line[value.lowerBound]) == UInt8(ascii: "F") ? 1 : 2) << MailParameterValues.retShift
            case .envid: values.envelopeID = packed(value)
            case .mtPriority:
                let negative = line[value.lowerBound] == UInt8(ascii: "-")
                let digit = Int8(line[value.upperBound - 1] - 0x30)
                values.flags |= MailParameterValues.hasPriority
                values.flags |= UInt64(UInt8(bitPattern: negative ? -digit : digit)) << MailParameterValues.priorityShift
            case .notify, .orcpt:
                break  // rejected above for MAIL
            }
        }
        return values
    }

    /// RFC 4954 §5: the xtext of AUTH= decodes to a Mailbox or "<>", the grammar's
    /// `auth-mailbox`. `value` has matched `auth-param`, so every "+" starts a hexchar,
    /// and the decoded value is never longer than it. The mailbox's shift form steps
    /// each byte as it is decoded, in one pass with no buffer. What it does not accept
    /// is decoded into a temporary buffer, which the standard library keeps on the
    /// stack up to a kilobyte (a MAIL line within its limits, 512 + 500 octets, RFC 4954
    /// §3, never reaches the heap), for the table automaton, which decides and names
    /// the error. A refusal points at the xtext character (or the hexchar's "+") whose
    /// decoded byte the automaton refused, or at the value's end.
    func checkAuthMailbox(_ value: Range<Int>, _ a: CommandAutomata) throws(SMTPSyntaxError) {
        if let shift = a.authMailboxShift, value.count <= shift.longestInput {
            // Decoded and stepped in one pass (the decoded value is never
            // longer than its xtext, so `longestInput` holds for it too).
            var state = ShiftMatcher.startState
            var i = value.lowerBound
            while i < value.upperBound {
                let b = line[i]
                if b == UInt8(ascii: "+") {
                    state = shift.step(state, XText.hexValue(line[i + 1]) << 4 | XText.hexValue(line[i + 2]))
                    i += 3
                } else {
                    state = shift.step(state, b)
                    i += 1
                }
            }
            if shift.isAccepting(state) { return }
        }
        let automaton = a.authMailbox
        let outcome = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: value.count) { decoded in
            var n = 0
            var i = value.lowerBound
            while i < value.upperBound {
                if line[i] == UInt8(ascii: "+") {
                    decoded[n] = XText.hexValue(line[i + 1]) << 4 | XText.hexValue(line[i + 2])
                    i += 3
                } else {
                    decoded[n] = line[i]
                    i += 1
                }
                n += 1
            }
            return automaton.match(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(decoded)[0..<n]))
        }
        switch outcome {
        case .accepted:
            return
        case .rejected(let offset, let state):
            // The xtext offset of decoded byte `offset`.
            var i = value.lowerBound
            for _ in 0..<offset { i += line[i] == UInt8(ascii: "+") ? 3 : 1 }
            throw SMTPSyntaxError(
                .invalidParameter, offset: i, rule: automaton.ruleName(atState: state), hint: ParameterHint.auth)
        case .incomplete(let state):
            throw SMTPSyntaxError(
                .invalidParameter, offset: value.upperBound, rule: automaton.ruleName(atState: state), hint: ParameterHint.auth)
        }
    }

    func decodeRcptParameters(_ range: Range<Int>, _ a: CommandAutomata) throws(SMTPSyntaxError) -> RcptParameterValues {
        var values = RcptParameterValues()
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
                values.notify = Int(notify.rawValue)
            case .orcpt:
                var semicolon = value.lowerBound
                while line[semicolon] != UInt8(ascii: ";") { semicolon += 1 }
                values.originalRecipientType = packed(value.lowerBound..<semicolon)
                values.originalRecipient = packed((semicolon + 1)..<value.upperBound)
            default:
                break  // rejected above for RCPT
            }
        }
        return values
    }
}

/// A range of the line in one word (start, then end in the high half).
@inline(__always) func packed(_ range: Range<Int>) -> UInt64 {
    UInt64(UInt32(truncatingIfNeeded: range.lowerBound)) | UInt64(UInt32(truncatingIfNeeded: range.upperBound)) << 32
}

@inline(__always) func unpacked(_ word: UInt64) -> Range<Int>? {
    word == .max ? nil : Int(word & 0xFFFF_FFFF)..<Int(word >> 32)
}

/// MAIL's decoded parameters in four words, so that the decoder returns them
/// in registers: written into the command through a pointer, the fields were
/// read back by wider loads that the narrower stores could not forward to.
struct MailParameterValues {
    static let hasSize: UInt64 = 1, smtputf8: UInt64 = 1 << 3, requireTLS: UInt64 = 1 << 4, hasPriority: UInt64 = 1 << 7
    static let bodyShift: UInt64 = 1, retShift: UInt64 = 5, priorityShift: UInt64 = 8

    var size: UInt64 = 0
    /// Ranges as `packed`; `.max` when absent.
    var auth: UInt64 = .max
    var envelopeID: UInt64 = .max
    /// `hasSize`, the body type (bits 1-2: 7BIT, 8BITMIME, BINARYMIME), `smtputf8`,
    /// `requireTLS`, RET (bits 5-6: FULL, HDRS), `hasPriority` and the priority (bits 8-15).
    var flags: UInt64 = 0

    @inline(__always) func apply(to command: inout MailCommand) {
        if flags & Self.hasSize != 0 { command.size = size }
        switch (flags >> Self.bodyShift) & 3 {
        case 1: command.body = .sevenBit
        case 2: command.body = .eightBitMIME
        case 3: command.body = .binaryMIME
        default: break
        }
        command.smtputf8 = flags & Self.smtputf8 != 0
        command.requireTLS = flags & Self.requireTLS != 0
        command.auth = unpacked(auth)
        switch (flags >> Self.retShift) & 3 {
        case 1: command.ret = .full
        case 2: command.ret = .headers
        default: break
        }
        command.envelopeID = unpacked(envelopeID)
        if flags & Self.hasPriority != 0 {
            command.priority = Int8(bitPattern: UInt8(truncatingIfNeeded: flags >> Self.priorityShift))
        }
    }
}

/// RCPT's decoded parameters in three words (see `MailParameterValues`).
struct RcptParameterValues {
    /// `DSNNotify.rawValue`, or -1 when absent.
    var notify = -1
    var originalRecipientType: UInt64 = .max
    var originalRecipient: UInt64 = .max

    @inline(__always) func apply(to command: inout RcptCommand) {
        if notify >= 0 { command.notify = DSNNotify(rawValue: UInt8(notify)) }
        command.originalRecipientType = unpacked(originalRecipientType)
        command.originalRecipient = unpacked(originalRecipient)
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
