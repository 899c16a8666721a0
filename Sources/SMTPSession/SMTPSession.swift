// A server session for message submission (RFC 5321, RFC 6409) in the sans-IO
// style: the driver feeds bytes and events in, and performs the actions that
// come out, in order. The session does no I/O, reads no clock and never blocks.
//
// One command line in gives exactly one reply out, in order, also when the
// client pipelines (RFC 2920): while the session waits for the driver
// (credentials, delivery, TLS handshake) input is buffered, bounded by
// `maxBufferedInput`, and processed when the answer arrives.
//
// All state lives in `state` (what the session is reading or waiting for) and
// `facts` (what the client has established); STARTTLS replaces `facts` whole (D13).

import ClientIDPolicy
import SMTPCommandParser

public struct SMTPSession: Sendable {
    public let configuration: Configuration

    /// What the session reads next, or what it waits for.
    enum State: Sendable, Equatable {
        /// Before `start()`: input is buffered.
        case notStarted
        /// Command lines.
        case command
        /// AUTH response lines (RFC 4954 §4).
        case authExchange(SASLExchange)
        /// DATA content up to CRLF "." CRLF.
        case data(DataDecoder)
        /// Exactly `remaining` octets of a BDAT chunk (RFC 3030 §2).
        case chunk(BDATChunk)
        /// `checkCredentials` is out; `credentialsChecked` answers it. Holds the
        /// identity to record on success (not the password).
        case awaitingCredentials(user: String)
        /// `deliver` is out; `deliveryFinished` answers it.
        case awaitingDelivery
        /// `startTLS` is out; `tlsEstablished` or `tlsFailed` answers it.
        case awaitingTLSHandshake
        case closed
    }

    struct BDATChunk: Sendable, Equatable {
        var size: UInt64
        var remaining: UInt64
        var last: Bool
        /// The chunk is read and discarded, then this reply is sent (RFC 3030 §2:
        /// the data of a failed BDAT is still consumed).
        var refusal: Reply?
    }

    /// What the client has established in this session. STARTTLS discards all of it (D13).
    struct Facts: Sendable, Equatable {
        var tls: Bool
        /// The EHLO or HELO argument; nil before either.
        var clientDomain: String?
        /// The last greeting was EHLO (extensions are in use).
        var extended = false
        /// D8: an EHLO on this TLS session advertised CLIENTID.
        var clientIDAdvertised = false
        /// D9: a CLIENTID got 250 in this session.
        var clientIDAccepted = false
        /// The accepted identity; discarded by a SASL security layer (D14).
        var clientIdentity: ClientIdentity?
        /// D10: an AUTH command was received, whatever its outcome.
        var authCommandReceived = false
        var authenticatedUser: String?
        var transaction: Transaction?

        init(tls: Bool) { self.tls = tls }
    }

    struct Transaction: Sendable, Equatable {
        enum Content: Sendable, Equatable {
            case none, open, discarded
        }
        var sender: String
        var recipients: [String] = []
        var body: BodyType?
        var smtputf8: Bool
        /// BDAT was used in this transaction (RFC 3030 §2: then DATA is 503).
        var chunked = false
        var content: Content = .none
        /// Content octets handed out so far.
        var size = 0
        /// RFC 5321 §4.5.3.1.6: the DATA content had a line over `maxTextLineLength`.
        var overlongLine = false
    }

    private(set) var state: State = .notStarted
    private(set) var facts: Facts
    /// Replies counted against `maxErrors`.
    private var errors = 0
    /// `535` replies counted against `maxAuthFailures`. Kept across STARTTLS on purpose:
    /// they are the server's knowledge, not the client's.
    private var authFailures = 0
    /// NOOP, RSET, VRFY and HELP so far (`maxJunkCommands`).
    private var junkCommands = 0
    /// Unprocessed input is `input[inputStart...]`.
    private var input: [UInt8] = []
    private var inputStart = 0
    private var inputOverflowed = false
    private var framer: LineFramer
    private let parser: SMTPCommandParser

    /// `configuration` must pass `validate()`.
    public init(configuration: Configuration = Configuration()) {
        do throws(Configuration.Problem) {
            try configuration.validate()
        } catch {
            preconditionFailure("invalid SMTPSession configuration: \(error)")
        }
        self.configuration = configuration
        // One framer for command lines and AUTH responses: command lines are
        // checked against their own, smaller limit when they are complete.
        framer = LineFramer(maxLineLength: max(configuration.maxCommandLineLength, configuration.maxAuthLineLength + 2))
        parser = SMTPCommandParser(options: .init(lenient: configuration.lenientParser, smtputf8: configuration.smtputf8))
        facts = Facts(tls: configuration.implicitTLS)  // D16
    }

    // MARK: Observing

    /// What the session waits for, if anything.
    public enum Awaiting: Sendable, Equatable {
        case credentials, delivery, tlsHandshake
    }

    public var awaiting: Awaiting? {
        switch state {
        case .awaitingCredentials: .credentials
        case .awaitingDelivery: .delivery
        case .awaitingTLSHandshake: .tlsHandshake
        default: nil
        }
    }

    public var isClosed: Bool { state == .closed }
    /// STARTTLS completed, or implicit TLS (D16).
    public var isEncrypted: Bool { facts.tls }
    /// The identity of the CLIENTID accepted on this TLS session, if any.
    public var clientIdentity: ClientIdentity? { facts.clientIdentity }
    public var authenticatedUser: String? { facts.authenticatedUser }
    /// Whether a mail transaction (MAIL accepted, not yet finished) is open.
    public var inTransaction: Bool { facts.transaction != nil }
    /// The open transaction as it stands: what `deliver` will carry, with `size` so far.
    /// A driver that writes the message as it arrives reads it at `beginMessage`, for
    /// the trace header that goes before the content.
    public var transactionEnvelope: Envelope? {
        facts.transaction.map { envelope($0, chunked: $0.chunked) }
    }
    /// Input octets held until the session can process them.
    public var bufferedInputCount: Int { input.count - inputStart + framer.bufferedByteCount }
    /// Part of a command or AUTH line has been received, or an overlong one is being
    /// skipped: the driver's per-command deadline runs.
    public var hasPartialLine: Bool {
        switch state {
        case .command, .authExchange: framer.hasPartialLine || inputStart < input.count
        default: false
        }
    }
    /// Message content is being read (DATA after `354`, or a BDAT chunk): the driver's
    /// minimum data rate applies, not its per-command deadline.
    public var isReceivingContent: Bool {
        switch state {
        case .data, .chunk: true
        default: false
        }
    }

    // MARK: Events

    /// The connection is open: the greeting (RFC 5321 §4.3.1; RFC 2034: no enhanced code).
    public mutating func start() -> [Action] {
        guard state == .notStarted else { return [] }
        state = .command
        if configuration.enforceSynchronization && inputStart < input.count {
            // Talking before the greeting: a client that does not wait for replies.
            var out: [Action] = []
            synchronizationError(&out)
            return out
        }
        var out: [Action] = [.send(Reply(220, nil, "\(configuration.hostname) ESMTP ready"))]
        resume(&out)  // anything the client sent before the greeting
        return out
    }

    /// Bytes read from the client (after TLS decryption).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> [Action] {
        var out: [Action] = []
        receive(bytes, into: &out)
        return out
    }

    /// `receive(_:)` appending its actions to `out`, so that a driver can keep one array
    /// for every read instead of getting a new one each time.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, into out: inout [Action]) {
        switch state {
        case .closed:
            return
        case .awaitingTLSHandshake:
            return  // D13: plaintext sent after STARTTLS is never executed.
        case .notStarted, .awaitingCredentials, .awaitingDelivery:
            if input.count - inputStart + bytes.count > configuration.maxBufferedInput {
                inputOverflowed = true
            } else {
                input.append(contentsOf: bytes)
            }
        case .command, .authExchange, .data, .chunk:
            input.append(contentsOf: bytes)
            process(&out)
        }
    }

    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// The TLS handshake after `startTLS` succeeded: the session starts over (RFC 3207 §4.2, D13).
    /// No greeting follows; the client sends EHLO.
    public mutating func tlsEstablished() -> [Action] {
        guard state == .awaitingTLSHandshake else { return [] }
        facts = Facts(tls: true)
        discardInput()
        state = .command
        return []
    }

    /// The TLS handshake failed: nothing can be said in the clear any more.
    public mutating func tlsFailed() -> [Action] {
        guard state == .awaitingTLSHandshake else { return [] }
        var out: [Action] = []
        close(&out)
        return out
    }

    /// The answer to `checkCredentials`.
    public mutating func credentialsChecked(_ outcome: AuthenticationOutcome) -> [Action] {
        credentialsChecked(outcome, failureDelay: configuration.authFailureDelay)
    }

    /// The answer to `checkCredentials`, with the driver's own delay before a `535` or a
    /// `421` (a delay that grows with recent failures across connections). The delay is
    /// the same whatever made the attempt fail (D18).
    public mutating func credentialsChecked(_ outcome: AuthenticationOutcome, failureDelay: Duration) -> [Action] {
        guard case .awaitingCredentials(let user) = state else { return [] }
        state = .command
        var out: [Action] = []
        switch outcome {
        case .accepted, .acceptedWithSecurityLayer:
            facts.authenticatedUser = user
            out.append(.send(Reply(235, "2.7.0", "Authentication successful")))
            if outcome == .acceptedWithSecurityLayer {
                securityLayerTookEffect(&out)
            }
        case .rejected:
            // D18: one text and one delay for a wrong password and for every policy refusal.
            authFailures += 1
            out.append(.delay(failureDelay))
            out.append(.send(Self.authenticationFailed))
            if authFailures >= configuration.maxAuthFailures {
                out.append(
                    .send(Reply(421, "4.7.0", "\(configuration.hostname) Too many authentication failures, closing connection")))
                close(&out)
                return out
            }
        case .temporaryFailure:
            out.append(.send(Reply(454, "4.7.0", "Temporary authentication failure")))
        case .tooManyFailures:
            // The same words as the per-session limit: nothing says which count was reached.
            out.append(.delay(failureDelay))
            out.append(
                .send(Reply(421, "4.7.0", "\(configuration.hostname) Too many authentication failures, closing connection")))
            close(&out)
            return out
        }
        resume(&out)
        return out
    }

    /// The answer to `deliver`. Only now is the message acknowledged.
    public mutating func deliveryFinished(_ result: DeliveryResult) -> [Action] {
        guard state == .awaitingDelivery else { return [] }
        state = .command
        facts.transaction = nil
        var out: [Action] = []
        switch result {
        case .stored(let queueID):
            out.append(.send(queueID.map { Reply(250, "2.0.0", "OK queued as \($0)") } ?? Self.messageAccepted))
        case .temporaryFailure:
            out.append(.send(Reply(451, "4.3.0", "Temporary failure, message not stored")))
        case .permanentFailure:
            out.append(.send(Reply(554, "5.3.0", "Message not stored")))
        }
        resume(&out)
        return out
    }

    /// `deliveryFinished(.stored(queueID: nil))` or `(.temporaryFailure)`.
    public mutating func deliveryFinished(success: Bool) -> [Action] {
        deliveryFinished(success ? .stored(queueID: nil) : .temporaryFailure)
    }

    /// The driver's idle timer fired (RFC 5321 §4.5.3.2).
    public mutating func timedOut() -> [Action] {
        guard state != .closed else { return [] }
        var out: [Action] = [.send(Reply(421, "4.4.2", "\(configuration.hostname) Timeout, closing connection"))]
        close(&out)
        return out
    }

    /// The server is going away (RFC 5321 §3.8): `421`, then close; a message being
    /// received is aborted. The driver calls it at a point where no transaction is open,
    /// or when it will not wait any longer.
    public mutating func shutdown() -> [Action] {
        guard state != .closed else { return [] }
        var out: [Action] = [
            .send(Reply(421, "4.3.2", "\(configuration.hostname) Service shutting down, closing connection"))
        ]
        close(&out)
        return out
    }

    /// Instead of `start()`: the connection is refused before any greeting (RFC 5321
    /// §3.1): `554` when the client should not retry, else `421`, then close.
    public mutating func refuse(permanently: Bool, _ text: String) -> [Action] {
        guard state == .notStarted else { return [] }
        var out: [Action] = [
            .send(
                permanently
                    ? Reply(554, "5.3.2", "\(configuration.hostname) \(text)")
                    : Reply(421, "4.3.2", "\(configuration.hostname) \(text)"))
        ]
        close(&out)
        return out
    }

    /// The client closed the connection (or it broke).
    public mutating func connectionClosed() -> [Action] {
        guard state != .closed else { return [] }
        var out: [Action] = []
        if facts.transaction?.content == .open { out.append(.abortMessage) }
        state = .closed
        discardInput()
        return out
    }

    // MARK: Input

    private enum Framed {
        case line([UInt8])
        case error(SMTPSyntaxError)
    }

    private mutating func process(_ out: inout [Action]) {
        reading: while inputStart < input.count {
            switch state {
            case .command, .authExchange:
                // Feed the framer one LF-terminated slice at a time, so that it
                // never frames bytes that turn out to be DATA or BDAT content.
                let end = input[inputStart...].firstIndex(of: 0x0A).map { $0 + 1 } ?? input.count
                // One LF-ended slice gives at most a line and an error: no array for the usual one.
                var first: Framed?
                var more: [Framed] = []
                input.withUnsafeBytes { all in
                    framer.feed(UnsafeRawBufferPointer(rebasing: all[inputStart..<end])) { event in
                        let framed: Framed
                        switch event {
                        case .line(let line): framed = .line(Array(line))
                        case .error(let error): framed = .error(error)
                        }
                        if first == nil { first = framed } else { more.append(framed) }
                    }
                }
                inputStart = end
                if let first { handle(first, &out) }
                for event in more { handle(event, &out) }
            case .data(var decoder):
                var content: [UInt8] = []
                let (consumed, ended) = input.withUnsafeBytes { all in
                    decoder.decode(UnsafeRawBufferPointer(rebasing: all[inputStart...]), into: &content)
                }
                inputStart += consumed
                state = .data(decoder)
                addContent(content, &out)
                if decoder.sawOverlongLine { refuseOverlongLine(&out) }
                if ended { finishData(&out) }
            case .chunk(var chunk):
                let n = Int(min(UInt64(input.count - inputStart), chunk.remaining))
                if chunk.refusal == nil { addContent(Array(input[inputStart..<(inputStart + n)]), &out) }
                inputStart += n
                chunk.remaining -= UInt64(n)
                state = .chunk(chunk)
                if chunk.remaining == 0 { finishChunk(chunk, &out) }
            case .notStarted, .awaitingCredentials, .awaitingDelivery, .awaitingTLSHandshake, .closed:
                break reading
            }
        }
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 64 * 1024)
            inputStart = 0
        } else if inputStart >= 4096 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }

    private mutating func handle(_ event: Framed, _ out: inout [Action]) {
        switch (event, state) {
        case (.line(let line), .command):
            command(line, pipelined: inputStart < input.count, &out)
        case (.line(let line), .authExchange(let exchange)):
            authResponse(line, exchange, &out)
        case (.error(let error), .command):
            reject(Self.syntaxReply(error), &out)  // D12: framing errors come first
        case (.error(let error), .authExchange):
            state = .command
            reject(error.kind == .lineTooLong ? Self.authLineTooLong : Self.cannotDecode, &out)
        default:
            break  // the session closed
        }
    }

    /// After a wait: process what was buffered meanwhile.
    private mutating func resume(_ out: inout [Action]) {
        guard state != .closed else { return }
        if inputOverflowed {
            out.append(.send(Reply(421, "4.7.0", "\(configuration.hostname) Too much pipelined input, closing connection")))
            close(&out)
            return
        }
        process(&out)
    }

    private mutating func discardInput() {
        input = []
        inputStart = 0
        inputOverflowed = false
        framer = LineFramer(maxLineLength: framer.maxLineLength)
    }

    private mutating func close(_ out: inout [Action]) {
        if facts.transaction?.content == .open { out.append(.abortMessage) }
        out.append(.close)
        state = .closed
        discardInput()
    }

    /// A 4xx/5xx reply to a bad command: counted, and the last allowed one becomes `421`.
    private mutating func reject(_ reply: Reply, _ out: inout [Action]) {
        errors += 1
        if errors >= configuration.maxErrors {
            out.append(.send(Reply(421, "4.7.0", "\(configuration.hostname) Too many errors, closing connection")))
            close(&out)
        } else {
            out.append(.send(reply))
        }
    }

    /// Counts a junk command; past `maxJunkCommands` each counts as an error too.
    /// Returns true when that closed the session.
    private mutating func junk(_ out: inout [Action]) -> Bool {
        junkCommands += 1
        guard junkCommands > configuration.maxJunkCommands else { return false }
        errors += 1
        guard errors >= configuration.maxErrors else { return false }
        out.append(.send(Reply(421, "4.7.0", "\(configuration.hostname) Too many errors, closing connection")))
        close(&out)
        return true
    }

    private mutating func synchronizationError(_ out: inout [Action]) {
        out.append(.send(Reply(554, "5.5.0", "\(configuration.hostname) SMTP synchronization error, closing connection")))
        close(&out)
    }

    /// An HTTP request line (`GET / HTTP/1.1`, `CONNECT host:443 HTTP/1.1`) or header
    /// (`Host: x`): a browser or a proxy scanner, never an SMTP client. No SMTP verb is
    /// one of these.
    static func looksLikeHTTP(_ line: [UInt8]) -> Bool {
        var word: [UInt8] = []
        for b in line.prefix(16) {
            if b == 0x20 {
                return httpMethods.contains(word)
            }
            if b == UInt8(ascii: ":") {
                return word == Array("HOST".utf8)
            }
            guard (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A else { return false }
            word.append(b & ~0x20)
        }
        return false
    }

    private static let httpMethods: [[UInt8]] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
        .map { Array($0.utf8) }

    // MARK: Commands

    /// `pipelined`: more input follows this line in what was received so far.
    private mutating func command(_ line: [UInt8], pipelined: Bool, _ out: inout [Action]) {
        // Before the length check: a browser's request line is often longer than 512.
        if Self.looksLikeHTTP(line) {
            out.append(.send(Reply(554, "5.5.1", "\(configuration.hostname) This is an SMTP server, closing connection")))
            close(&out)
            return
        }
        // RFC 2920 §3.1: without PIPELINING offered (before an EHLO reply, or after HELO) a
        // client waits for each reply.
        if configuration.enforceSynchronization && pipelined && !facts.extended {
            return synchronizationError(&out)
        }
        guard line.count <= configuration.maxCommandLineLength else {
            reject(
                Reply(
                    SMTPSyntaxError.Kind.lineTooLong.replyCode, "\(SMTPSyntaxError.Kind.lineTooLong.enhancedStatus)",
                    "Line too long"), &out)
            return
        }
        let command: SMTPCommand
        do throws(SMTPSyntaxError) {
            command = try parser.parse(line)
        } catch {
            let verb = Self.verb(of: line)
            if verb == Array("CLIENTID".utf8) {
                clientID(nil, malformed: error, &out)  // D6–D10 are checked before D11
            } else {
                // D10 reads "after receiving an AUTH command" literally: a malformed one counts too.
                if verb == Array("AUTH".utf8) { facts.authCommandReceived = true }
                if configuration.enforceSynchronization && verb == Array("BDAT".utf8) {
                    // RFC 3030 §2: the chunk follows at once. Without a usable size its end
                    // cannot be found, and its octets could only be read as commands.
                    out.append(.send(Self.syntaxReply(error)))
                    return close(&out)
                }
                reject(Self.syntaxReply(error), &out)
            }
            return
        }
        func text(_ range: Range<Int>) -> String { String(decoding: line[range], as: UTF8.self) }
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
            out.append(.send(Self.ok))
        case .noop:
            if junk(&out) { return }
            out.append(.send(Self.ok))
        case .vrfy:
            if junk(&out) { return }
            // RFC 5321 §3.5.3: 252 when the server will not verify.
            out.append(.send(Reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")))
        case .expn:
            reject(Reply(502, "5.5.1", "EXPN not implemented"), &out)
        case .help:
            if junk(&out) { return }
            out.append(.send(Reply(214, "2.0.0", "See RFC 5321 and draft-storey-smtp-client-id")))
        case .quit:
            out.append(.send(Reply(221, "2.0.0", "\(configuration.hostname) Service closing transmission channel")))
            close(&out)
        case .startTLS:
            startTLS(&out)
        case .auth(let mechanism, let initialResponse):
            auth(mechanism: text(mechanism), initialResponse: initialResponse.map { line[$0] }, &out)
        case .clientID(let type, let token):
            clientID(ClientIdentity(typeBytes: line[type], tokenBytes: line[token]), malformed: nil, &out)
        case .unknown:
            reject(Self.unknownCommand, &out)
        }
    }

    /// EHLO / HELO (RFC 5321 §4.1.1.1): a new greeting also resets the transaction.
    private mutating func greet(_ domain: String, extended: Bool, _ out: inout [Action]) {
        resetTransaction(&out)
        facts.clientDomain = domain
        facts.extended = extended
        // D15: every EHLO over TLS advertises CLIENTID while enabled; D8: HELO does not.
        facts.clientIDAdvertised = extended && facts.tls && configuration.clientIDEnabled
        guard extended else {
            out.append(.send(Reply(250, nil, "\(configuration.hostname) greets \(domain)")))
            return
        }
        out.append(.send(Reply(250, nil, lines: ["\(configuration.hostname) greets \(domain)"] + ehloKeywords)))
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

    private mutating func resetTransaction(_ out: inout [Action]) {
        if facts.transaction?.content == .open { out.append(.abortMessage) }
        facts.transaction = nil
    }

    /// RFC 5321 §4.1.1.2; RFC 6409 §4.3 (authentication first); RFC 1870 (SIZE).
    private mutating func mail(_ mail: MailCommand, _ line: [UInt8], _ out: inout [Action]) {
        guard facts.clientDomain != nil else { return reject(Reply(503, "5.5.1", "Send EHLO or HELO first"), &out) }
        if configuration.requireAuthentication && facts.authenticatedUser == nil {
            return reject(Reply(530, "5.7.0", "Authentication required"), &out)
        }
        guard facts.transaction == nil else { return reject(Reply(503, "5.5.1", "Sender already specified"), &out) }
        if let unsupported = unsupportedParameter(mail.parameters, line, supported: mailParameters) {
            return reject(Reply(555, "5.5.4", "Parameter not supported: \(unsupported)"), &out)
        }
        if mail.body == .binaryMIME {
            return reject(Reply(555, "5.5.4", "BINARYMIME not supported"), &out)
        }
        if let size = mail.size, size > UInt64(configuration.maxMessageSize) {
            out.append(.send(Self.messageTooBig))
            return
        }
        facts.transaction = Transaction(
            sender: String(decoding: line[mail.path], as: UTF8.self), body: mail.body, smtputf8: mail.smtputf8)
        out.append(.send(Self.senderOK))
    }

    private var mailParameters: [String] {
        configuration.smtputf8 ? ["SIZE", "BODY", "AUTH", "SMTPUTF8"] : ["SIZE", "BODY", "AUTH"]
    }

    /// RFC 5321 §4.1.1.11: a parameter of an extension not advertised gets 555.
    private func unsupportedParameter(_ range: Range<Int>?, _ line: [UInt8], supported: [String]) -> String? {
        guard let range else { return nil }
        return line.withUnsafeBytes { buffer in
            for parameter in ESMTPParameterIterator(line: buffer, range: range) {
                let keyword = ClientIdentity.foldType(String(decoding: line[parameter.keyword], as: UTF8.self))
                if !supported.contains(keyword) { return keyword }
            }
            return nil
        }
    }

    /// RFC 5321 §4.1.1.3, §4.5.3.1.8 (recipient limit: 452).
    private mutating func rcpt(_ rcpt: RcptCommand, _ line: [UInt8], _ out: inout [Action]) {
        guard var transaction = facts.transaction else { return reject(Reply(503, "5.5.1", "Need MAIL command"), &out) }
        guard !transaction.chunked else { return reject(Reply(503, "5.5.1", "RCPT not allowed after BDAT"), &out) }
        if let unsupported = unsupportedParameter(rcpt.parameters, line, supported: []) {
            return reject(Reply(555, "5.5.4", "Parameter not supported: \(unsupported)"), &out)
        }
        guard transaction.recipients.count < configuration.maxRecipients else {
            out.append(.send(Reply(452, "4.5.3", "Too many recipients")))
            return
        }
        transaction.recipients.append(String(decoding: line[rcpt.path], as: UTF8.self))
        facts.transaction = transaction
        out.append(.send(Self.recipientOK))
    }

    /// RFC 5321 §4.1.1.4; RFC 3030 §2 (no DATA after BDAT in one transaction).
    private mutating func data(_ out: inout [Action]) {
        guard var transaction = facts.transaction else { return reject(Reply(503, "5.5.1", "Need MAIL command"), &out) }
        guard !transaction.chunked else { return reject(Reply(503, "5.5.1", "DATA not allowed after BDAT"), &out) }
        guard !transaction.recipients.isEmpty else { return reject(Reply(554, "5.5.1", "No valid recipients"), &out) }
        transaction.content = .open
        facts.transaction = transaction
        out.append(.send(Self.startMailInput))
        out.append(.beginMessage)
        state = .data(DataDecoder(maxLineLength: configuration.maxTextLineLength))
    }

    /// RFC 3030 §2: the chunk is always read, even when the command fails.
    private mutating func bdat(size: UInt64, last: Bool, _ out: inout [Action]) {
        var chunk = BDATChunk(size: size, remaining: size, last: last)
        if var transaction = facts.transaction {
            if transaction.recipients.isEmpty {
                chunk.refusal = Reply(554, "5.5.1", "No valid recipients")
            } else {
                transaction.chunked = true
                if transaction.content == .none {
                    transaction.content = .open
                    out.append(.beginMessage)
                }
                if transaction.content == .open, UInt64(transaction.size) + size > UInt64(configuration.maxMessageSize) {
                    transaction.content = .discarded  // stop buffering at the limit
                    out.append(.abortMessage)
                }
                facts.transaction = transaction
            }
        } else {
            // Also any BDAT after BDAT LAST (RFC 3030 §2).
            chunk.refusal = Reply(503, "5.5.1", "Need MAIL command")
        }
        state = .chunk(chunk)
        if size == 0 { finishChunk(chunk, &out) }
    }

    private mutating func addContent(_ bytes: [UInt8], _ out: inout [Action]) {
        guard !bytes.isEmpty, var transaction = facts.transaction, transaction.content == .open else { return }
        if transaction.size + bytes.count > configuration.maxMessageSize {
            transaction.content = .discarded  // stop buffering at the limit (RFC 1870 §6)
            out.append(.abortMessage)
        } else {
            transaction.size += bytes.count
            out.append(.messageData(bytes))
        }
        facts.transaction = transaction
    }

    /// RFC 5321 §4.5.3.1.6: the content is dropped at once; the reply waits for the final dot.
    private mutating func refuseOverlongLine(_ out: inout [Action]) {
        // Whichever limit is passed first names the reply: a message already over the size stays 552.
        guard var transaction = facts.transaction, !transaction.overlongLine, transaction.content != .discarded else { return }
        if transaction.content == .open { out.append(.abortMessage) }
        transaction.content = .discarded
        transaction.overlongLine = true
        facts.transaction = transaction
    }

    private mutating func finishData(_ out: inout [Action]) {
        state = .command
        guard let transaction = facts.transaction else { return }
        if transaction.overlongLine {
            facts.transaction = nil
            out.append(.send(Self.textLineTooLong))
        } else if transaction.content == .discarded {
            facts.transaction = nil
            out.append(.send(Self.messageTooBig))
        } else {
            deliver(transaction, chunked: false, &out)
        }
    }

    private mutating func finishChunk(_ chunk: BDATChunk, _ out: inout [Action]) {
        state = .command
        if let refusal = chunk.refusal { return reject(refusal, &out) }
        guard let transaction = facts.transaction else { return }
        if transaction.content == .discarded {
            if chunk.last { facts.transaction = nil }
            out.append(.send(Self.messageTooBig))
        } else if chunk.last {
            deliver(transaction, chunked: true, &out)
        } else {
            out.append(.send(Reply(250, "2.0.0", "\(chunk.size) octets received")))
        }
    }

    private mutating func deliver(_ transaction: Transaction, chunked: Bool, _ out: inout [Action]) {
        state = .awaitingDelivery
        out.append(.deliver(envelope(transaction, chunked: chunked)))
    }

    private func envelope(_ transaction: Transaction, chunked: Bool) -> Envelope {
        Envelope(
            sender: transaction.sender, recipients: transaction.recipients, body: transaction.body,
            smtputf8: transaction.smtputf8, size: transaction.size, authenticatedUser: facts.authenticatedUser,
            clientIdentity: facts.clientIdentity, clientDomain: facts.clientDomain, tls: facts.tls, chunked: chunked)
    }

    /// RFC 3207 §4: after the 220 the session starts over (D13).
    private mutating func startTLS(_ out: inout [Action]) {
        guard !facts.tls else { return reject(Reply(503, "5.5.1", "TLS already active"), &out) }
        guard configuration.startTLSAvailable else {
            out.append(.send(Reply(454, "4.7.0", "TLS not available")))
            return
        }
        resetTransaction(&out)
        out.append(.send(Reply(220, "2.0.0", "Ready to start TLS")))
        out.append(.startTLS)
        state = .awaitingTLSHandshake
        discardInput()  // D13: nothing received after the STARTTLS line is executed
    }

    // MARK: AUTH (RFC 4954)

    private mutating func auth(mechanism: String, initialResponse: ArraySlice<UInt8>?, _ out: inout [Action]) {
        facts.authCommandReceived = true  // D10: whatever happens next
        guard facts.authenticatedUser == nil else { return reject(Reply(503, "5.5.1", "Already authenticated"), &out) }
        guard facts.extended else { return reject(Reply(503, "5.5.1", "Send EHLO first"), &out) }
        guard facts.transaction == nil else {
            return reject(Reply(503, "5.5.1", "AUTH not permitted during a mail transaction"), &out)
        }
        guard facts.tls || configuration.allowAuthWithoutTLS else {
            return reject(Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"), &out)
        }
        guard let sasl = SASLMechanism(rawValue: ClientIdentity.foldType(mechanism)), configuration.authMechanisms.contains(sasl)
        else {
            return reject(Reply(504, "5.5.4", "Unrecognized authentication type"), &out)
        }
        // RFC 4954 §4: "=" is a present but empty initial response.
        var response: [UInt8]?
        if let initialResponse {
            guard let decoded = initialResponse.elementsEqual([UInt8(ascii: "=")]) ? [] : Base64.decode(initialResponse) else {
                return reject(Self.cannotDecode, &out)
            }
            response = decoded
        }
        switch (sasl, response) {
        case (.plain, let message?):
            plain(message, &out)
        case (.plain, nil):
            state = .authExchange(.plain)
            out.append(.send(Reply(334, nil, "")))
        case (.login, let username?):
            // LOGIN's optional initial response is the user name.
            login(username: username, &out)
        case (.login, nil):
            state = .authExchange(.loginUsername)
            out.append(.send(Reply(334, nil, SASLExchange.usernameChallenge)))
        }
    }

    private mutating func authResponse(_ line: [UInt8], _ exchange: SASLExchange, _ out: inout [Action]) {
        state = .command
        let text = line.dropLast(2)
        guard text.count <= configuration.maxAuthLineLength else { return reject(Self.authLineTooLong, &out) }
        if text.elementsEqual([UInt8(ascii: "*")]) {
            return reject(Reply(501, "5.7.0", "Authentication canceled"), &out)
        }
        guard let response = Base64.decode(text) else { return reject(Self.cannotDecode, &out) }
        switch exchange {
        case .plain:
            plain(response, &out)
        case .loginUsername:
            login(username: response, &out)
        case .loginPassword(let username):
            checkCredentials(
                AuthenticationRequest(
                    mechanism: .login, authorizationIdentity: nil, username: username, password: response,
                    clientIdentity: facts.clientIdentity, tls: facts.tls), &out)
        }
    }

    private mutating func plain(_ message: [UInt8], _ out: inout [Action]) {
        guard let plain = PlainMessage(message) else { return reject(Self.cannotDecode, &out) }
        checkCredentials(
            AuthenticationRequest(
                mechanism: .plain, authorizationIdentity: plain.authorizationIdentity, username: plain.authenticationIdentity,
                password: plain.password, clientIdentity: facts.clientIdentity, tls: facts.tls), &out)
    }

    private mutating func login(username: [UInt8], _ out: inout [Action]) {
        guard !username.isEmpty, !username.contains(0), let name = String(validating: username, as: UTF8.self) else {
            return reject(Self.cannotDecode, &out)
        }
        state = .authExchange(.loginPassword(username: name))
        out.append(.send(Reply(334, nil, SASLExchange.passwordChallenge)))
    }

    private mutating func checkCredentials(_ request: AuthenticationRequest, _ out: inout [Action]) {
        state = .awaitingCredentials(user: request.authorizationIdentity ?? request.username)
        out.append(.checkCredentials(request))
    }

    /// RFC 4954 §4, draft §4, D14: a SASL security layer resets the session to
    /// just after the greeting and discards the client identity. Authentication stays.
    private mutating func securityLayerTookEffect(_ out: inout [Action]) {
        if facts.clientIdentity != nil { out.append(.clientIdentityDiscarded) }
        var fresh = Facts(tls: facts.tls)
        fresh.authCommandReceived = true
        fresh.authenticatedUser = facts.authenticatedUser
        facts = fresh
        discardInput()  // what follows is protected by the new layer, not readable here
    }

    // MARK: CLIENTID (draft §4; D6–D11, D17)

    /// `identity` is nil when the line is malformed (`malformed` says why).
    private mutating func clientID(_ identity: ClientIdentity?, malformed: SMTPSyntaxError?, _ out: inout [Action]) {
        guard configuration.clientIDEnabled else { return reject(Self.unknownCommand, &out) }  // D6
        guard facts.tls else { return reject(Self.unknownCommand, &out) }  // D7
        guard facts.clientIDAdvertised else {  // D8
            return reject(Reply(503, "5.5.1", "Bad sequence of commands: send EHLO first"), &out)
        }
        guard !facts.clientIDAccepted else {  // D9
            return reject(Reply(503, "5.5.1", "Bad sequence of commands: CLIENTID already given"), &out)
        }
        guard !facts.authCommandReceived else {  // D10
            return reject(Reply(503, "5.5.1", "Bad sequence of commands: CLIENTID must come before AUTH"), &out)
        }
        guard let identity else {  // D11: may be retried
            return reject(Self.syntaxReply(malformed!), &out)
        }
        // D17: policy never refuses here.
        facts.clientIDAccepted = true
        facts.clientIdentity = identity
        out.append(.send(Self.ok))
        out.append(.clientIdentified(identity))
    }

    // MARK: Replies and helpers

    // The replies of every message, made once: a `Reply` made per command costs an
    // array of lines each time.
    static let ok = Reply(250, "2.0.0", "OK")
    static let senderOK = Reply(250, "2.1.0", "Sender OK")
    static let recipientOK = Reply(250, "2.1.5", "Recipient OK")
    static let startMailInput = Reply(354, nil, "End data with <CR><LF>.<CR><LF>")
    static let messageAccepted = Reply(250, "2.0.0", "OK message accepted")
    static let unknownCommand = Reply(500, "5.5.1", "Syntax error, command unrecognized")
    /// D18: the one reply for a wrong password and for every policy refusal.
    public static let authenticationFailed = Reply(535, "5.7.8", "Authentication credentials invalid")
    static let cannotDecode = Reply(501, "5.5.2", "Cannot decode response")
    static let authLineTooLong = Reply(500, "5.5.6", "Authentication exchange line is too long")
    static let messageTooBig = Reply(552, "5.3.4", "Message size exceeds fixed maximum message size")
    /// RFC 5321 §4.5.3.1: "500 Line too long" (and the enhanced code used for command lines).
    static let textLineTooLong = Reply(500, "5.5.6", "Line too long in message content")

    /// The parser's reply code and enhanced status for a syntax error.
    static func syntaxReply(_ error: SMTPSyntaxError) -> Reply {
        Reply(error.replyCode, "\(error.kind.enhancedStatus)", "Syntax: \(error.hint)")
    }

    /// The verb of a line, upper case: the letters before SP or CRLF (empty when
    /// something else follows them).
    static func verb(of line: [UInt8]) -> [UInt8] {
        var verb: [UInt8] = []
        for b in line {
            if b == 0x20 || b == 0x0D { return verb }
            guard (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A, verb.count < 16 else { return [] }
            verb.append(b & ~0x20)
        }
        return verb
    }
}
