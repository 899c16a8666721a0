// A running server: start (its services and listeners), reload on SIGHUP, and
// graceful shutdown on SIGTERM or SIGINT.

import ClientIDPolicy
import ClientIDPolicyYAML
import DeviceRegistryPostgres
import DeviceRegistrySQLite
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMTPSession
import Synchronization

/// A running server. `start` binds the listeners; `shutdown` stops it gracefully.
public final class ClientIDServer: Sendable {
    /// The plaintext (STARTTLS) listener's address, once bound.
    public let plainAddress: SocketAddress?
    /// The implicit TLS listener's address, once bound.
    public let tlsAddress: SocketAddress?
    /// SHA-256 of the server certificate's DER (`AB:CD:…`).
    public let certificateFingerprint: String
    /// Counters: the most message content any connection has held in memory at once
    /// (messages are written to tmp/ a chunk at a time, so this stays near a fixed
    /// bound whatever their size), and AUTH attempts refused by the throttle.
    public var statistics: ServerStatistics { services.statistics }

    let services: ServerServices
    private let group: MultiThreadedEventLoopGroup
    private let listeners: [any Channel]
    private let upkeep: RepeatedTask
    private let stopped = Mutex(false)

    private init(
        plainAddress: SocketAddress?, tlsAddress: SocketAddress?, certificateFingerprint: String,
        services: ServerServices, group: MultiThreadedEventLoopGroup, listeners: [any Channel], upkeep: RepeatedTask
    ) {
        self.plainAddress = plainAddress
        self.tlsAddress = tlsAddress
        self.certificateFingerprint = certificateFingerprint
        self.services = services
        self.group = group
        self.listeners = listeners
        self.upkeep = upkeep
    }

    public static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> ClientIDServer {
        guard configuration.listen != nil || configuration.tlsListen != nil else { throw ServerError("nothing to listen on") }
        do throws(SMTPSession.Configuration.Problem) {
            try configuration.session.validate()
        } catch {
            throw ServerError("invalid limits: \(error)")
        }
        if configuration.commandTimeout <= .zero || configuration.minimumDataRate < 0
            || configuration.minimumDataRateGrace < .zero
            || configuration.greetingDelay < .zero || configuration.authThrottle.maxFailures < 0
            || configuration.authThrottle.window <= .zero
        {
            throw ServerError("invalid limits: deadlines and rates must be positive (0 turns a rate or a count off)")
        }
        if let loops = configuration.eventLoops, loops < 1 { throw ServerError("event loops: at least 1") }

        // TLS identity.
        let identity = try ServerIdentity.load(configuration.certificate, hostname: configuration.session.hostname)
        if identity.ephemeral {
            logger.notice("generated an ephemeral self-signed certificate", metadata: ["sha256": "\(identity.fingerprint)"])
        } else {
            logger.info("certificate loaded", metadata: ["sha256": "\(identity.fingerprint)"])
        }
        let tlsContext = try identity.makeTLSContext()

        let users = try loadUsers(configuration)
        // Policy engine and device registry (D20: a keyed hash, the key apart from the registry).
        let policy = try loadPolicy(configuration)
        warnIfRawTokensLogged(policy, logger)
        try makeDirectory(configuration.dataDirectory)
        let keyFile = try loadDeviceKey(configuration, logger: logger)
        let keys = HMACDeviceKeys(secret: keyFile.secret)
        // Either registry refuses a key other than the one its keys were made with.
        let keyCheck = keys.key(for: PostgresDeviceRegistry.keyCheckIdentity)
        let registry: any DeviceRegistry
        do throws(DeviceRegistryError) {
            switch configuration.registry {
            case .sqlite(let path):
                registry = try SQLiteDeviceRegistry(
                    path: path ?? configuration.dataDirectory + "/devices.sqlite", capacity: policy.registry.maxEntries,
                    keyCheck: keyCheck)
            case .postgres(let location):
                registry = try PostgresDeviceRegistry(
                    location: location, capacity: policy.registry.maxEntries, keyCheck: keyCheck, logger: logger)
                logger.notice("device registry: PostgreSQL, shared", metadata: ["at": "\(location.displayName)"])
            }
        } catch {
            throw ServerError("\(error)")
        }
        let engine = ClientIDPolicyEngine(
            configuration: policy, registry: registry, keys: keys, throttle: configuration.throttle)

        let maildir: Maildir?
        switch configuration.delivery {
        case .maildir(let path): maildir = try Maildir(path: path, hostname: configuration.session.hostname)
        case .sink: maildir = nil
        }

        // Password hashing (CPU) and Maildir fsyncs (waiting on the disk) run here; more threads
        // than cores let concurrent deliveries share the file system's journal commits.
        let threadPool = NIOThreadPool(numberOfThreads: max(4, 4 * System.coreCount))
        threadPool.start()
        let group = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.eventLoops ?? ServerConfiguration.defaultEventLoops)
        let userLog = UserLog(
            directory: configuration.userLogDirectory ?? configuration.dataDirectory + "/user-log",
            maxBytes: configuration.userLogMaxBytes, logger: logger)
        let services = ServerServices(
            configuration: configuration, users: users, policy: engine, maildir: maildir, tlsContext: tlsContext,
            threadPool: threadPool, logger: logger, userLog: userLog)

        // SO_REUSEPORT from the C library (NIO names no constant for it; a raw number
        // here once meant SO_DEBUG, see below).
        let reusePort = NIOBSDSocket.Option(rawValue: SO_REUSEPORT)
        /// One listening socket per event loop (SO_REUSEPORT), each accepting onto its own loop:
        /// the kernel spreads connections over the sockets, and no accepted connection is handed
        /// from the accepting loop to another (which cost a cross-CPU wake-up per connection).
        /// The first socket picks the port when the endpoint asks for port 0; the rest join it.
        /// (Linux spreads connections over such sockets; other systems may not, and then one
        /// loop accepts them all, which is slower but not wrong.)
        /// SO_REUSEPORT would also let a second server started on the same port join silently
        /// and take half the connections, so the port is first bound without it (`portIsFree`).
        func bind(_ endpoint: ServerConfiguration.Endpoint, implicitTLS: Bool) async throws -> [any Channel] {
            if endpoint.port != 0 {
                try portIsFree(host: endpoint.host, port: endpoint.port)
            }
            var channels: [any Channel] = []
            do {
                for loop in group.makeIterator() {
                    let port = channels.first?.localAddress?.port ?? endpoint.port
                    channels.append(try await bind(endpoint.host, port, on: loop, implicitTLS: implicitTLS))
                }
            } catch {
                for channel in channels { try? await channel.close() }
                throw error
            }
            return channels
        }
        func bind(_ host: String, _ port: Int, on loop: any EventLoop, implicitTLS: Bool) async throws -> any Channel {
            let common = ServerBootstrap(group: loop)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: reusePort), value: 1)
            // Nagle off: a reply must not wait for the client's ACK. NIO sets TCP_NODELAY on
            // the listening socket and Linux copies it to every accepted one (a test checks),
            // so there no system call per connection is needed. (The `.socketOption(.tcp_nodelay)`
            // set here before was SOL_SOCKET's option 1, SO_DEBUG: not Nagle, and refused
            // without CAP_NET_ADMIN, which closed every connection of a server not run as root.)
            #if os(Linux)
            let bootstrap = common
            #else
            let bootstrap = common.childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            #endif
            return
                try await bootstrap
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionHandler(services: services, implicitTLS: implicitTLS))
                    }
                }
                .bind(host: host, port: port).get()
        }

        var listeners: [any Channel] = []
        do {
            var plainAddress: SocketAddress?
            var tlsAddress: SocketAddress?
            if let endpoint = configuration.listen {
                let channels = try await bind(endpoint, implicitTLS: false)
                listeners += channels
                let channel = channels[0]
                plainAddress = channel.localAddress
                logger.notice("listening (STARTTLS)", metadata: ["address": "\(channel.localAddress.map(describe) ?? "?")"])
            }
            if let endpoint = configuration.tlsListen {
                let channels = try await bind(endpoint, implicitTLS: true)
                listeners += channels
                let channel = channels[0]
                tlsAddress = channel.localAddress
                logger.notice("listening (implicit TLS)", metadata: ["address": "\(channel.localAddress.map(describe) ?? "?")"])
            }
            // Upkeep (registry records past their age, old failure counts): hourly, off the loops.
            let upkeep = group.next().scheduleRepeatedTask(initialDelay: .hours(1), delay: .hours(1)) { _ in
                threadPool.submit { _ in
                    do throws(DeviceRegistryError) {
                        let removed = try engine.removeExpired()
                        if removed > 0 { logger.info("device registry: removed \(removed) expired records") }
                    } catch {
                        logger.error("device registry upkeep failed: \(error)")
                    }
                }
            }
            return ClientIDServer(
                plainAddress: plainAddress, tlsAddress: tlsAddress, certificateFingerprint: identity.fingerprint,
                services: services, group: group, listeners: listeners, upkeep: upkeep)
        } catch {
            for channel in listeners { try? await channel.close() }
            try? await group.shutdownGracefully()
            try? await threadPool.shutdownGracefully()
            throw ServerError("cannot listen: \(error)")
        }
    }

    /// SIGTERM/SIGINT: stop accepting, let open transactions finish for the grace
    /// period, then answer `421` to everyone left, wait for delivery in flight, and stop.
    public func shutdown() async {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        let logger = services.logger
        logger.notice("shutting down")
        upkeep.cancel()
        for listener in listeners { try? await listener.close() }
        let open = services.tracker.beginShutdown()
        for channel in open {
            channel.eventLoop.execute {
                try? channel.pipeline.syncOperations.handler(type: ConnectionHandler.self).shutdown(.graceful)
            }
        }
        let grace = ContinuousClock.now + services.configuration.shutdownGracePeriod
        while !services.tracker.openChannels.isEmpty && ContinuousClock.now < grace {
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Past the grace period: refuse what is left (deliveries already running finish first).
        let deadline = ContinuousClock.now + .seconds(30)
        while !services.tracker.openChannels.isEmpty && ContinuousClock.now < deadline {
            for channel in services.tracker.openChannels {
                channel.eventLoop.execute {
                    try? channel.pipeline.syncOperations.handler(type: ConnectionHandler.self).shutdown(.now)
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        for channel in services.tracker.openChannels { try? await channel.close() }
        try? await services.threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        // A shared registry: this server's device sessions end with it, at once (not at lease end).
        (services.policy.deviceRegistry as? PostgresDeviceRegistry)?.close()
        logger.notice("stopped")
    }

    /// SIGHUP: reads the users file and the policy file again. Open connections stay;
    /// each uses the new accounts and policy from its next AUTH. A file that does not
    /// load leaves the configuration as it was, and the error (file:line:column) is
    /// logged and thrown. Returns once both are read.
    public func reload() throws {
        let logger = services.logger
        let configuration = services.configuration
        let users: UserStore
        let policy: PolicyConfiguration
        do {
            users = try loadUsers(configuration)
            policy = try loadPolicy(configuration)
        } catch {
            logger.error("reload failed, configuration unchanged: \(error)")
            throw error
        }
        services.replaceUsers(users)
        services.policy.update(configuration: policy)
        warnIfRawTokensLogged(policy, logger)
        logger.notice(
            "reloaded",
            metadata: [
                "users": "\(configuration.usersFile ?? "-")", "policy": "\(configuration.policyFile ?? "-")",
                "accounts": "\(users.accounts.count)",
            ])
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully; SIGHUP reloads.
    public func runUntilSignalled() async {
        let signals = SignalStream([SIGTERM, SIGINT, SIGHUP])
        for await number in signals.numbers {
            if number == SIGHUP {
                services.logger.notice("signal SIGHUP received")
                try? reload()
                continue
            }
            services.logger.notice("signal \(number == SIGTERM ? "SIGTERM" : "SIGINT") received")
            break
        }
        signals.cancel()
        await shutdown()
    }
}

/// Signals as an async sequence (Dispatch sources; the default actions are off).
private final class SignalStream: Sendable {
    let numbers: AsyncStream<Int32>
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.numbers = stream
        var sources: [any DispatchSourceSignal] = []
        for number in numbers {
            signal(number, SIG_IGN)  // handled by the source below, not by the default action
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    func cancel() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources = []
        }
    }
}

private func makeDirectory(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw ServerError("cannot create \(path): \(error.localizedDescription)")
    }
}

/// D20: the HMAC key of device keys, from its own file outside the registry's folder.
private func loadDeviceKey(_ configuration: ServerConfiguration, logger: Logger) throws -> DeviceKeyFile {
    let path = try configuration.resolvedDeviceKeyFile()
    try DeviceKeyFile.refuseKeyBesideRegistry(dataDirectory: configuration.dataDirectory, keyPath: path)
    let keyFile = try DeviceKeyFile.loadOrCreate(path)
    if keyFile.created {
        logger.notice("device key created", metadata: ["file": "\(path)"])
    } else {
        logger.info("device key loaded", metadata: ["file": "\(path)"])
    }
    // Named there explicitly (the default is elsewhere): allowed, but the operator is told.
    var folders = [configuration.dataDirectory]
    if case .sqlite(let registryPath?) = configuration.registry {
        folders.append((registryPath as NSString).deletingLastPathComponent)
    }
    if let folder = folders.first(where: { DeviceKeyFile.isInside(path, folder: $0) }) {
        logger.warning(
            """
            the device key is inside the device registry's folder: a copy of the folder lets low-entropy tokens \
            be recovered from the registry; keep the key elsewhere (docs/server.md, Privacy)
            """, metadata: ["file": "\(path)", "folder": "\(folder)"])
    }
    return keyFile
}

/// Draft §9: the operator asked for raw tokens in the logs; said at every start and reload.
private func warnIfRawTokensLogged(_ policy: PolicyConfiguration, _ logger: Logger) {
    guard policy.privacy.logRawTokens else { return }
    logger.warning(
        """
        privacy.logRawTokens is on: raw CLIENTID tokens (device identifiers such as MAC addresses, serial numbers, \
        licence keys: personal data) are written to the logs and the user log for the types whose flags ask; \
        protect and expire those logs as personal data
        """)
}
