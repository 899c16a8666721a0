// Properties of the sans-IO session (Sources/SMTPSession), checked against a
// model of the wire written here from the RFCs and docs/decisions.md, not from the
// session's code. The input is a configuration and a sequence of driver events
// (bytes received, TLS, credential and delivery answers, timeout, close); see
// `SessionInput`. The model follows the byte stream itself: it frames command
// lines at CRLF, skips BDAT chunks by their size and DATA content up to
// CRLF "." CRLF, and gives every final reply to the oldest command still
// unanswered. It uses the command parser (fuzzed on its own) to read a line,
// and the session's replies only for what the wire shows (354, 334, 220, 250
// to EHLO), never its internal state. Broken properties:
//
// - a reply with no complete command left to answer, or a command left
//   without a reply once the session is idle (one final reply per command, in
//   order, also pipelined, RFC 2920);
// - a CLIENTID reply other than the one D6–D11 and D17 give (the rules are the
//   shared `ClientIDRuleModel`, the same the property suites use);
// - any byte received after a STARTTLS line and before the handshake ended
//   executed afterwards (D13): the model drops those bytes, so a reply to one
//   shows as a reply without a command;
// - replies after close, a 421 not followed by close, a 535 without its delay
//   (D18), ill-formed enhanced status codes (RFC 2034, RFC 3463);
// - credentials, identity, TLS state or message content handed to the driver
//   (checkCredentials, beginMessage, deliver, messageData) different from the model's;
// - an event the state does not allow (an answer nobody asked for) accepted instead
//   of refused with `SessionUsageError`, or refused when it was allowed;
// - a `.reading` phase that disagrees with what the model reads next.

import ClientIDPolicy
import ClientIDRuleModel
import SMTPCommandParser
import SMTPSession

/// The fuzz input of the session target:
///
/// - byte 0, configuration: bit 0 implicit TLS, bit 1 CLIENTID disabled, bit 2 AUTH
///   allowed without TLS, bit 3 lenient parser, bit 4 SMTPUTF8, bit 5 no AUTH needed
///   for MAIL, bit 6 no STARTTLS, bit 7 the first event comes before `start()`;
/// - byte 1, limits: bits 0–1 max message size (25 MiB, 16, 100, 1000), bits 2–3
///   max errors (10, 3, 50, 1), bit 4 one AUTH failure closes (else 3);
/// - then events, one byte each (low four bits) with operands:
///   0 a canned command line (next byte picks it) + CRLF; 1 the next n bytes
///   (n = next byte); 2 the bytes up to and including the next LF; 3 TLS
///   established; 4 TLS failed; 5–8 credentials accepted, rejected, temporary
///   failure, accepted with a security layer; 9–11 delivery stored, temporary,
///   permanent failure; 12 timeout; 13 connection closed; 14 a canned line in two
///   reads split where the high four bits say; 15 canned message content (next byte).
///
/// At most `maxReceived` bytes are received in all (more are ignored), so no
/// line reaches the session's framing limit (12,290 octets) and the model need
/// not follow an overlong line.
public enum SessionInput {
    public enum Event: Equatable, Sendable {
        case receive([UInt8])
        case tlsEstablished, tlsFailed
        case credentials(AuthenticationOutcome)
        case delivery(DeliveryResult)
        case timedOut, connectionClosed
    }

    public static let maxReceived = 12_000
    public static let maxEvents = 1_000

    public static let cannedLines: [String] = [
        "EHLO client.example.net", "HELO client.example.net", "STARTTLS",
        "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f", "CLIENTID MAC 08:9e:01:70:f6:46", "clientid uuid x",
        "CLIENTID DEVICE_ID 12345", "CLIENTID MAC", "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN", "AUTH LOGIN",
        "AUTH LOGIN YWxpY2U=", "AUTH CRAM-MD5", "AUTH PLAIN !!", "AGFsaWNlAHNlY3JldA==", "YWxpY2U=", "c2VjcmV0", "*",
        "MAIL FROM:<alice@example.net>", "MAIL FROM:<> BODY=8BITMIME SIZE=100", "RCPT TO:<bob@example.com>", "DATA",
        "BDAT 5", "BDAT 5 LAST", "BDAT 0 LAST", "RSET", "NOOP", "QUIT", "VRFY alice", "HELP", "EXPN list",
        "XCLIENT ADDR=192.0.2.1", "AUTH", "AUTH PLAIN =",
    ]

    public static let cannedContent: [String] = [
        "Subject: test\r\n\r\nhello\r\n.\r\n", ".\r\n", "..leading dot\r\n.\r\n", "line\n.\nsmuggled\r\n.\r\n",
        "12345", "a\r\n.\r\nQUIT\r\n", "x\r.\rMAIL FROM:<e@example.net>\r\n.\r\n",
    ]

    public struct Decoded: Sendable {
        public var configuration: SMTPSession.Configuration
        public var startAfterFirstEvent: Bool
        public var events: [Event]
    }

    public static func decode(_ input: UnsafeRawBufferPointer) -> Decoded {
        var c = SMTPSession.Configuration()
        c.hostname = "mx.example"
        let a = input.count > 0 ? input[0] : 0
        let b = input.count > 1 ? input[1] : 0
        c.implicitTLS = a & 1 != 0
        c.clientIDEnabled = a & 2 == 0
        c.allowAuthWithoutTLS = a & 4 != 0
        c.lenientParser = a & 8 != 0
        c.smtputf8 = a & 16 != 0
        c.requireAuthentication = a & 32 == 0
        c.startTLSAvailable = a & 64 == 0
        c.maxMessageSize = [25 * 1024 * 1024, 16, 100, 1000][Int(b & 3)]
        c.maxErrors = [10, 3, 50, 1][Int(b >> 2 & 3)]
        c.maxAuthFailures = b & 16 != 0 ? 1 : 3
        c.authFailureDelay = .milliseconds(1)

        var events: [Event] = []
        var received = 0
        var i = 2
        func next() -> UInt8 {
            defer { i += 1 }
            return i < input.count ? input[i] : 0
        }
        func receive(_ bytes: [UInt8]) {
            let room = maxReceived - received
            guard room > 0 else { return }
            let taken = Array(bytes.prefix(room))
            received += taken.count
            events.append(.receive(taken))
        }
        while i < input.count && events.count < maxEvents {
            let op = next()
            switch op & 15 {
            case 0:
                receive(Array(cannedLines[Int(next()) % cannedLines.count].utf8) + [13, 10])
            case 1:
                let n = Int(next())
                let end = min(input.count, i + n)
                receive(Array(input[min(i, end)..<end]))
                i = end
            case 2:
                var bytes: [UInt8] = []
                while i < input.count && bytes.count < 1024 {
                    bytes.append(input[i])
                    i += 1
                    if bytes.last == 10 { break }
                }
                receive(bytes)
            case 3: events.append(.tlsEstablished)
            case 4: events.append(.tlsFailed)
            case 5: events.append(.credentials(.accepted))
            case 6: events.append(.credentials(.rejected))
            case 7: events.append(.credentials(.temporaryFailure))
            case 8: events.append(.credentials(.acceptedWithSecurityLayer))
            case 9: events.append(.delivery(.stored(queueID: "Q1")))
            case 10: events.append(.delivery(.temporaryFailure))
            case 11: events.append(.delivery(.permanentFailure))
            case 12: events.append(.timedOut)
            case 13: events.append(.connectionClosed)
            case 15 where op & 0x80 != 0:
                // The brute-force throttle's answer (421 and close, never checked).
                events.append(.credentials(.tooManyFailures))
            case 14:
                let line = Array(cannedLines[Int(next()) % cannedLines.count].utf8) + [13, 10]
                let cut = Int(op >> 4) % line.count
                receive(Array(line[..<cut]))
                receive(Array(line[cut...]))
            default:
                receive(Array(cannedContent[Int(next()) % cannedContent.count].utf8))
            }
        }
        return Decoded(configuration: c, startAfterFirstEvent: a & 128 != 0, events: events)
    }

    /// Builds inputs (seeds, tests): the two configuration bytes, then events.
    public struct Builder: Sendable {
        public private(set) var bytes: [UInt8]

        public init(configuration: UInt8 = 0, limits: UInt8 = 0) { bytes = [configuration, limits] }

        /// A canned line if there is one, else raw reads of the line and CRLF.
        public mutating func line(_ text: String) {
            if let index = cannedLines.firstIndex(of: text) {
                bytes += [0, UInt8(index)]
            } else {
                raw(Array(text.utf8) + [13, 10])
            }
        }

        /// Reads of at most 255 bytes each.
        public mutating func raw(_ data: [UInt8]) {
            var rest = data[...]
            repeat {
                let part = rest.prefix(255)
                bytes += [1, UInt8(part.count)] + part
                rest = rest.dropFirst(part.count)
            } while !rest.isEmpty
        }

        public mutating func event(_ event: Event) {
            switch event {
            case .receive(let data): raw(data)
            case .tlsEstablished: bytes.append(3)
            case .tlsFailed: bytes.append(4)
            case .credentials(.accepted): bytes.append(5)
            case .credentials(.rejected): bytes.append(6)
            case .credentials(.temporaryFailure): bytes.append(7)
            case .credentials(.acceptedWithSecurityLayer): bytes.append(8)
            case .credentials(.tooManyFailures): bytes.append(0x8F)
            case .delivery(.stored): bytes.append(9)
            case .delivery(.temporaryFailure): bytes.append(10)
            case .delivery(.permanentFailure): bytes.append(11)
            case .timedOut: bytes.append(12)
            case .connectionClosed: bytes.append(13)
            }
        }
    }
}

public enum SessionProperties {
    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        let decoded = SessionInput.decode(input)
        var session = SMTPSession(configuration: decoded.configuration)
        var model = SessionModel(decoded.configuration)
        var started = false
        func startIfDue() throws(PropertyViolation) {
            guard !started else { return }
            started = true
            if session.isClosed {
                // The connection closed before the greeting (bit 7, then a close or a
                // timeout): a driver never starts such a session, and start() refuses.
                let accepted: Bool
                do throws(SessionUsageError) {
                    _ = try session.start()
                    accepted = true
                } catch {
                    accepted = false
                }
                if accepted { throw PropertyViolation("start-after-close", "start() was accepted on a closed session") }
                return
            }
            let greeting: [Action]
            do throws(SessionUsageError) {
                greeting = try session.start()
            } catch {
                throw PropertyViolation("start-refused", "\(error)")
            }
            try model.apply(greeting, after: .start, refused: false, session: session)
        }
        if !decoded.startAfterFirstEvent || decoded.events.isEmpty { try startIfDue() }
        for (n, event) in decoded.events.enumerated() {
            var actions: [Action] = []
            var refused = false
            do throws(SessionUsageError) {
                switch event {
                case .receive(let bytes): actions = session.receive(bytes)
                case .tlsEstablished: actions = try session.tlsEstablished()
                case .tlsFailed: actions = try session.tlsFailed()
                case .credentials(let outcome): actions = try session.credentialsChecked(outcome)
                case .delivery(let result): actions = try session.deliveryFinished(result)
                case .timedOut: actions = session.timedOut()
                case .connectionClosed: actions = session.connectionClosed()
                }
            } catch {
                refused = true
            }
            try model.apply(actions, after: .event(event), refused: refused, session: session)
            if n == 0 { try startIfDue() }
        }
    }
}

/// The model's reading of the conversation so far.
struct SessionModel {
    enum Cause {
        case start
        case event(SessionInput.Event)
    }

    enum Mode: Equatable {
        case command, authResponse, data, handshake, closed
    }

    enum Expecting: Equatable {
        case greeting, replies
        case credentials(AuthenticationOutcome)
        case delivery(DeliveryResult)
    }

    /// One thing the client sent that gets one final reply.
    enum Unit {
        case command(line: [UInt8], parsed: SMTPCommand?, chunk: [UInt8])
        case authResponse([UInt8])
        case content([UInt8])
    }

    let configuration: SMTPSession.Configuration
    let parser: SMTPCommandParser
    var started = false
    var mode = Mode.command
    var expecting = Expecting.greeting
    /// Received and not yet answered, in order.
    var buffer: [UInt8] = []

    // What the client established on this TLS session (reset by STARTTLS, D13).
    var rules: ClientIDRuleModel
    var tls: Bool { rules.tls }
    var identity: ClientIdentity?
    var authenticated = false
    /// The last `.reading` phase the session reported.
    var phase: ReadPhase?

    // The message being received: content as the model reads it, as the session streamed it.
    var expectedContent: [UInt8] = []
    var streamedContent: [UInt8] = []
    var contentAborted = false
    /// The kind of the last command answered (for the actions that must follow its reply).
    var lastAnswered: SMTPCommand?

    init(_ configuration: SMTPSession.Configuration) {
        self.configuration = configuration
        parser = SMTPCommandParser(
            options: .init(lenient: configuration.lenientParser, smtputf8: configuration.smtputf8))
        rules = ClientIDRuleModel(enabled: configuration.clientIDEnabled, tls: configuration.implicitTLS)
    }

    // MARK: Applying one call's actions

    mutating func apply(_ actions: [Action], after cause: Cause, refused: Bool, session: SMTPSession) throws(PropertyViolation) {
        // An answer to a request that is not out is the driver's bug: refused with
        // `SessionUsageError` while open, ignored once closed (the close may race it).
        let answerAllowed: Bool?
        switch cause {
        case .event(.tlsEstablished), .event(.tlsFailed): answerAllowed = mode == .handshake
        case .event(.credentials):
            if case .credentials = expecting { answerAllowed = true } else { answerAllowed = false }
        case .event(.delivery):
            if case .delivery = expecting { answerAllowed = true } else { answerAllowed = false }
        default: answerAllowed = nil
        }
        if let answerAllowed {
            try require(
                refused == (!answerAllowed && mode != .closed), refused ? "allowed-event-refused" : "unexpected-event-accepted",
                "\(cause) in mode \(mode), expecting \(expecting)")
        } else {
            try require(!refused, "allowed-event-refused", "\(cause)")
        }
        switch cause {
        case .start:
            started = true
        case .event(.receive(let bytes)):
            if mode == .handshake {
                // D13: bytes between STARTTLS and the end of the handshake are never executed.
            } else if mode != .closed {
                buffer += bytes
            }
        case .event(.tlsEstablished):
            if mode == .handshake {
                resetForTLS()
            } else {
                try require(actions.isEmpty, "actions-for-unexpected-event", "tlsEstablished outside a handshake gave \(actions)")
            }
        case .event(.tlsFailed):
            if mode == .handshake {
                try require(
                    actions.last == .close && !actions.contains(where: \.isSend), "tls-failure-not-closed",
                    "tlsFailed gave \(actions)")
            } else {
                try require(actions.isEmpty, "actions-for-unexpected-event", "tlsFailed outside a handshake gave \(actions)")
            }
        case .event(.credentials(let outcome)):
            if case .credentials = expecting, mode != .closed {
                expecting = .credentials(outcome)
            } else {
                try require(actions.isEmpty, "actions-for-unexpected-event", "credentialsChecked while not asked gave \(actions)")
            }
        case .event(.delivery(let result)):
            if case .delivery = expecting, mode != .closed {
                expecting = .delivery(result)
            } else {
                try require(actions.isEmpty, "actions-for-unexpected-event", "deliveryFinished while not asked gave \(actions)")
            }
        case .event(.timedOut):
            if mode != .closed {
                guard case .send(let reply) = actions.first, reply.code == 421 else {
                    throw PropertyViolation("timeout-without-421", "timedOut gave \(actions)")
                }
            }
        case .event(.connectionClosed):
            try require(
                !actions.contains(where: \.isSend), "reply-after-connection-closed", "connectionClosed gave \(actions)")
            if mode != .closed {
                try require(actions.last != .close, "close-after-connection-closed", "\(actions)")
                mode = .closed
            }
        }
        if mode == .closed, case .event(let event) = cause, event != .connectionClosed {
            try require(actions.isEmpty, "actions-after-close", "\(event) after close gave \(actions)")
        }

        var pendingIdentified: ClientIdentity?
        var expectStartTLS = false
        var expectDiscarded = false
        var i = 0
        while i < actions.count {
            let action = actions[i]
            i += 1
            try require(mode != .closed || action == .abortMessage, "action-after-close", "\(action) after close in \(actions)")
            switch action {
            case .send(let reply):
                try require(!expectStartTLS, "starttls-not-started", "the 220 to STARTTLS is followed by \(reply)")
                if reply.code == 421 {
                    // Closing: the last reply to a command (too many errors) or unsolicited.
                    if expecting == .credentials(.tooManyFailures) {
                        guard i >= 2, case .delay = actions[i - 2] else {
                            throw PropertyViolation("throttle-421-without-delay", "\(actions)")
                        }
                    }
                    let rest = actions[i...].filter { $0 != .abortMessage }
                    try require(rest == [.close], "421-without-close", "421 followed by \(Array(actions[i...]))")
                    try checkFormat(reply, greetingOrHello: false)
                    mode = .closed
                    i = actions.count
                    continue
                }
                try answer(reply, &pendingIdentified, &expectStartTLS, &expectDiscarded, session)
            case .delay:
                // D18: a failed AUTH waits before its 535; the brute-force throttle's
                // refusal (the driver answered tooManyFailures) waits the same before its 421.
                guard i < actions.count, case .send(let next) = actions[i],
                    next.code == 535 || (next.code == 421 && expecting == .credentials(.tooManyFailures))
                else {
                    throw PropertyViolation("delay-not-before-535", "\(actions)")
                }
            case .startTLS:
                try require(expectStartTLS, "starttls-without-220", "\(actions)")
                expectStartTLS = false
                buffer = []  // D13
                mode = .handshake
            case .checkCredentials(let request):
                try require(expecting == .replies, "credentials-asked-while-waiting", "\(actions)")
                let unit = try takeUnit(for: "checkCredentials")
                switch unit {
                case .command(_, .auth?, _), .authResponse: break
                default: throw PropertyViolation("credentials-asked-for-non-auth", "\(unit) → \(request)")
                }
                try require(request.tls == tls, "credentials-tls-mismatch", "model tls=\(tls), request \(request)")
                try require(
                    request.clientIdentity == identity, "credentials-identity-mismatch",
                    "model \(identity?.type ?? "none"), request \(request.clientIdentity?.type ?? "none")")
                mode = .command
                expecting = .credentials(.temporaryFailure)  // replaced by the driver's answer
            case .clientIdentified(let id):
                try require(pendingIdentified == id, "client-identified-without-250", "\(id.type) after \(actions)")
                pendingIdentified = nil
            case .clientIdentityDiscarded:
                try require(expectDiscarded, "identity-discarded-unexpectedly", "\(actions)")
                expectDiscarded = false
            case .beginMessage(let envelope):
                try require(
                    envelope.size == 0 && envelope.tls == tls && envelope.clientIdentity == identity
                        && (envelope.authenticatedUser != nil) == authenticated, "begin-message-envelope-differs",
                    "model tls=\(tls) identity=\(identity?.type ?? "none") authenticated=\(authenticated), envelope \(envelope)")
                expectedContent = []
                streamedContent = []
                contentAborted = false
            case .reading(let reported):
                try require(reported != phase, "reading-phase-repeated", "\(reported) twice in a row")
                phase = reported
            case .messageData(let bytes):
                streamedContent += bytes
            case .abortMessage:
                contentAborted = true
            case .deliver(let envelope):
                try require(expecting == .replies, "deliver-while-waiting", "\(actions)")
                let unit = try takeUnit(for: "deliver")
                switch unit {
                case .content(let content):
                    try require(!envelope.chunked, "data-delivered-as-chunked", "")
                    expectedContent = content
                case .command(_, .bdat(_, true)?, let chunk):
                    try require(envelope.chunked, "bdat-delivered-as-data", "")
                    expectedContent += chunk
                default:
                    throw PropertyViolation("deliver-without-message", "\(unit)")
                }
                try require(envelope.tls == tls, "envelope-tls-mismatch", "model \(tls), envelope \(envelope.tls)")
                try require(
                    envelope.clientIdentity == identity, "envelope-identity-mismatch",
                    "model \(identity?.type ?? "none"), envelope \(envelope.clientIdentity?.type ?? "none")")
                try require(
                    (envelope.authenticatedUser != nil) == authenticated, "envelope-user-mismatch",
                    "model authenticated=\(authenticated), envelope \(envelope.authenticatedUser ?? "nil")")
                if !contentAborted {
                    try require(
                        streamedContent == expectedContent && envelope.size == expectedContent.count, "content-differs",
                        "streamed \(escaped(streamedContent)) size \(envelope.size), model \(escaped(expectedContent))")
                }
                mode = .command
                expecting = .delivery(.temporaryFailure)  // replaced by the driver's answer
            case .close:
                try require(i == actions.count, "actions-after-close", "\(actions)")
                try require(
                    lastAnswered == .quit || mode == .handshake, "close-without-reason",
                    "close after \(String(describing: lastAnswered)) in \(actions)")
                mode = .closed
            }
        }
        try require(pendingIdentified == nil, "clientid-250-without-client-identified", "\(actions)")
        try require(!expectStartTLS, "starttls-220-without-start-tls", "\(actions)")
        try require(!expectDiscarded, "security-layer-kept-identity", "\(actions)")
        try checkIdle(session)
        try checkPhase()
    }

    // MARK: Replies

    private mutating func answer(
        _ reply: Reply, _ pendingIdentified: inout ClientIdentity?, _ expectStartTLS: inout Bool,
        _ expectDiscarded: inout Bool, _ session: SMTPSession
    ) throws(PropertyViolation) {
        lastAnswered = nil
        switch expecting {
        case .greeting:
            try require(reply.code == 220, "greeting-not-220", "\(reply)")
            try checkFormat(reply, greetingOrHello: true)
            expecting = .replies
            return
        case .credentials(let outcome):
            let code: Int
            switch outcome {
            case .accepted, .acceptedWithSecurityLayer: code = 235
            case .rejected: code = 535
            case .temporaryFailure: code = 454
            case .tooManyFailures: code = 421  // handled as a closing 421 before this point
            }
            try require(reply.code == code, "wrong-reply-to-credentials", "\(outcome) answered \(reply)")
            try checkFormat(reply, greetingOrHello: false)
            if reply.code == 235 { authenticated = true }
            if outcome == .acceptedWithSecurityLayer {
                // RFC 4954 §4, D14: back to just after the greeting; the identity is gone.
                expectDiscarded = identity != nil
                identity = nil
                rules.securityLayerTookEffect()
                buffer = []
            }
            expecting = .replies
            return
        case .delivery(let result):
            let code: Int
            switch result {
            case .stored: code = 250
            case .temporaryFailure: code = 451
            case .permanentFailure: code = 554
            }
            try require(reply.code == code, "wrong-reply-to-delivery", "\(result) answered \(reply)")
            try checkFormat(reply, greetingOrHello: false)
            expecting = .replies
            return
        case .replies:
            break
        }
        let unit = try takeUnit(for: "reply \(reply.code)")
        switch unit {
        case .authResponse:
            try require(reply.code != 354 && reply.code != 220, "wrong-reply-to-auth-response", "\(reply)")
            try checkFormat(reply, greetingOrHello: false)
            mode = reply.code == 334 ? .authResponse : .command
        case .content:
            try checkFormat(reply, greetingOrHello: false)
            try require(reply.isNegative, "content-accepted-without-delivery", "\(reply)")
            mode = .command
        case .command(let line, let parsed, let chunk):
            lastAnswered = parsed
            let hello: Bool
            switch parsed {
            case .ehlo?, .helo?: hello = reply.code == 250
            default: hello = false
            }
            try checkFormat(reply, greetingOrHello: hello)
            try command(line, parsed, chunk, reply, &pendingIdentified, &expectStartTLS)
        }
    }

    private mutating func command(
        _ line: [UInt8], _ parsed: SMTPCommand?, _ chunk: [UInt8], _ reply: Reply,
        _ pendingIdentified: inout ClientIdentity?, _ expectStartTLS: inout Bool
    ) throws(PropertyViolation) {
        let verb = self.verb(line)
        try require(reply.code != 235, "235-without-credentials", "\(escaped(line)) answered \(reply)")
        try require(reply.code != 354 || parsed == .data, "354-to-non-data", "\(escaped(line)) answered \(reply)")
        try require(
            reply.code != 334 || (parsed.map { if case .auth = $0 { true } else { false } } ?? false), "334-to-non-auth",
            "\(escaped(line)) answered \(reply)")
        try require(reply.code != 220 || parsed == .startTLS, "220-to-non-starttls", "\(escaped(line)) answered \(reply)")

        if case .clientID(let type, let token)? = parsed {
            let id = ClientIdentity(typeBytes: line[type], tokenBytes: line[token])
            let verdict = rules.verdict(wellFormed: true)
            if reply.code == 250 {
                if verdict != .accepted {
                    throw PropertyViolation("clientid-accepted-against-\(verdict.rawValue)", "\(escaped(line)) answered \(reply)")
                }
                rules.clientIDAccepted()
                identity = id
                pendingIdentified = id
            } else {
                try require(verdict != .accepted, "clientid-refused", "D17: \(escaped(line)) answered \(reply)")
                try require(
                    reply.code == verdict.replyCode, "clientid-wrong-refusal",
                    "\(verdict.rawValue): \(escaped(line)) answered \(reply)")
            }
        } else if verb == .clientID {
            try require(reply.code != 250, "malformed-clientid-accepted", "\(escaped(line)) answered \(reply)")
            if isFramed(line) {
                // A CLIENTID line the parser refused: D6–D10 first, then D11's 501.
                let verdict = rules.verdict(wellFormed: false)
                try require(
                    reply.code == verdict.replyCode, "malformed-clientid-wrong-refusal",
                    "\(verdict.rawValue): \(escaped(line)) answered \(reply)")
            }
        } else if verb == nil && isFramed(line) {
            // RFC 5321 §4.2.4: a first token that is no known verb is "command unrecognized",
            // whatever bytes it holds (NUL, 8-bit, HTAB in strict mode); 554 closes on an HTTP request.
            try require(
                reply.code == 500 || reply.code == 554, "unrecognized-command-not-500", "\(escaped(line)) answered \(reply)")
        }

        switch parsed {
        case .ehlo? where reply.code == 250:
            rules.ehloAccepted()  // D8, D15
            let keywords = reply.lines.dropFirst()
            try require(
                keywords.contains("CLIENTID") == rules.advertised, "ehlo-clientid-keyword",
                "tls=\(tls) enabled=\(configuration.clientIDEnabled): \(reply)")
            try require(
                keywords.contains("STARTTLS") == (!tls && configuration.startTLSAvailable), "ehlo-starttls-keyword",
                "tls=\(tls): \(reply)")
        case .helo? where reply.code == 250:
            rules.heloAccepted()  // D8
        case .data? where reply.code == 354:
            mode = .data
        case .auth? where reply.code == 334:
            mode = .authResponse
        case .startTLS? where reply.code == 220:
            expectStartTLS = true
        case .bdat(_, _)? where reply.code == 250:
            expectedContent += chunk
        default:
            break
        }
    }

    /// RFC 5321 §4.2 lines; RFC 2034 §3: an enhanced code in every 2xx/4xx/5xx reply but
    /// the greeting and the EHLO/HELO reply, none in 3xx; RFC 3463 syntax, same class.
    private func checkFormat(_ reply: Reply, greetingOrHello: Bool) throws(PropertyViolation) {
        for line in reply.lines {
            try require(!line.utf8.contains(13) && !line.utf8.contains(10), "reply-line-with-crlf", "\(reply)")
        }
        if reply.code / 100 == 3 || greetingOrHello {
            try require(reply.enhancedStatus == nil, "unexpected-enhanced-status", "\(reply)")
            return
        }
        guard let status = reply.enhancedStatus else { throw PropertyViolation("missing-enhanced-status", "\(reply)") }
        let parts = status.split(separator: ".", omittingEmptySubsequences: false)
        let numeric =
            parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && Int($0) != nil }
        try require(
            numeric && parts[0] == "\(reply.code / 100)" && parts[1].count <= 3 && parts[2].count <= 3, "bad-enhanced-status",
            "\(reply)")
    }

    // MARK: The byte stream

    /// The oldest unanswered unit, removed from the buffer. Throws when the
    /// session answers something the client has not (completely) sent.
    private mutating func takeUnit(for what: String) throws(PropertyViolation) -> Unit {
        switch mode {
        case .command, .authResponse:
            guard let end = Self.lineEnd(buffer, from: 0) else {
                throw PropertyViolation(
                    "reply-without-command", "\(what) with no complete line left; unanswered: \(escaped(buffer))")
            }
            let line = Array(buffer[..<end])
            if mode == .authResponse {
                buffer.removeFirst(end)
                return .authResponse(line)
            }
            let parsed = parse(line)
            // D10 read literally: every command line whose verb is AUTH counts, whatever its
            // reply (the CLIENTID check of a line comes before this, in `command`). The verb
            // is the parser's (one reading, RFC 5321 §4.2.4): "AUTH" HTAB or NUL is no AUTH
            // command in strict mode. Lines refused by framing (bare CR or LF, D12) or
            // length never count: they are not read as commands at all (docs/session.md's
            // "even a malformed one" means a line that fails the AUTH syntax).
            if isFramed(line), verb(line) == .auth {
                rules.authLineReceived()
            }
            var chunk: [UInt8] = []
            if case .bdat(let size, _)? = parsed {
                // RFC 3030 §2: the chunk is read before the reply, even when the command fails.
                guard UInt64(buffer.count - end) >= size else {
                    throw PropertyViolation(
                        "reply-before-bdat-chunk", "\(what) after \(buffer.count - end) of \(size) octets: \(escaped(line))")
                }
                chunk = Array(buffer[end..<(end + Int(size))])
                buffer.removeFirst(end + Int(size))
            } else {
                buffer.removeFirst(end)
            }
            return .command(line: line, parsed: parsed, chunk: chunk)
        case .data:
            guard let (end, content) = Self.dataEnd(buffer) else {
                throw PropertyViolation("reply-before-end-of-data", "\(what); content so far: \(escaped(buffer))")
            }
            buffer.removeFirst(end)
            return .content(content)
        case .handshake:
            throw PropertyViolation("reply-during-tls-handshake", what)
        case .closed:
            throw PropertyViolation("reply-after-close", what)
        }
    }

    /// After the actions of one call: the session is idle or waiting, never
    /// sitting on a complete command it has not answered; its waiting state agrees.
    private func checkIdle(_ session: SMTPSession) throws(PropertyViolation) {
        let waiting: SMTPSession.Awaiting?
        switch (mode, expecting) {
        case (.closed, _): waiting = nil
        case (.handshake, _): waiting = .tlsHandshake
        case (_, .credentials): waiting = .credentials
        case (_, .delivery): waiting = .delivery
        default: waiting = nil
        }
        try require(
            session.isClosed == (mode == .closed), "closed-state-differs",
            "model mode \(mode), session closed \(session.isClosed)")
        guard started, mode != .closed else { return }
        try require(
            session.awaiting == waiting, "waiting-state-differs",
            "model waits for \(String(describing: waiting)), session for \(String(describing: session.awaiting))")
        guard waiting == nil else { return }
        switch mode {
        case .command, .authResponse:
            guard let end = Self.lineEnd(buffer, from: 0) else { return }
            if mode == .command, case .bdat(let size, _)? = parse(Array(buffer[..<end])), UInt64(buffer.count - end) < size {
                return  // a BDAT line waiting for its chunk
            }
            throw PropertyViolation("command-without-reply", "unanswered: \(escaped(buffer))")
        case .data:
            if Self.dataEnd(buffer) != nil {
                throw PropertyViolation("message-end-without-reply", "unanswered: \(escaped(buffer))")
            }
        case .handshake, .closed:
            break
        }
    }

    /// The phase the session last reported agrees with what the model reads next.
    private func checkPhase() throws(PropertyViolation) {
        guard started, mode != .closed else { return }
        let expected: [ReadPhase]
        switch (mode, expecting) {
        case (.handshake, _), (_, .credentials), (_, .delivery): expected = [.driverAnswer]
        case (.data, _): expected = [.content]
        // A BDAT chunk is content; the model reads it with its command line.
        case (.command, _): expected = [.nextCommand, .restOfLine, .content]
        default: expected = [.nextCommand, .restOfLine]
        }
        try require(
            phase.map(expected.contains) ?? false, "reading-phase-differs",
            "session reads \(String(describing: phase)), model mode \(mode) expecting \(expecting)")
    }

    /// A command line as the session reads it: within the length limit, framed
    /// (no CR or LF but the final CRLF, D12), then parsed.
    private func parse(_ line: [UInt8]) -> SMTPCommand? {
        guard isFramed(line) else { return nil }
        do throws(SMTPSyntaxError) {
            return try parser.parse(line)
        } catch {
            return nil
        }
    }

    private func isFramed(_ line: [UInt8]) -> Bool {
        line.count <= configuration.maxCommandLineLength && !line.dropLast(2).contains(where: { $0 == 13 || $0 == 10 })
    }

    private mutating func resetForTLS() {
        rules.tlsEstablished()
        identity = nil
        authenticated = false
        buffer = []
        mode = .command
        expecting = .replies
    }

    /// The index after the first CRLF at or after `from` (only CRLF ends a line).
    static func lineEnd(_ bytes: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i + 2 }
            i += 1
        }
        return nil
    }

    /// DATA content (RFC 5321 §4.1.1.4, §4.5.2): it ends at "." CRLF at the start of a
    /// line (the DATA line's CRLF counts as the one before the first line); a line
    /// starting with "." loses that dot. Returns the bytes consumed and the content.
    static func dataEnd(_ bytes: [UInt8]) -> (Int, [UInt8])? {
        var content: [UInt8] = []
        var i = 0
        var lineStart = true
        while i < bytes.count {
            let b = bytes[i]
            if lineStart && b == 0x2E {
                if i + 2 < bytes.count {
                    if bytes[i + 1] == 13 && bytes[i + 2] == 10 { return (i + 3, content) }
                } else if i + 1 == bytes.count || bytes[i + 1] == 13 {
                    return nil  // "." or "." CR at the end: the marker may still come
                }
                i += 1  // RFC 5321 §4.5.2: the leading dot is dropped
                lineStart = false
                continue
            }
            content.append(b)
            lineStart = b == 10 && i > 0 && bytes[i - 1] == 13
            i += 1
        }
        return nil
    }

    /// The verb of a line as the parser reads it (`firstToken(of:)`), nil when it is none it knows.
    private func verb(_ line: [UInt8]) -> SMTPVerb? {
        parser.firstToken(of: line).verb
    }
}

extension Action {
    var isSend: Bool {
        if case .send = self { true } else { false }
    }
}
