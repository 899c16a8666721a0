// The session's events: a server session for message submission (RFC 5321,
// RFC 6409) in the sans-IO style. The driver feeds bytes and events in and
// performs the actions that come out, in order; the session does no I/O, reads
// no clock and never blocks.
//
// One command line in gives exactly one reply out, in order, also when the
// client pipelines (RFC 2920): while the session waits for the driver
// (credentials, delivery, TLS handshake) input is held, bounded by
// `maxBufferedInput`, and read when the answer arrives.
//
// State lives here and nowhere else: `state` (what the session reads next or
// waits for), `facts` (what the client has established; STARTTLS replaces them
// whole, D13), `counters` (this connection's limits) and the input not read yet.
// The concerns have a file each: Input.swift (bytes to lines, zero-copy),
// Commands.swift, Transactions.swift, Authentication.swift, ClientID.swift, and
// Replies.swift (every reply text).

import ClientIDPolicy
import SMTPCommandParser

public struct SMTPSession: Sendable {
    public let configuration: Configuration

    var state: State = .notStarted
    var facts: Facts
    /// The addresses of `facts.transaction` (kept apart so their storage is reused).
    var addresses = EnvelopeAddresses()
    var counters = Counters()
    /// Bytes received while the session could not read them (a wait), and the framer's
    /// partial line. Lines are otherwise parsed where the driver's buffer holds them.
    var held = HeldInput()
    var framer: LineFramer
    let parser: SMTPCommandParser
    /// A shutdown asked for and not carried out yet (it waits for a point where it may).
    var shutdownRequest: ShutdownMode?
    /// The last `ReadPhase` reported to the driver.
    var reportedPhase: ReadPhase?

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

    var hostname: String { configuration.hostname }

    // MARK: Observing (tests and logs; a driver needs none of these: actions carry it all)

    /// What the session waits for from its driver, if anything.
    public var awaiting: Awaiting? { state.awaiting }
    public var isClosed: Bool { state == .closed }
    /// STARTTLS completed, or implicit TLS (D16).
    public var isEncrypted: Bool { facts.tls }
    /// The identity of the CLIENTID accepted on this TLS session, if any.
    public var clientIdentity: ClientIdentity? { facts.clientIdentity }
    public var authenticatedUser: String? { facts.authenticatedUser }
    /// Whether a mail transaction (MAIL accepted, not yet finished) is open.
    public var inTransaction: Bool { facts.transaction != nil }
    /// Input octets held until the session can read them, and a partial line.
    public var bufferedInputCount: Int { held.count + framer.bufferedByteCount }

    // MARK: Events

    /// The connection is open: the greeting (RFC 5321 §4.3.1; RFC 2034: no enhanced code).
    public mutating func start() throws(SessionUsageError) -> [Action] {
        guard state == .notStarted else { throw misuse("start()") }
        state = .command
        var out: [Action] = []
        if configuration.enforceSynchronization && !held.isEmpty {
            // Talking before the greeting: a client that does not wait for replies.
            synchronizationError(&out)
            return out
        }
        out.append(.send(.greeting(hostname)))
        resume(&out)  // anything the client sent before the greeting
        finish(&out)
        return out
    }

    /// Instead of `start()`: the connection is refused before any greeting (RFC 5321
    /// §3.1), then closed. The reply says why (`Refusal`).
    public mutating func refuse(_ reason: Refusal) throws(SessionUsageError) -> [Action] {
        guard state == .notStarted else { throw misuse("refuse(_:)") }
        var out: [Action] = [.send(.refusal(reason, hostname))]
        close(&out)
        return out
    }

    /// Bytes read from the client (after TLS decryption). Command lines are parsed
    /// where `bytes` holds them; only what the session cannot read yet is copied.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> [Action] {
        var out: [Action] = []
        receive(bytes, into: &out)
        return out
    }

    /// `receive(_:)` appending its actions to `out`, so that a driver can keep one array
    /// for every read instead of getting a new one each time.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, into out: inout [Action]) {
        read(bytes, &out)
        finish(&out)
    }

    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// The TLS handshake after `.startTLS` succeeded: the session starts over (RFC 3207
    /// §4.2, D13). No greeting follows; the client sends EHLO.
    public mutating func tlsEstablished() throws(SessionUsageError) -> [Action] {
        if state == .closed { return [] }
        guard state == .awaitingTLSHandshake else { throw misuse("tlsEstablished()") }
        facts = Facts(tls: true)
        discardInput()
        state = .command
        var out: [Action] = []
        finish(&out)
        return out
    }

    /// The TLS handshake failed: nothing can be said in the clear any more.
    public mutating func tlsFailed() throws(SessionUsageError) -> [Action] {
        if state == .closed { return [] }
        guard state == .awaitingTLSHandshake else { throw misuse("tlsFailed()") }
        var out: [Action] = []
        close(&out)
        return out
    }

    /// The answer to `.checkCredentials`.
    public mutating func credentialsChecked(_ outcome: AuthenticationOutcome) throws(SessionUsageError) -> [Action] {
        try credentialsChecked(outcome, failureDelay: configuration.authFailureDelay)
    }

    /// The answer to `.checkCredentials`, with the driver's own delay before a `535` or a
    /// `421` (a delay that grows with recent failures across connections). The delay is
    /// the same whatever made the attempt fail (D18).
    public mutating func credentialsChecked(_ outcome: AuthenticationOutcome, failureDelay: Duration)
        throws(SessionUsageError) -> [Action]
    {
        if state == .closed { return [] }
        guard case .awaitingCredentials(let user) = state else { throw misuse("credentialsChecked(_:)") }
        var out: [Action] = []
        authenticationChecked(outcome, user: user, failureDelay: failureDelay, &out)
        resume(&out)
        finish(&out)
        return out
    }

    /// The answer to `.deliver`. Only now is the message acknowledged.
    public mutating func deliveryFinished(_ result: DeliveryResult) throws(SessionUsageError) -> [Action] {
        if state == .closed { return [] }
        guard state == .awaitingDelivery else { throw misuse("deliveryFinished(_:)") }
        var out: [Action] = []
        delivered(result, &out)
        resume(&out)
        finish(&out)
        return out
    }

    /// `deliveryFinished(.stored(queueID: nil))` or `(.temporaryFailure)`.
    public mutating func deliveryFinished(success: Bool) throws(SessionUsageError) -> [Action] {
        try deliveryFinished(success ? .stored(queueID: nil) : .temporaryFailure)
    }

    /// One of the driver's deadlines passed (RFC 5321 §4.5.3.2): `421 4.4.2`, then close.
    public mutating func timedOut() -> [Action] {
        guard state != .closed else { return [] }
        var out: [Action] = [.send(.timeout(hostname))]
        close(&out)
        return out
    }

    /// How `shutdown(_:)` treats a client in the middle of something.
    public enum ShutdownMode: Sendable, Equatable {
        /// Close at the next point where no transaction is open and no answer of the
        /// driver's is awaited (now, if the session is at such a point).
        case graceful
        /// Close now, aborting an open transaction; but a delivery or a credential check
        /// already out is answered first (a message handed to the store gets its `250`).
        case now
    }

    /// The server is going away (RFC 5321 §3.8): `421 4.3.2`, then close, as soon as
    /// `mode` allows. A message being received is aborted, never stored in part.
    public mutating func shutdown(_ mode: ShutdownMode = .now) -> [Action] {
        guard state != .closed else { return [] }
        if state == .notStarted {
            var out: [Action] = [.send(.refusal(.shuttingDown, hostname))]
            close(&out)
            return out
        }
        if shutdownRequest != .now { shutdownRequest = mode }
        var out: [Action] = []
        finish(&out)
        return out
    }

    /// The client closed the connection (or it broke).
    public mutating func connectionClosed() -> [Action] {
        guard state != .closed else { return [] }
        var out: [Action] = []
        if messageInProgress { out.append(.abortMessage) }
        state = .closed
        discardInput()
        return out
    }

    // MARK: Shared by the concerns

    func misuse(_ event: String) -> SessionUsageError {
        let doing: String
        switch state {
        case .notStarted: doing = "not started"
        case .command: doing = "reading commands"
        case .authExchange: doing = "in an AUTH exchange"
        case .data, .chunk: doing = "reading message content"
        case .awaitingCredentials: doing = "waiting for credentials to be checked"
        case .awaitingDelivery: doing = "waiting for delivery"
        case .awaitingTLSHandshake: doing = "waiting for the TLS handshake"
        case .closed: doing = "closed"
        }
        return SessionUsageError(event: event, state: doing)
    }

    /// At the end of every event: a shutdown that may now happen, and the read phase.
    mutating func finish(_ out: inout [Action]) {
        guard state != .closed else { return }
        if let mode = shutdownRequest, mayShutDown(mode) {
            out.append(.send(.shuttingDown(hostname)))
            return close(&out)
        }
        let phase: ReadPhase?
        switch state {
        case .notStarted, .closed: phase = nil
        case .command, .authExchange: phase = framer.hasPartialLine ? .restOfLine : .nextCommand
        case .data, .chunk: phase = .content
        case .awaitingCredentials, .awaitingDelivery, .awaitingTLSHandshake: phase = .driverAnswer
        }
        if let phase, phase != reportedPhase {
            reportedPhase = phase
            out.append(.reading(phase))
        }
    }

    private func mayShutDown(_ mode: ShutdownMode) -> Bool {
        switch (mode, state) {
        case (_, .closed): false
        case (.now, .awaitingDelivery), (.now, .awaitingCredentials): false
        case (.now, _): true
        case (.graceful, .command), (.graceful, .authExchange): facts.transaction == nil
        case (.graceful, _): false
        }
    }

    /// Content is being handed out for a message not delivered yet (one handed to
    /// `.deliver` is the store's: nothing to abort).
    var messageInProgress: Bool { facts.transaction?.content == .open && state != .awaitingDelivery }

    mutating func close(_ out: inout [Action]) {
        if messageInProgress { out.append(.abortMessage) }
        out.append(.close)
        state = .closed
        discardInput()
    }

    /// A 4xx/5xx reply to a bad command: counted, and the last allowed one becomes `421`.
    mutating func reject(_ reply: Reply, _ out: inout [Action]) {
        counters.errors += 1
        if counters.errors >= configuration.maxErrors {
            out.append(.send(.tooManyErrors(hostname)))
            close(&out)
        } else {
            out.append(.send(reply))
        }
    }

    mutating func synchronizationError(_ out: inout [Action]) {
        out.append(.send(.synchronizationError(hostname)))
        close(&out)
    }
}
