// One SMTP connection: bytes in → SMTPSession → actions out. The handler keeps no
// protocol state of its own (docs/architecture.md: one place per layer); it holds what
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
    private var logger: ConnectionLogger
    private let implicitTLS: Bool

    private var context: ChannelHandlerContext?
    private var peer: IPAddress?
    private var registered = false
    /// The replies of one read go out in this buffer, reused while nothing else holds it.
    private var replies: ByteBuffer?

    /// Actions not performed yet: a `.delay` holds back the ones after it.
    private(set) var pending = CircularBuffer<Action>(initialCapacity: 8)
    private var actionBuffer: [Action] = []
    private var delayed = false
    private var draining = false
    private var closing = false

    /// The message being written to Maildir's tmp/ (nil: none, or `--sink`).
    private var incoming: IncomingMessage?
    /// Reads are off while message writes fall behind (bounded memory per connection).
    private var readPaused = false
    /// Message content held in memory now: the chunk gathering and the octets handed
    /// to the disk and not written yet (the fuzz harness checks it stays bounded).
    var heldMessageBytes: Int { incoming.map { $0.chunk.count + $0.writing } ?? 0 }
    /// Content is written a chunk at a time; reading stops while two chunks are
    /// waiting for the disk.
    static let messageChunkSize = 64 * 1024
    /// From `.startTLS` to the end of the handshake: plaintext is never read (D13).
    private var awaitingHandshake = false

    // Deadlines: kept as values and checked by one timer, the watchdog, which is armed
    // for the earliest of them and never later than `watchInterval` ahead. A new deadline
    // is never sooner than that, so a read only compares (no timer is scheduled or
    // cancelled per command or per message); the watchdog re-arms itself when it fires.
    private var lastActivity = NIODeadline.now()
    /// Slowloris: a command line that has begun must end by this (`commandTimeout`).
    private var commandDeadline: NIODeadline?
    /// Message content: when it began and octets read since (`minimumDataRate`).
    private var contentStart: NIODeadline?
    private var contentBytes = 0
    private var watchdog: Scheduled<Void>?
    private var watchdogDue = NIODeadline.distantFuture
    private var handshakeTimer: Scheduled<Void>?
    private var shuttingDown = false

    init(services: ServerServices, implicitTLS: Bool) {
        self.services = services
        self.implicitTLS = implicitTLS
        connectionID = services.nextConnectionID()
        session = SMTPSession(configuration: implicitTLS ? services.implicitTLSSession : services.plainSession)
        logger = ConnectionLogger(base: services.logger, connection: connectionID)
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
        armWatchdog(context, due: min(nextDeadline(.now()), lastActivity + watchInterval))
        let greetingDelay = services.configuration.greetingDelay
        if greetingDelay > .zero {
            // Whatever arrives meanwhile is held by the session, which answers 554 at start.
            context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(greetingDelay)) {
                guard !self.closing, self.context != nil else { return }
                self.perform(self.session.start())
            }
        } else {
            perform(session.start())
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdog = nil
        handshakeTimer?.cancel()
        perform(session.connectionClosed())
        abortMessage()
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
        let now = NIODeadline.now()
        lastActivity = now
        let buffer = unwrapInboundIn(data)
        if contentStart != nil { contentBytes += buffer.readableBytes }
        // One array for the actions of every read, emptied after use (taken out meanwhile,
        // so that a read inside `perform` would get its own).
        var actions = actionBuffer
        actionBuffer = []
        buffer.withUnsafeReadableBytes { session.receive($0, into: &actions) }
        perform(actions)
        actions.removeAll(keepingCapacity: true)
        actionBuffer = actions
        if !closing { updateProgressDeadlines(context, now: now) }
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
                    if replies == nil {
                        replies = context.channel.allocator.buffer(capacity: 256)
                    } else {
                        replies!.clear()
                    }
                    batched = true
                }
                replies!.writeReply(reply)
            case .delay(let duration):
                writeBatch()
                if wrote { context.flush() }
                delayed = true
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
                    self.delayed = false
                    self.drain()
                    self.checkShutdown()
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
                for event in services.policy.clientIdentified(connectionID, identity: identity) { log(event) }
            case .clientIdentityDiscarded:
                services.policy.clientIdentityDiscarded(connectionID)
            case .beginMessage:
                beginMessage(context)
            case .messageData(let bytes):
                messageData(bytes, context)
            case .deliver(let envelope):
                deliver(envelope, context)
            case .abortMessage:
                abortMessage()
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

    /// Flushes what was written, then closes once it is out (NIO drops unwritten
    /// data on close).
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
        // Brute force: the address, the account name and the device (its keyed hash, D20).
        var keys: [AuthFailureThrottle.Key] = [.account(request.username)]
        if let peer { keys.append(.address(peer)) }
        if let identity = request.clientIdentity, let deviceKeys = services.deviceKeys {
            keys.append(.device(deviceKeys.key(for: identity)))
        }
        let throttle = services.throttle
        if throttle.isLockedOut(keys) {
            // Not checked at all: a locked-out guess costs no hashing.
            services.statistics.noteThrottledAuth()
            logger.notice("AUTH refused unchecked: too many recent failures", metadata: ["user": "\(request.username)"])
            let delay = throttle.delay(afterFailures: throttle.failures(keys))
            pending.append(contentsOf: session.credentialsChecked(.tooManyFailures, failureDelay: delay))
            return
        }
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
            var outcome: AuthenticationOutcome
            var delay = throttle.baseDelay
            switch result {
            case .success(let decision):
                for event in decision.events { self.log(event) }
                outcome = AuthenticationOutcome(decision)
            case .failure(let error):
                self.logger.error("credential check failed", metadata: ["error": "\(error)"])
                outcome = .temporaryFailure
            }
            switch outcome {
            case .rejected:
                // The same for a wrong password and a policy refusal (D18).
                let failures = throttle.recordFailure(keys)
                delay = throttle.delay(afterFailures: failures)
                if throttle.settings.maxFailures > 0 && failures >= throttle.settings.maxFailures {
                    self.services.statistics.noteThrottledAuth()
                    self.logger.notice("AUTH failure limit reached", metadata: ["user": "\(request.username)"])
                    outcome = .tooManyFailures
                }
            case .accepted, .acceptedWithSecurityLayer:
                throttle.recordSuccess(account: request.username)
            case .temporaryFailure, .tooManyFailures:
                break
            }
            self.perform(self.session.credentialsChecked(outcome, failureDelay: delay))
        }
    }

    // MARK: Delivery

    /// The message's `Received:` header is made now; its file in tmp/ is created with
    /// the first chunk of content, or at the end for a message smaller than a chunk (one
    /// trip to the thread pool).
    private func beginMessage(_ context: ChannelHandlerContext) {
        abortMessage()
        guard services.maildir != nil else { return }  // --sink
        let queueID = services.nextQueueID()
        // The envelope is complete at DATA or the first BDAT; only its size is not.
        let header =
            session.transactionEnvelope.map {
                receivedHeader(
                    envelope: $0, remoteAddress: context.channel.remoteAddress?.ipAddress,
                    hostname: session.configuration.hostname, queueID: queueID)
            } ?? []
        incoming = IncomingMessage(queueID: queueID, header: header)
    }

    /// Runs `body` on the thread pool after the message's earlier writes, with its file
    /// (created with the header by the first of them). A failure skips what follows.
    private func afterWrites<Result: Sendable>(
        _ message: IncomingMessage, _ maildir: Maildir, _ loop: any EventLoop,
        _ body: @escaping @Sendable (Maildir.TemporaryFile) throws -> Result
    ) -> EventLoopFuture<Result> {
        let pool = services.threadPool
        if let file = message.file {
            return file.flatMap { file in pool.runIfActive(eventLoop: loop) { try body(file) } }
        }
        let queueID = message.queueID, header = message.header
        return pool.runIfActive(eventLoop: loop) {
            let file = try maildir.create(queueID: queueID)
            try maildir.append(file, header)
            return try body(file)
        }
    }

    private func messageData(_ bytes: [UInt8], _ context: ChannelHandlerContext) {
        guard let message = incoming, !message.failed, let maildir = services.maildir else { return }
        message.chunk.append(contentsOf: bytes)
        message.notePeak()
        guard message.chunk.count >= Self.messageChunkSize else { return }

        let chunk = message.chunk
        message.chunk = []
        message.chunk.reserveCapacity(Self.messageChunkSize + bytes.count)
        message.writing += chunk.count
        // Chained: each write starts after the one before, and a failure skips the rest.
        let written = afterWrites(message, maildir, context.eventLoop) { file in
            try maildir.append(file, chunk)
            return file
        }
        message.file = written
        written.assumeIsolated().whenComplete { result in
            message.writing -= chunk.count
            if case .failure = result {
                message.failed = true
                message.chunk = []  // nothing more is kept for a message that cannot be stored
            }
            self.resumeReadingIfCaughtUp()
        }
        // Two chunks waiting for the disk: stop reading until one is written.
        if message.writing >= 2 * Self.messageChunkSize && !readPaused {
            readPaused = true
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        }
    }

    private func resumeReadingIfCaughtUp() {
        guard readPaused, let context, (incoming?.writing ?? 0) <= Self.messageChunkSize else { return }
        readPaused = false
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
    }

    /// Size limit, RSET, lost connection: the file in tmp/ is removed once the
    /// writes before it are done.
    private func abortMessage() {
        guard let message = incoming else { return }
        incoming = nil
        services.statistics.noteMessageBuffer(message.peak)
        if let maildir = services.maildir {
            let pool = services.threadPool
            message.file?.whenSuccess { file in pool.submit { _ in maildir.discard(file) } }
        }
        resumeReadingIfCaughtUp()
    }

    private func deliver(_ envelope: Envelope, _ context: ChannelHandlerContext) {
        guard let maildir = services.maildir else {
            logger.debug("message discarded (--sink)", metadata: ["size": "\(envelope.size)"])
            pending.append(contentsOf: session.deliveryFinished(.stored(queueID: nil)))
            return
        }
        guard let message = incoming else {
            // The session always begins a message before delivering it.
            logger.error("delivery without a message")
            pending.append(contentsOf: session.deliveryFinished(.temporaryFailure))
            return
        }
        incoming = nil
        services.statistics.noteMessageBuffer(message.peak)
        let rest = message.chunk
        let queueID = message.queueID
        // fsync, rename into new/, fsync new/; only then 250. A failed write or sync
        // leaves nothing in new/ (the file is removed from tmp/) and answers 451.
        afterWrites(message, maildir, context.eventLoop) { file in
            if !rest.isEmpty { try maildir.append(file, rest) }
            return try maildir.publish(file)
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
        resumeReadingIfCaughtUp()
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

    /// The watchdog is armed at most this far ahead: no deadline that a read sets
    /// (idle, command, the first rate check) is sooner, so reads never re-arm it.
    /// At least a second, so that a zero grace period does not make it spin.
    private var watchInterval: TimeAmount {
        let configuration = services.configuration
        var interval = min(configuration.idleTimeout, configuration.commandTimeout)
        if configuration.minimumDataRate > 0 { interval = min(interval, configuration.minimumDataRateGrace) }
        return TimeAmount(max(interval, .seconds(1)))
    }

    /// When message content falls below `minimumDataRate` if nothing more comes: the
    /// grace period, then one octet more than has come at the minimum rate.
    private var rateDeadline: NIODeadline? {
        let configuration = services.configuration
        guard let start = contentStart, configuration.minimumDataRate > 0, session.isReceivingContent else { return nil }
        let rate = Int64(configuration.minimumDataRate)
        return start + TimeAmount(configuration.minimumDataRateGrace)
            + .nanoseconds((Int64(contentBytes) + 1) * 1_000_000_000 / rate)
    }

    /// The earliest deadline in force.
    private func nextDeadline(_ now: NIODeadline) -> NIODeadline {
        // RFC 5321 §4.5.3.2.7. Not while the server itself is busy (credentials, delivery).
        var due = lastActivity + TimeAmount(services.configuration.idleTimeout)
        if let commandDeadline { due = min(due, commandDeadline) }
        if let rate = rateDeadline { due = min(due, rate) }
        return due
    }

    /// Makes the watchdog fire at `due` at the latest.
    private func armWatchdog(_ context: ChannelHandlerContext, due: NIODeadline) {
        if watchdog != nil && watchdogDue <= due { return }
        watchdog?.cancel()
        watchdogDue = due
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.watchdog = nil
            self.watchdogFired(context)
        }
    }

    private func watchdogFired(_ context: ChannelHandlerContext) {
        guard !closing, self.context != nil else { return }
        let now = NIODeadline.now()
        if let deadline = commandDeadline, now >= deadline {
            commandDeadline = nil
            if session.hasPartialLine {
                logger.notice("command deadline passed", metadata: ["buffered": "\(session.bufferedInputCount)"])
                perform(session.timedOut())
                return
            }
        }
        if let deadline = rateDeadline, now >= deadline {
            logger.notice("minimum data rate not kept", metadata: ["octets": "\(contentBytes)"])
            perform(session.timedOut())
            return
        }
        if session.awaiting != nil || awaitingHandshake || readPaused {
            lastActivity = now  // the server is the one busy; the handshake has its own deadline
        } else if now >= lastActivity + TimeAmount(services.configuration.idleTimeout) {
            logger.notice("idle timeout")
            perform(session.timedOut())
            return
        }
        armWatchdog(context, due: min(nextDeadline(now), now + watchInterval))
    }

    /// After each read: a command line that has begun gets `commandTimeout` to end;
    /// message content must keep up `minimumDataRate` after its grace period.
    private func updateProgressDeadlines(_ context: ChannelHandlerContext, now: NIODeadline) {
        if session.isReceivingContent {
            commandDeadline = nil
            if contentStart == nil, services.configuration.minimumDataRate > 0 {
                contentStart = now
                contentBytes = 0
                if let rate = rateDeadline { armWatchdog(context, due: rate) }
            }
            return
        }
        contentStart = nil
        if session.hasPartialLine {
            guard commandDeadline == nil else { return }
            let deadline = now + TimeAmount(services.configuration.commandTimeout)
            commandDeadline = deadline
            armWatchdog(context, due: deadline)
        } else {
            commandDeadline = nil
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
        // The session says 421 and aborts an open message: no partial message is stored.
        perform(session.shutdown())
        closeAfterWrites(context)
    }
}

/// A message on its way into Maildir's tmp/: content gathers in `chunk` and is
/// written a chunk at a time on the thread pool, in order. Event loop only.
private final class IncomingMessage {
    let queueID: String
    /// The `Received:` header, written when the file is created.
    let header: [UInt8]
    /// The file after every write handed out so far (nil before the first); failed when any failed.
    var file: EventLoopFuture<Maildir.TemporaryFile>?
    var chunk: [UInt8] = []
    /// Octets handed to the thread pool and not written yet.
    var writing = 0
    var failed = false
    /// The most octets of content held at once (`chunk` and `writing`).
    var peak = 0

    init(queueID: String, header: [UInt8]) {
        self.queueID = queueID
        self.header = header
        chunk.reserveCapacity(ConnectionHandler.messageChunkSize)
    }

    func notePeak() { peak = max(peak, chunk.count + writing) }
}

extension ByteBuffer {
    /// `reply.bytes`, written in place: no intermediate strings or arrays per reply.
    mutating func writeReply(_ reply: Reply) {
        let code = reply.code  // 200...599 (Reply's precondition)
        let last = reply.lines.count - 1
        for (index, line) in reply.lines.enumerated() {
            writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 100))
            writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
            writeInteger(UInt8(truncatingIfNeeded: 0x30 + code % 10))
            writeInteger(index == last ? UInt8(ascii: " ") : UInt8(ascii: "-"))
            if let status = reply.enhancedStatus {
                writeString(status)
                writeInteger(UInt8(ascii: " "))
            }
            writeString(line)
            writeInteger(UInt16(0x0D0A))  // CRLF (big-endian by default)
        }
    }
}

/// The server's logger with the connection's number and peer on every line. The
/// metadata is made only for lines that are logged: setting it on a `Logger` per
/// connection made `StreamLogHandler` format it at once, whatever the log level,
/// which cost more than the rest of accepting a connection.
struct ConnectionLogger {
    let base: Logger
    let connection: ConnectionID
    var peer: SocketAddress?

    private func metadata(_ extra: Logger.Metadata?) -> Logger.Metadata {
        var metadata = extra ?? [:]
        metadata["conn"] = "\(connection.rawValue)"
        if let peer { metadata["peer"] = "\(peer.ipAddress ?? "?"):\(peer.port ?? 0)" }
        return metadata
    }

    func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata?) {
        base.log(level: level, message(), metadata: self.metadata(metadata()))
    }

    func debug(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        log(.debug, message(), metadata: metadata())
    }
    func info(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        log(.info, message(), metadata: metadata())
    }
    func notice(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        log(.notice, message(), metadata: metadata())
    }
    func warning(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        log(.warning, message(), metadata: metadata())
    }
    func error(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        log(.error, message(), metadata: metadata())
    }
}

extension IPAddress {
    /// The address of a socket, read from its `sockaddr` (no text made and parsed per
    /// connection). IPv4-mapped IPv6 addresses are IPv4, as in `init?(_ text:)`.
    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self = .v4(UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var value: UInt128 = 0
            withUnsafeBytes(of: address.address.sin6_addr) { bytes in
                for byte in bytes { value = value << 8 | UInt128(byte) }
            }
            self = value >> 32 == 0xFFFF ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value)
        case .unixDomainSocket:
            return nil
        }
    }
}
