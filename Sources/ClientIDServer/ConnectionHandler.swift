// One SMTP connection: bytes in → SMTPSession → actions out. The handler keeps no
// protocol state of its own (ARCHITECTURE.md: one place per layer); it holds what
// only the driver can: timers, the message being received, the TLS switch.
//
// There is no framing decoder in the pipeline: the session frames lines, so no
// NIO buffer holds plaintext that could be decoded after the TLS switch (D13,
// CVE-2011-0411 class). Reads between the `220` to STARTTLS and the end of the
// handshake are dropped here as well, whatever the session would do with them.

import ClientIDPolicy
import Logging
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

    private let services: ServerServices
    private let connectionID: ConnectionID
    private(set) var session: SMTPSession
    private var logger: Logger
    private let implicitTLS: Bool

    private var context: ChannelHandlerContext?
    private var peer: IPAddress?
    private var registered = false

    /// Actions not performed yet: a `.delay` holds back the ones after it.
    private(set) var pending = CircularBuffer<Action>(initialCapacity: 8)
    private var delayed = false
    private var draining = false
    private var closing = false

    /// Content of the message being received (nil: none, or `--sink`).
    private(set) var message: [UInt8]?
    /// From `.startTLS` to the end of the handshake: plaintext is never read (D13).
    private var awaitingHandshake = false

    private var lastActivity = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?
    private var handshakeTimer: Scheduled<Void>?
    private var shuttingDown = false

    init(services: ServerServices, implicitTLS: Bool) {
        self.services = services
        self.implicitTLS = implicitTLS
        connectionID = services.nextConnectionID()
        session = SMTPSession(configuration: implicitTLS ? services.implicitTLSSession : services.plainSession)
        logger = services.logger
        logger[metadataKey: "conn"] = "\(connectionID.rawValue)"
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
        peer = remote?.ipAddress.flatMap(IPAddress.init)
        logger[metadataKey: "peer"] = "\(remote?.ipAddress ?? "?"):\(remote?.port ?? 0)"
        logger.info("connection opened", metadata: ["tls": "\(implicitTLS)"])

        switch services.tracker.open(context.channel, address: peer) {
        case .accepted:
            registered = true
        case .refused(let reply, let reason):
            logger.notice("connection refused", metadata: ["reason": "\(reason)"])
            closing = true
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply.bytes)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if let peer { services.policy.connectionOpened(connectionID, address: peer) }
        if implicitTLS { startHandshakeTimer(context) }
        startIdleTimer(context)
        perform(session.start())
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        handshakeTimer?.cancel()
        perform(session.connectionClosed())
        message = nil
        if registered {
            registered = false
            services.tracker.close(context.channel, address: peer)
            services.policy.connectionClosed(connectionID)
        }
        logger.info("connection closed")
        closing = true
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, !awaitingHandshake else { return }  // D13: never executed
        lastActivity = .now()
        let buffer = unwrapInboundIn(data)
        let actions = buffer.withUnsafeReadableBytes { session.receive($0) }
        perform(actions)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeTimer?.cancel()
            handshakeTimer = nil
            lastActivity = .now()
            logger.debug("TLS established")
            if awaitingHandshake {
                awaitingHandshake = false
                perform(session.tlsEstablished())
            }
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
        if awaitingHandshake {
            awaitingHandshake = false
            perform(session.tlsFailed())
        }
        closing = true
        context.close(promise: nil)
    }

    // MARK: Actions

    private func perform(_ actions: [Action]) {
        pending.append(contentsOf: actions)
        drain()
        checkShutdown()
    }

    /// Performs pending actions in order until a delay or a wait.
    private func drain() {
        guard !draining, !delayed, let context else { return }
        draining = true
        defer { draining = false }
        var wrote = false
        while let action = pending.popFirst() {
            switch action {
            case .send(let reply):
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply.bytes)), promise: nil)
                wrote = true
            case .delay(let duration):
                if wrote { context.flush() }
                delayed = true
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
                    self.delayed = false
                    self.drain()
                    self.checkShutdown()
                }
                return
            case .startTLS:
                context.flush()
                wrote = false
                startTLS(context)
            case .checkCredentials(let request):
                checkCredentials(request, context)
            case .clientIdentified(let identity):
                // D19, D20: the engine decides what the log may show of the token.
                for event in services.policy.clientIdentified(connectionID, identity: identity) { log(event) }
            case .clientIdentityDiscarded:
                services.policy.clientIdentityDiscarded(connectionID)
            case .beginMessage:
                message = services.sink ? nil : []
            case .messageData(let bytes):
                message?.append(contentsOf: bytes)
            case .deliver(let envelope):
                deliver(envelope, context)
            case .abortMessage:
                message = nil
            case .close:
                pending.removeAll()
                closeAfterWrites(context)
                return
            }
        }
        if wrote { context.flush() }
    }

    /// Flushes what was written, then closes once it is out (NIO drops unwritten
    /// data on close).
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        idleTimer?.cancel()
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
        guard let tls = services.tlsContext else {
            perform(session.tlsFailed())
            return
        }
        awaitingHandshake = true
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": "\(error)"])
            awaitingHandshake = false
            pending.append(contentsOf: session.tlsFailed())
            return
        }
        startHandshakeTimer(context)
    }

    private func checkCredentials(_ request: AuthenticationRequest, _ context: ChannelHandlerContext) {
        let users = services.users
        let policy = services.policy
        let connection = connectionID
        let address = peer ?? IPAddress("0.0.0.0")!
        services.threadPool.runIfActive(eventLoop: context.eventLoop) { () -> AuthenticationDecision in
            // No proxy authorization: an authzid must name the account itself (RFC 4616 §2).
            let sameIdentity = request.authorizationIdentity.map { $0 == request.username } ?? true
            // Always hashed, so that every refusal takes the same time (D18).
            let valid = users.verify(username: request.username, password: request.password) && sameIdentity
            return policy.authenticate(
                AuthenticationAttempt(
                    connection: connection, account: request.username, credentialsValid: valid,
                    identity: request.clientIdentity, address: address))
        }.assumeIsolated().whenComplete { result in
            let outcome: AuthenticationOutcome
            switch result {
            case .success(let decision):
                for event in decision.events { self.log(event) }
                outcome = AuthenticationOutcome(decision)
            case .failure(let error):
                self.logger.error("credential check failed", metadata: ["error": "\(error)"])
                outcome = .temporaryFailure
            }
            self.perform(self.session.credentialsChecked(outcome))
        }
    }

    private func deliver(_ envelope: Envelope, _ context: ChannelHandlerContext) {
        guard let maildir = services.maildir else {
            logger.debug("message discarded (--sink)", metadata: ["size": "\(envelope.size)"])
            pending.append(contentsOf: session.deliveryFinished(.stored(queueID: nil)))
            return
        }
        let queueID = services.nextQueueID()
        let header = receivedHeader(
            envelope: envelope, remoteAddress: context.channel.remoteAddress?.ipAddress,
            hostname: session.configuration.hostname, queueID: queueID)
        let content = message ?? []
        message = nil
        services.threadPool.runIfActive(eventLoop: context.eventLoop) {
            try maildir.deliver(header: header, content: content, queueID: queueID)
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let file):
                self.logger.info(
                    "delivered",
                    metadata: [
                        "id": "\(queueID)", "file": "\(file)", "size": "\(envelope.size)", "from": "<\(envelope.sender)>",
                        "nrcpt": "\(envelope.recipients.count)", "user": "\(envelope.authenticatedUser ?? "-")",
                    ])
                self.perform(self.session.deliveryFinished(.stored(queueID: queueID)))
            case .failure(let error):
                self.logger.error("delivery failed", metadata: ["id": "\(queueID)", "error": "\(error)"])
                self.perform(self.session.deliveryFinished(.temporaryFailure))
            }
        }
    }

    private func log(_ event: AuditEvent) {
        switch event.destination {
        case .system: logger.info("policy: \(event)")
        case .user: logger.info("user-log: \(event)")
        case .debug: logger.debug("clientid-debug: \(event)")
        case .alert: logger.warning("alert: \(event)")
        }
    }

    // MARK: Timers

    /// RFC 5321 §4.5.3.2.7. Not while the server itself is busy (credentials, delivery).
    private func startIdleTimer(_ context: ChannelHandlerContext) {
        let timeout = TimeAmount(services.configuration.idleTimeout)
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + timeout) {
            guard !self.closing, self.context != nil else { return }
            if self.session.awaiting != nil || self.awaitingHandshake {
                self.lastActivity = .now()  // the server is the one busy; the handshake has its own deadline
                self.startIdleTimer(context)
            } else if NIODeadline.now() >= self.lastActivity + timeout {
                self.logger.notice("idle timeout")
                self.perform(self.session.timedOut())
            } else {
                self.startIdleTimer(context)
            }
        }
    }

    private func startHandshakeTimer(_ context: ChannelHandlerContext) {
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(services.configuration.tlsHandshakeTimeout)
        ) {
            guard !self.closing else { return }
            self.logger.notice("TLS handshake timeout")
            if self.awaitingHandshake {
                self.awaitingHandshake = false
                self.perform(self.session.tlsFailed())
            }
            self.closing = true
            context.close(promise: nil)
        }
    }

    // MARK: Shutdown

    /// SIGTERM: stop at the next point where no transaction is open.
    func beginShutdown() {
        shuttingDown = true
        checkShutdown()
    }

    /// After the grace period: refuse what is still in flight. A delivery already
    /// handed to Maildir is let finish (its `250` comes first); anything else open is
    /// aborted, so no partial message is ever stored.
    func forceShutdown() {
        shuttingDown = true
        guard !closing, let context, session.awaiting != .delivery, session.awaiting != .credentials else { return }
        sayGoodbye(context)
    }

    private func checkShutdown() {
        guard shuttingDown, !closing, !delayed, pending.isEmpty, let context,
            session.awaiting == nil, !session.inTransaction
        else { return }
        sayGoodbye(context)
    }

    private func sayGoodbye(_ context: ChannelHandlerContext) {
        logger.info("closing for shutdown", metadata: ["inTransaction": "\(session.inTransaction)"])
        pending.removeAll()
        delayed = false
        let bye = Reply(421, "4.3.2", "\(session.configuration.hostname) Service shutting down, closing connection")
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bye.bytes)), promise: nil)
        for action in session.connectionClosed() where action == .abortMessage { message = nil }
        closeAfterWrites(context)
    }
}
