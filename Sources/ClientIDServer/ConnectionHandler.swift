// One SMTP connection on NIO: channel events become session events, and the
// session's actions become writes, TLS, credential checks, message writes and a
// close. Nothing here decides SMTP: the session (state, replies), the policy
// engine (counts, AUTH decisions), AuthGate, Deadlines and MessageSpool do, and
// each has tests of its own without NIO.
//
// There is no framing decoder in the pipeline: the session frames lines, so no
// NIO buffer holds plaintext that could be decoded after the TLS switch (D13,
// CVE-2011-0411 class).

import ClientIDPolicy
import NIOCore
import NIOSSL
import NIOTLS
import SMTPSession

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let services: ServerServices
    let connectionID: ConnectionID
    var session: SMTPSession
    var logger: ConnectionLogger
    private let implicitTLS: Bool

    var context: ChannelHandlerContext?
    private(set) var peer: IPAddress?
    /// Counted by the tracker and the policy engine (released at close).
    private var counted = false
    private var closing = false

    /// TLS as the handler sees it: D13, reads between `.startTLS` and the end of the
    /// handshake are never executed; only a STARTTLS handshake is reported to the session.
    private enum TLSStage {
        case none, startTLSHandshake, implicitHandshake, established
    }
    private var tls: TLSStage
    private var handshakeTimer: Scheduled<Void>?

    /// Actions not performed yet: a `.delay` holds back the ones after it.
    private(set) var pending = CircularBuffer<Action>(initialCapacity: 8)
    private var actionBuffer: [Action] = []
    private var delayed = false
    private var draining = false
    /// The replies of one batch go out in this buffer, reused while nothing else holds it.
    private var replies: ByteBuffer?

    var deadlines: Deadlines
    private var watchdog: Scheduled<Void>?
    private var watchdogDue = NIODeadline.distantFuture

    /// The message being received (nil: none, or `--sink`), and its writes.
    var spool: MessageSpool?
    var writer: SpoolWriter?
    /// Content held in memory now (the fuzz harness checks it stays bounded).
    var heldMessageBytes: Int { spool?.held ?? 0 }

    init(services: ServerServices, implicitTLS: Bool) {
        self.services = services
        self.implicitTLS = implicitTLS
        tls = implicitTLS ? .implicitHandshake : .none
        connectionID = services.nextConnectionID()
        session = SMTPSession(configuration: implicitTLS ? services.implicitTLSSession : services.plainSession)
        logger = ConnectionLogger(base: services.logger, connection: connectionID)
        let c = services.configuration
        deadlines = Deadlines(
            settings: .init(
                idleTimeout: c.idleTimeout, commandTimeout: c.commandTimeout, minimumDataRate: c.minimumDataRate,
                dataRateGrace: c.minimumDataRateGrace),
            now: Self.moment(.now()))
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let remote = context.channel.remoteAddress
        peer = remote.flatMap(IPAddress.init(socketAddress:))
        logger.peer = remote
        logger.info("connection opened", metadata: ["tls": "\(implicitTLS)"])
        context.fireChannelActive()
        // The server's limit, then the engine's per-address count (D21); the session says no.
        if let refusal = services.tracker.open(context.channel) { return refuse(refusal) }
        if let peer, services.policy.connectionOpened(connectionID, address: peer) == .tooManyFromAddress {
            services.tracker.close(context.channel)
            return refuse(.tooManyConnectionsFromAddress)
        }
        counted = true
        if implicitTLS { startHandshakeTimer(context) }
        armWatchdog()
        let greetingDelay = services.configuration.greetingDelay
        guard greetingDelay > .zero else { return event("start") { try $0.start() } }
        // Whatever arrives meanwhile is held by the session, which answers 554 at start.
        context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(greetingDelay)) {
            guard !self.closing, self.context != nil else { return }
            self.event("start") { try $0.start() }
        }
    }

    private func refuse(_ reason: SMTPSession.Refusal) {
        logger.notice("connection refused", metadata: ["reason": "\(reason)"])
        event("refuse") { try $0.refuse(reason) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdog = nil
        handshakeTimer?.cancel()
        perform(session.connectionClosed())
        abortMessage()
        if counted {
            counted = false
            services.tracker.close(context.channel)
            services.policy.connectionClosed(connectionID)
        }
        logger.info("connection closed")
        closing = true
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, tls != .startTLSHandshake else { return }  // D13: never executed
        let buffer = unwrapInboundIn(data)
        deadlines.read(buffer.readableBytes, at: Self.moment(.now()))
        // One array for the actions of every read, emptied after use (taken out meanwhile,
        // so that a read inside `perform` would get its own).
        var actions = actionBuffer
        actionBuffer = []
        buffer.withUnsafeReadableBytes { session.receive($0, into: &actions) }
        perform(actions)
        actions.removeAll(keepingCapacity: true)
        actionBuffer = actions
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeTimer?.cancel()
            handshakeTimer = nil
            logger.debug("TLS established")
            deadlines.read(0, at: Self.moment(.now()))
            let afterStartTLS = tls == .startTLSHandshake
            tls = .established
            if afterStartTLS { self.event("tlsEstablished") { try $0.tlsEstablished() } }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOSSLError.uncleanShutdown:
            // Normal after QUIT with many clients (smtplib closes without close_notify).
            logger.debug("TLS peer closed without close_notify")
        case let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE:
            logger.debug("connection reset by peer")
        case NIOSSLError.handshakeFailed(let reason):
            logger.notice("TLS handshake failed", metadata: ["error": "\(reason)"])
        default:
            logger.notice("connection error", metadata: ["error": "\(error)"])
        }
        if tls == .startTLSHandshake {
            tls = .none
            event("tlsFailed") { try $0.tlsFailed() }
        }
        closing = true
        context.close(promise: nil)
    }

    // MARK: Performing actions

    /// A session event the handler's own state says is allowed; if the session disagrees
    /// (a bug here, `SessionUsageError`), the connection is closed rather than left hanging.
    func event(_ name: String, _ call: (inout SMTPSession) throws -> [Action]) {
        do {
            perform(try call(&session))
        } catch {
            logger.error("driver error, closing", metadata: ["event": "\(name)", "error": "\(error)"])
            closing = true
            context?.close(promise: nil)
        }
    }

    func perform(_ actions: [Action]) {
        pending.append(contentsOf: actions)
        drain()
    }

    /// Performs pending actions in order until a delay or a wait.
    private func drain() {
        guard !draining, !delayed, let context else { return }
        draining = true
        defer { draining = false }
        var wrote = false
        // The replies of one batch go out in one buffer, written in place, and one flush.
        // The buffer is kept: once the socket has taken it, `clear()` finds it unshared
        // and writes the next batch into the same storage (no allocation per reply).
        var batched = false
        func writeBatch() {
            guard batched, let replies else { return }
            context.write(wrapOutboundOut(replies), promise: nil)
            batched = false
            wrote = true
        }
        while let action = pending.popFirst() {
            switch action {
            case .send(let reply):
                if !batched {
                    if replies == nil { replies = context.channel.allocator.buffer(capacity: 256) } else { replies!.clear() }
                    batched = true
                }
                reply.write(into: &replies!)
            case .delay(let duration):
                writeBatch()
                if wrote { context.flush() }
                delayed = true
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
                    self.delayed = false
                    self.drain()
                }
                return
            case .startTLS:
                writeBatch()
                context.flush()
                wrote = false
                startTLS(context)
            case .checkCredentials(let request):
                checkCredentials(request, context)
            case .clientIdentified(let identity):
                // D19, D20: the engine decides what the log may show of the token.
                for event in services.policy.clientIdentified(connectionID, identity: identity) { audit(event) }
            case .clientIdentityDiscarded:
                services.policy.clientIdentityDiscarded(connectionID)
            case .beginMessage(let envelope):
                beginMessage(envelope, context)
            case .messageData(let bytes):
                messageData(bytes, context)
            case .deliver(let envelope):
                deliver(envelope, context)
            case .abortMessage:
                abortMessage()
            case .reading(let phase):
                deadlines.phaseChanged(to: phase, at: Self.moment(.now()))
                armWatchdog()
            case .close:
                writeBatch()
                pending.removeAll()
                closeAfterWrites(context)
                return
            }
        }
        writeBatch()
        if wrote { context.flush() }
    }

    /// Flushes what was written, then closes once it is out (NIO drops unwritten data on close).
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        watchdog?.cancel()
        watchdog = nil
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.flush()
        // A write of nothing completes after every write before it.
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// RFC 3207 §4: the `220` is flushed; TLS starts at the next byte. The TLS handler
    /// goes first in the pipeline, so nothing read from now on reaches the session
    /// unless it was decrypted.
    private func startTLS(_ context: ChannelHandlerContext) {
        guard let tlsContext = services.tlsContext else { return event("tlsFailed") { try $0.tlsFailed() } }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": "\(error)"])
            return event("tlsFailed") { try $0.tlsFailed() }
        }
        tls = .startTLSHandshake
        startHandshakeTimer(context)
    }

    /// The AUTH gate: a locked-out address is answered at once; otherwise the password
    /// and the policy are checked on the thread pool, and the session gets the verdict.
    private func checkCredentials(_ request: AuthenticationRequest, _ context: ChannelHandlerContext) {
        let gate = services.authGate
        if let verdict = gate.admit(address: peer) {
            services.statistics.noteThrottledAuth()
            logger.notice("AUTH refused unchecked: too many recent failures", metadata: ["user": "\(request.username)"])
            return event("credentialsChecked") { try $0.credentialsChecked(verdict.outcome, failureDelay: verdict.delay) }
        }
        let connection = connectionID
        let address = peer ?? IPAddress("0.0.0.0")!
        services.threadPool.runIfActive(eventLoop: context.eventLoop) {
            gate.check(request, connection: connection, address: address)
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let verdict):
                for event in verdict.events { self.audit(event) }
                if let failure = verdict.registryFailure {
                    self.logger.error("device registry failed; the policy does not need it", metadata: ["error": "\(failure)"])
                }
                if verdict.outcome == .tooManyFailures {
                    self.services.statistics.noteThrottledAuth()
                    self.logger.notice("AUTH failure limit reached", metadata: ["user": "\(request.username)"])
                }
                self.event("credentialsChecked") { try $0.credentialsChecked(verdict.outcome, failureDelay: verdict.delay) }
            case .failure(let error):
                self.logger.error("credential check failed", metadata: ["error": "\(error)"])
                self.event("credentialsChecked") { try $0.credentialsChecked(.temporaryFailure) }
            }
        }
    }

    /// An audit event to the log, and to the embedder's observer (structured, so that
    /// nobody parses log lines).
    private func audit(_ event: AuditEvent) {
        services.configuration.auditObserver?(
            ConnectionAuditEvent(connection: connectionID, encrypted: tls == .established, event: event))
        logger.audit(event)
    }

    // MARK: Timers

    /// `NIODeadline` as the `Duration` Deadlines counts in, and back.
    static func moment(_ deadline: NIODeadline) -> Duration { .nanoseconds(Int64(deadline.uptimeNanoseconds)) }
    static func deadline(_ moment: Duration) -> NIODeadline {
        let (seconds, attoseconds) = moment.components
        return .uptimeNanoseconds(UInt64(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
    }

    /// Makes the watchdog fire by the earliest deadline in force (never later than the
    /// watch interval ahead, so reads never need to re-arm it).
    private func armWatchdog() {
        guard let context, !closing else { return }
        let now = NIODeadline.now()
        let due = Self.deadline(deadlines.wakeUp(now: Self.moment(now)))
        if watchdog != nil && watchdogDue <= due { return }
        watchdog?.cancel()
        watchdogDue = due
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.watchdog = nil
            self.watchdogFired()
        }
    }

    private func watchdogFired() {
        guard !closing, context != nil else { return }
        switch deadlines.expired(at: Self.moment(.now())) {
        case .command?:
            logger.notice("command deadline passed", metadata: ["buffered": "\(session.bufferedInputCount)"])
            perform(session.timedOut())
        case .dataRate?:
            logger.notice("minimum data rate not kept")
            perform(session.timedOut())
        case .idle?:
            logger.notice("idle timeout")
            perform(session.timedOut())
        case nil:
            armWatchdog()
        }
    }

    private func startHandshakeTimer(_ context: ChannelHandlerContext) {
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(services.configuration.tlsHandshakeTimeout)
        ) {
            guard !self.closing else { return }
            self.logger.notice("TLS handshake timeout")
            if self.tls == .startTLSHandshake {
                self.tls = .none
                self.event("tlsFailed") { try $0.tlsFailed() }
            }
            self.closing = true
            context.close(promise: nil)
        }
    }

    // MARK: Shutdown

    /// SIGTERM (`.graceful`: at the next point where no transaction is open), or the end
    /// of the grace period (`.now`: a delivery already handed to Maildir finishes first).
    /// The session says `421` and aborts an open message: no partial message is stored.
    func shutdown(_ mode: SMTPSession.ShutdownMode) {
        guard !closing, context != nil else { return }
        logger.info("closing for shutdown", metadata: ["mode": "\(mode)"])
        perform(session.shutdown(mode))
    }
}
