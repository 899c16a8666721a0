// The same command with its fields copied out of the line: for callers that
// keep commands beyond the line's lifetime, for tests, and for the round
// trip "parse, serialise, parse again gives the same command".

/// A parameter as written: keyword and optional value bytes.
public struct ESMTPPair: Sendable, Equatable {
    public var keyword: [UInt8]
    public var value: [UInt8]?

    public init(keyword: [UInt8], value: [UInt8]?) {
        self.keyword = keyword
        self.value = value
    }
}

public enum OwnedSMTPCommand: Sendable, Equatable {
    case ehlo(domain: [UInt8])
    case helo(domain: [UInt8])
    case mail(path: [UInt8], parameters: [ESMTPPair])
    case rcpt(path: [UInt8], parameters: [ESMTPPair])
    case data
    case bdat(size: UInt64, last: Bool)
    case rset
    case vrfy(argument: [UInt8], smtputf8: Bool)
    case expn(argument: [UInt8], smtputf8: Bool)
    case help(argument: [UInt8]?)
    case noop(argument: [UInt8]?)
    case quit
    case startTLS
    case auth(mechanism: [UInt8], initialResponse: [UInt8]?)
    case clientID(type: [UInt8], token: [UInt8])
    case unknown(verb: [UInt8])

    /// Copies the fields of `command` out of `line`, the buffer it was parsed from.
    public init(_ command: SMTPCommand, line: UnsafeRawBufferPointer) {
        func bytes(_ r: Range<Int>) -> [UInt8] { Array(line[r]) }
        func pairs(_ r: Range<Int>?) -> [ESMTPPair] {
            guard let r else { return [] }
            return ESMTPParameterIterator(line: line, range: r).map {
                ESMTPPair(keyword: bytes($0.keyword), value: $0.value.map(bytes))
            }
        }
        switch command {
        case .ehlo(let d): self = .ehlo(domain: bytes(d))
        case .helo(let d): self = .helo(domain: bytes(d))
        case .mail(let m): self = .mail(path: bytes(m.path), parameters: pairs(m.parameters))
        case .rcpt(let r): self = .rcpt(path: bytes(r.path), parameters: pairs(r.parameters))
        case .data: self = .data
        case .bdat(let size, let last): self = .bdat(size: size, last: last)
        case .rset: self = .rset
        case .vrfy(let a, let u): self = .vrfy(argument: bytes(a), smtputf8: u)
        case .expn(let a, let u): self = .expn(argument: bytes(a), smtputf8: u)
        case .help(let a): self = .help(argument: a.map(bytes))
        case .noop(let a): self = .noop(argument: a.map(bytes))
        case .quit: self = .quit
        case .startTLS: self = .startTLS
        case .auth(let m, let r): self = .auth(mechanism: bytes(m), initialResponse: r.map(bytes))
        case .clientID(let t, let k): self = .clientID(type: bytes(t), token: bytes(k))
        case .unknown(let v): self = .unknown(verb: bytes(v))
        }
    }

    /// The command in canonical strict form (upper-case verb, no source
    /// route, single spaces, CRLF). Parsing it gives this command again.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func add(_ s: StaticString) { s.withUTF8Buffer { out += $0 } }
        func params(_ list: [ESMTPPair]) {
            for p in list {
                out.append(0x20)
                out += p.keyword
                if let v = p.value { out.append(UInt8(ascii: "=")); out += v }
            }
        }
        switch self {
        case .ehlo(let d): add("EHLO "); out += d
        case .helo(let d): add("HELO "); out += d
        case .mail(let path, let p): add("MAIL FROM:<"); out += path; add(">"); params(p)
        case .rcpt(let path, let p): add("RCPT TO:<"); out += path; add(">"); params(p)
        case .data: add("DATA")
        case .bdat(let size, let last): add("BDAT "); out += Array(String(size).utf8); if last { add(" LAST") }
        case .rset: add("RSET")
        case .vrfy(let a, let u): add("VRFY "); out += a; if u { add(" SMTPUTF8") }
        case .expn(let a, let u): add("EXPN "); out += a; if u { add(" SMTPUTF8") }
        case .help(let a): add("HELP"); if let a { add(" "); out += a }
        case .noop(let a): add("NOOP"); if let a { add(" "); out += a }
        case .quit: add("QUIT")
        case .startTLS: add("STARTTLS")
        case .auth(let m, let r): add("AUTH "); out += m; if let r { add(" "); out += r }
        case .clientID(let t, let k): add("CLIENTID "); out += t; add(" "); out += k
        case .unknown(let v): out += v
        }
        add("\r\n")
        return out
    }
}
