// The one error type of the parser and the line framer. A public struct
// around numbered kinds (numbers are assigned once and never reused), so
// kinds can be added without breaking callers.

public struct SMTPSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong. Compare with the static members.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        public let number: UInt8
        public let name: StaticString
        /// The reply a server should send (RFC 5321 §4.2.2, §4.5.3.1).
        public let replyCode: Int
        /// RFC 3463 enhanced status code.
        public let enhancedStatus: StaticString

        init(_ number: UInt8, _ name: StaticString, _ replyCode: Int, _ enhancedStatus: StaticString) {
            self.number = number
            self.name = name
            self.replyCode = replyCode
            self.enhancedStatus = enhancedStatus
        }

        public static func == (a: Kind, b: Kind) -> Bool { a.number == b.number }
        public func hash(into hasher: inout Hasher) { hasher.combine(number) }
        public var description: String { "\(name)" }

        /// The line's first token is no verb: it holds a byte that is not a letter (any
        /// byte, NUL and bytes above 0x7F included: RFC 5321 §4.2.4), or it is empty.
        /// A token of letters that is no known verb parses as `SMTPCommand.unknown`.
        public static let unknownCommand = Kind(1, "unknown command", 500, "5.5.1")
        /// The verb is known but its arguments do not match the grammar.
        public static let invalidArguments = Kind(2, "invalid arguments", 501, "5.5.4")
        /// The input ends before the command does (no CRLF yet).
        public static let incomplete = Kind(3, "incomplete command", 500, "5.5.2")
        /// RFC 5321 §4.5.3.1.3: a path over 256 octets.
        public static let pathTooLong = Kind(4, "path too long", 501, "5.1.3")
        /// RFC 5321 §4.5.3.1.1: a local part over 64 octets.
        public static let localPartTooLong = Kind(5, "local part too long", 501, "5.1.3")
        /// RFC 5321 §4.5.3.1.2: a domain over 255 octets.
        public static let domainTooLong = Kind(6, "domain too long", 501, "5.1.2")
        /// An `[IPv6:...]` literal that is not an RFC 5321 §4.1.3 IPv6-addr.
        public static let invalidAddressLiteral = Kind(7, "invalid address literal", 501, "5.1.2")
        /// A known ESMTP parameter whose value does not match its RFC's grammar.
        public static let invalidParameter = Kind(8, "invalid parameter value", 501, "5.5.4")
        /// The same known parameter given twice.
        public static let duplicateParameter = Kind(9, "duplicate parameter", 501, "5.5.4")
        /// A known parameter on the wrong command (NOTIFY on MAIL, RET on RCPT): RFC 5321 §4.1.1.11.
        public static let parameterNotAllowed = Kind(10, "parameter not allowed here", 555, "5.5.4")
        /// A SIZE or BDAT chunk size above 2^64 - 1 (RFC 1870 §6, RFC 3030 §2).
        public static let sizeTooLarge = Kind(11, "size too large", 552, "5.3.4")
        /// RFC 5321 §4.5.3.1.4 (D12): a command line over the limit.
        public static let lineTooLong = Kind(12, "line too long", 500, "5.5.6")
        /// RFC 5321 §2.3.8 (D12): LF without CR is not a line ending.
        public static let bareLineFeed = Kind(13, "bare LF", 500, "5.5.2")
        /// RFC 5321 §2.3.8 (D12): CR without LF.
        public static let bareCarriageReturn = Kind(14, "bare CR", 500, "5.5.2")
        /// A NUL byte after a known verb (D5); in the first token it is `unknownCommand`.
        public static let nulByte = Kind(15, "NUL byte", 501, "5.5.2")
        /// Bytes above 0x7F after a known verb when SMTPUTF8 is not enabled (RFC 6531
        /// §3.2, D5); in the first token it is `unknownCommand`.
        public static let nonASCII = Kind(16, "non-ASCII byte without SMTPUTF8", 501, "5.5.2")
    }

    public let kind: Kind
    /// Offset of the offending byte from the start of the line.
    public let offset: Int
    /// The grammar rule being matched when the error was found.
    public let rule: String
    /// The command's syntax, for the reply text.
    public let hint: StaticString

    public init(_ kind: Kind, offset: Int, rule: String, hint: StaticString) {
        self.kind = kind
        self.offset = offset
        self.rule = rule
        self.hint = hint
    }

    public var replyCode: Int { kind.replyCode }

    /// A reply line a server can send: code, enhanced status, text and hint.
    public var replyText: String { "\(kind.replyCode) \(kind.enhancedStatus) Syntax: \(hint)" }

    public var description: String {
        "\(kind.replyCode) \(kind) at offset \(offset) in rule \(rule); syntax: \(hint)"
    }

    public static func == (a: SMTPSyntaxError, b: SMTPSyntaxError) -> Bool {
        a.kind == b.kind && a.offset == b.offset && a.rule == b.rule
    }
}
