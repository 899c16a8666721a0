// Typed, zero-copy commands. Every field is a byte range of the line the
// caller passed in (offsets from its first byte), so parsing allocates
// nothing; `OwnedSMTPCommand` copies the fields out on request.

/// One parsed SMTP command line. Ranges index the caller's line buffer.
public enum SMTPCommand: Sendable, Equatable {
    /// RFC 5321 §4.1.1.1; `domain` includes the brackets of an address literal.
    case ehlo(domain: Range<Int>)
    case helo(domain: Range<Int>)
    /// RFC 5321 §4.1.1.2
    case mail(MailCommand)
    /// RFC 5321 §4.1.1.3
    case rcpt(RcptCommand)
    /// RFC 5321 §4.1.1.4
    case data
    /// RFC 3030 §2: a chunk of `size` octets follows; `last` ends the message.
    case bdat(size: UInt64, last: Bool)
    case rset
    /// RFC 5321 §4.1.1.6–4.1.1.9; `smtputf8` is RFC 6531 §3.7.4.2's VRFY/EXPN argument.
    case vrfy(argument: Range<Int>, smtputf8: Bool)
    case expn(argument: Range<Int>, smtputf8: Bool)
    case help(argument: Range<Int>?)
    case noop(argument: Range<Int>?)
    case quit
    /// RFC 3207 §4
    case startTLS
    /// RFC 4954 §4; `initialResponse` is the base64 text or "=" as written.
    case auth(mechanism: Range<Int>, initialResponse: Range<Int>?)
    /// draft-storey-smtp-client-id §4, D1–D2.
    case clientID(type: Range<Int>, token: Range<Int>)
    /// A first token of letters only that is no verb this parser knows (the session
    /// answers 500). A first token with any other byte throws `unknownCommand`.
    case unknown(verb: Range<Int>)

    /// The verb, upper case.
    public var verb: StaticString { knownVerb?.name ?? "UNKNOWN" }

    /// The verb; nil for `.unknown`. The same as `SMTPCommandParser.firstToken(of:)`
    /// gives for the line.
    public var knownVerb: SMTPVerb? {
        switch self {
        case .ehlo: .ehlo
        case .helo: .helo
        case .mail: .mail
        case .rcpt: .rcpt
        case .data: .data
        case .bdat: .bdat
        case .rset: .rset
        case .vrfy: .vrfy
        case .expn: .expn
        case .help: .help
        case .noop: .noop
        case .quit: .quit
        case .startTLS: .startTLS
        case .auth: .auth
        case .clientID: .clientID
        case .unknown: nil
        }
    }
}

/// A verb this parser knows: the first token of a line that `SMTPCommandParser`
/// judges by that command's grammar (`SMTPCommandParser.firstToken(of:)`).
public enum SMTPVerb: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ehlo, helo, mail, rcpt, data, bdat, rset, vrfy, expn, help, noop, quit, startTLS, auth, clientID

    /// Upper case, as `SMTPCommand.verb` spells it.
    public var name: StaticString {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .mail: "MAIL"
        case .rcpt: "RCPT"
        case .data: "DATA"
        case .bdat: "BDAT"
        case .rset: "RSET"
        case .vrfy: "VRFY"
        case .expn: "EXPN"
        case .help: "HELP"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .startTLS: "STARTTLS"
        case .auth: "AUTH"
        case .clientID: "CLIENTID"
        }
    }

    public var description: String { "\(name)" }
}

/// `MAIL FROM:<path> [parameters]`, with the typed parameters already decoded.
public struct MailCommand: Sendable, Equatable {
    /// The mailbox without angle brackets and source route; empty for `<>`.
    public var path: Range<Int>
    /// All parameter text after the path's SP, as written (nil: none).
    public var parameters: Range<Int>?
    /// RFC 1870 SIZE.
    public var size: UInt64?
    /// RFC 6152 / RFC 3030 BODY.
    public var body: BodyType?
    /// RFC 6531 §3.4 SMTPUTF8.
    public var smtputf8: Bool = false
    /// RFC 8689 REQUIRETLS.
    public var requireTLS: Bool = false
    /// RFC 4954 §5 AUTH=: the xtext as written (decode with `XText`); it decodes to a
    /// Mailbox or "<>", which the parser has checked.
    public var auth: Range<Int>?
    /// RFC 3461 §4.3 RET.
    public var ret: DSNReturn?
    /// RFC 3461 §4.4 ENVID: the xtext as written.
    public var envelopeID: Range<Int>?
    /// RFC 6710 MT-PRIORITY, -9...9.
    public var priority: Int8?

    public init(path: Range<Int>, parameters: Range<Int>?) {
        self.path = path
        self.parameters = parameters
    }
}

/// `RCPT TO:<path> [parameters]`.
public struct RcptCommand: Sendable, Equatable {
    /// The mailbox without angle brackets and source route; `Postmaster` for `<Postmaster>`.
    public var path: Range<Int>
    public var parameters: Range<Int>?
    /// RFC 3461 §4.1 NOTIFY.
    public var notify: DSNNotify?
    /// RFC 3461 §4.2 ORCPT: the address type and the xtext address as written.
    public var originalRecipientType: Range<Int>?
    public var originalRecipient: Range<Int>?

    public init(path: Range<Int>, parameters: Range<Int>?) {
        self.path = path
        self.parameters = parameters
    }
}

/// RFC 6152 §2 and RFC 3030 §3 body types.
public enum BodyType: Sendable, Equatable {
    case sevenBit, eightBitMIME, binaryMIME
}

/// RFC 3461 §4.3.
public enum DSNReturn: Sendable, Equatable {
    case full, headers
}

/// RFC 3461 §4.1: NEVER, or any of SUCCESS, FAILURE, DELAY.
public struct DSNNotify: OptionSet, Sendable, Equatable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let success = DSNNotify(rawValue: 1)
    public static let failure = DSNNotify(rawValue: 2)
    public static let delay = DSNNotify(rawValue: 4)
    /// NEVER is the empty set.
    public static let never: DSNNotify = []
}
