// One command line: the checks every line gets (HTTP, synchronization, length),
// the parse, and the commands that need no concern of their own (greetings,
// STARTTLS, RSET, NOOP, VRFY, EXPN, HELP, QUIT). MAIL/RCPT/DATA/BDAT are in
// Transactions.swift, AUTH in Authentication.swift, CLIENTID in ClientID.swift.

import ClientIDPolicy
import SMTPCommandParser

extension SMTPSession {
    /// `pipelined`: more input follows this line in what was received so far.
    mutating func command(_ line: UnsafeRawBufferPointer, pipelined: Bool, _ out: inout [Action]) {
        // Before the length check: a browser's request line is often longer than 512.
        if looksLikeHTTP(line) {
            out.append(.send(.notHTTP(hostname)))
            return close(&out)
        }
        // RFC 2920 §3.1: without PIPELINING offered (before an EHLO reply, or after HELO) a
        // client waits for each reply.
        if configuration.enforceSynchronization && pipelined && !facts.extended {
            return synchronizationError(&out)
        }
        guard line.count <= configuration.maxCommandLineLength else { return reject(.lineTooLong, &out) }
        let command: SMTPCommand
        do throws(SMTPSyntaxError) {
            command = try parser.parse(line)
        } catch {
            return syntaxError(error, in: line, &out)
        }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
        }
        switch command {
        case .ehlo(let domain):
            greet(text(domain), extended: true, &out)
        case .helo(let domain):
            greet(text(domain), extended: false, &out)
        case .mail(let mail):
            self.mail(mail, line, &out)
        case .rcpt(let rcpt):
            self.rcpt(rcpt, line, &out)
        case .data:
            // RFC 2920 §3.1: DATA is the last command of a group; content waits for the 354.
            if configuration.enforceSynchronization && pipelined { return synchronizationError(&out) }
            data(&out)
        case .bdat(let size, let last):
            bdat(size: size, last: last, &out)
        case .rset:
            if junk(&out) { return }
            resetTransaction(&out)
            out.append(.send(.ok))
        case .noop:
            if junk(&out) { return }
            out.append(.send(.ok))
        case .vrfy:
            if junk(&out) { return }
            out.append(.send(.cannotVerify))
        case .expn:
            reject(.expandNotImplemented, &out)
        case .help:
            if junk(&out) { return }
            out.append(.send(.help))
        case .quit:
            out.append(.send(.closingChannel(hostname)))
            close(&out)
        case .startTLS:
            startTLS(&out)
        case .auth(let mechanism, let initialResponse):
            auth(
                mechanism: text(mechanism), initialResponse: initialResponse.map { UnsafeRawBufferPointer(rebasing: line[$0]) },
                &out)
        case .clientID(let type, let token):
            clientID(
                .accepted(
                    ClientIdentity(
                        typeBytes: UnsafeRawBufferPointer(rebasing: line[type]),
                        tokenBytes: UnsafeRawBufferPointer(rebasing: line[token]))), &out)
        case .unknown:
            reject(.unknownCommand, &out)
        }
    }

    /// A line the parser refused: its syntax reply, once the rules that come before
    /// syntax have had their say.
    private mutating func syntaxError(_ error: SMTPSyntaxError, in line: UnsafeRawBufferPointer, _ out: inout [Action]) {
        // The verb as the parser read it: a line is a CLIENTID, AUTH or BDAT command exactly
        // when the parser judged its arguments by that command's grammar.
        let verb = parser.firstToken(of: line).verb
        if verb == .clientID {
            return clientID(.malformed(error), &out)  // D6–D10 are checked before D11
        }
        // D10 reads "after receiving an AUTH command" literally: a malformed one counts too.
        if verb == .auth { facts.authCommandReceived = true }
        if configuration.enforceSynchronization && verb == .bdat {
            // RFC 3030 §2: the chunk follows at once. Without a usable size its end
            // cannot be found, and its octets could only be read as commands.
            out.append(.send(.syntax(error)))
            return close(&out)
        }
        reject(.syntax(error), &out)
    }

    /// EHLO / HELO (RFC 5321 §4.1.1.1): a new greeting also resets the transaction.
    private mutating func greet(_ domain: String, extended: Bool, _ out: inout [Action]) {
        resetTransaction(&out)
        facts.clientDomain = domain
        facts.extended = extended
        // D15: every EHLO over TLS advertises CLIENTID while enabled; D8: HELO does not.
        facts.clientIDAdvertised = extended && facts.tls && configuration.clientIDEnabled
        out.append(.send(.greets(hostname, domain, keywords: extended ? ehloKeywords : [])))
    }

    /// The EHLO keywords for the current state (RFC 5321 §4.1.1.1).
    var ehloKeywords: [String] {
        var keywords = ["PIPELINING", "SIZE \(configuration.maxMessageSize)", "8BITMIME"]
        if configuration.smtputf8 { keywords.append("SMTPUTF8") }
        keywords += ["CHUNKING", "ENHANCEDSTATUSCODES"]
        if !facts.tls && configuration.startTLSAvailable { keywords.append("STARTTLS") }
        if (facts.tls || configuration.allowAuthWithoutTLS) && facts.authenticatedUser == nil
            && !configuration.authMechanisms.isEmpty
        {
            keywords.append("AUTH " + configuration.authMechanisms.map(\.rawValue).joined(separator: " "))
        }
        // Draft §3 items 1–3 (D6, D7, D15).
        if facts.tls && configuration.clientIDEnabled { keywords.append("CLIENTID") }
        return keywords
    }

    /// RFC 3207 §4: after the 220 the session starts over (D13).
    private mutating func startTLS(_ out: inout [Action]) {
        guard !facts.tls else { return reject(.tlsAlreadyActive, &out) }
        guard configuration.startTLSAvailable else {
            out.append(.send(.tlsNotAvailable))
            return
        }
        resetTransaction(&out)
        out.append(.send(.readyToStartTLS))
        out.append(.startTLS)
        state = .awaitingTLSHandshake
        discardInput()  // D13: nothing received after the STARTTLS line is executed
    }

    /// Counts a junk command; past `maxJunkCommands` each counts as an error too.
    /// Returns true when that closed the session.
    private mutating func junk(_ out: inout [Action]) -> Bool {
        counters.junkCommands += 1
        guard counters.junkCommands > configuration.maxJunkCommands else { return false }
        counters.errors += 1
        guard counters.errors >= configuration.maxErrors else { return false }
        out.append(.send(.tooManyErrors(hostname)))
        close(&out)
        return true
    }

    /// An HTTP request line (`GET / HTTP/1.1`, `CONNECT host:443 HTTP/1.1`) or header
    /// (`Host: x`): a browser or a proxy scanner, never an SMTP client. No SMTP verb is
    /// one of these. The first token is the parser's, so this reads the line as `parse`
    /// does; it is packed into an integer: no allocation per line.
    func looksLikeHTTP(_ line: UnsafeRawBufferPointer) -> Bool {
        let token = parser.firstToken(of: line).range
        // RFC 9112 §3: a method and SP start a request line.
        if token.upperBound < line.count && line[token.upperBound] == 0x20 && token.count <= 8
            && Self.httpMethods.contains(Self.packed(line[token]))
        {
            return true
        }
        // A header line: "Host:", with or without white space before the value (RFC 9112 §5).
        return token.count >= 5 && Self.packed(line[0..<5]) == Self.hostHeader
    }

    private static let httpMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"].map {
        packed($0.utf8)
    }

    private static let hostHeader = packed("HOST:".utf8)

    /// Up to 8 bytes, big-endian, letters upper case.
    private static func packed(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0) { word, b in word << 8 | UInt64((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A ? b & ~0x20 : b) }
    }
}
