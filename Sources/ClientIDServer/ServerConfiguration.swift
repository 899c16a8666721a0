// What a clientid-server instance is told at start. Plain values: the CLI builds
// one, tests build one with port 0. Each limit has its own default, taken from
// the RFCs or from Postfix's documented defaults, and its own reply.

import ClientIDPolicy
import DeviceRegistryPostgres
import NIOCore
import SMTPSession

public struct ServerConfiguration: Sendable {
    /// A `HOST:PORT` to listen on. Port 0 picks a free port (tests).
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `127.0.0.1:2525`, `[::1]:2525`, `localhost:2525`.
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65_535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self.init(host: host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Where accepted messages go.
    public enum Delivery: Sendable, Equatable {
        /// Maildir (tmp/ → fsync → new/ → fsync of new/), then `250`.
        case maildir(path: String)
        /// Accept and discard (load tests).
        case sink
    }

    /// Where the certificate comes from.
    public enum Certificate: Sendable, Equatable {
        case files(certificatePEM: String, privateKeyPEM: String)
        /// A self-signed P-256 certificate made at start for `hostname`.
        case ephemeral
    }

    /// Plaintext with STARTTLS (RFC 3207); nil for none.
    public var listen: Endpoint? = Endpoint(host: "127.0.0.1", port: 2525)
    /// Implicit TLS (RFC 8314, D16); nil for none.
    public var tlsListen: Endpoint?
    public var certificate: Certificate = .ephemeral
    public var delivery: Delivery = .maildir(path: "maildir")
    /// The device registry (`devices.sqlite`) and the user log live here (D20: apart
    /// from credentials). Not the device key: see `deviceKeyFile`.
    public var dataDirectory: String = "clientid-data"
    /// The HMAC key of device keys (D20): 32+ random bytes, mode 0600, made when missing;
    /// the server refuses to start when the file is readable by others or too short.
    /// Kept apart from the registry, so that a copy of the registry cannot be searched for
    /// low-entropy tokens. nil: `defaultDeviceKeyFile()`, in the user's configuration folder.
    public var deviceKeyFile: String?
    /// The user log (draft §7 flag 4): one file per account, never the operator's log
    /// (docs/server.md, Privacy). nil: `user-log` in `dataDirectory`.
    public var userLogDirectory: String?
    /// A user log file past this many bytes becomes `ACCOUNT.log.1` and a new one starts.
    public var userLogMaxBytes: Int = 1 << 20

    /// Where the device registry lives (`--registry`).
    public enum Registry: Sendable, Equatable {
        /// A SQLite file; nil: `devices.sqlite` in the data directory.
        case sqlite(path: String?)
        /// A PostgreSQL database that several servers share (DeviceRegistryPostgres, docs/server.md).
        case postgres(PostgresLocation)

        /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME]` (or `postgresql://`), or
        /// `sqlite:PATH`. The error says what is wrong; it never repeats a password.
        public init(argument text: String) throws(ServerError) {
            let lower = text.lowercased()
            if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
                do throws(DeviceRegistryError) {
                    self = .postgres(try PostgresLocation(url: text))
                } catch {
                    throw ServerError("--registry: \(error)")
                }
            } else if lower.hasPrefix("sqlite:") {
                let path = String(text.dropFirst("sqlite:".count))
                guard !path.isEmpty else { throw ServerError("--registry sqlite:PATH needs a path") }
                self = .sqlite(path: path)
            } else {
                throw ServerError(
                    "--registry: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH, not \(PostgresLocation.redacted(text))"
                )
            }
        }
    }
    /// Servers sharing a registry need the same `deviceKeyFile` (a registry refuses a
    /// server whose key differs from the one its keys were made with).
    public var registry: Registry = .sqlite(path: nil)
    /// A policy file (docs/policy.md); nil for the default policy.
    public var policyFile: String?
    /// Accounts given directly (`--user`, tests).
    public var users: UserStore = UserStore()
    /// A users file (Passwords.swift), read at start and again on SIGHUP; its accounts
    /// join `users`.
    public var usersFile: String?

    /// The session's settings: hostname, command line, message size, recipients,
    /// errors, AUTH failures and their delay, CLIENTID on or off (D6).
    public var session: SMTPSession.Configuration = ServerConfiguration.defaultSession

    /// RFC 5321 §4.5.3.2.7: at least 5 minutes (Postfix `smtpd_timeout` = 300 s).
    public var idleTimeout: Duration = .seconds(300)
    /// From the TCP connection (implicit TLS) or the `220` to STARTTLS to the end of
    /// the handshake. Postfix `smtpd_starttls_timeout` is 300 s, 10 s under stress;
    /// a handshake takes milliseconds, so 30 s is generous and bounds idle sockets.
    public var tlsHandshakeTimeout: Duration = .seconds(30)
    /// Postfix `smtpd_client_connection_count_limit` = 50. Refused with `421 4.7.0` at connect.
    /// The policy engine counts them: a policy file's `limits.perIP.maxConnections` wins
    /// when it is not 0. 0 turns it off.
    public var maxConnectionsPerIP: Int = 50
    /// All connections together; more are refused with `421 4.3.2` at connect.
    /// Postfix's `default_process_limit` is 100; a connection costs far less here.
    public var maxConnections: Int = 1_000
    /// Concurrent connections per CLIENTID device (D21): applied by the policy engine at
    /// AUTH, as a refusal like any other (D18). A policy file's own
    /// `limits.perDevice.maxConnections` wins when it is not 0. 0 turns it off.
    public var maxConnectionsPerDevice: Int = 10
    /// How long a SIGTERM waits for transactions in flight before it answers `421` anyway.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Called with each audit event a connection logs (the policy engine's events, its
    /// D19/D20 flags already applied), as it is logged, on the connection's event loop:
    /// keep it short. A structured view of the same events, so that an embedder or a test
    /// never parses log lines. nil (the default) for none. `user` events come here too,
    /// though they go to the user log and not to the operator's log.
    ///
    /// The observer sees exactly what the logs may show: the device's fingerprint, and
    /// the raw token only where `privacy.logRawTokens` and the type's flags put it in the
    /// log. It runs in-process, but what it is given tends to leave the process (metrics,
    /// an event bus, another log), and one setting then decides where tokens go.
    public var auditObserver: (@Sendable (ConnectionAuditEvent) -> Void)?

    /// Brute force across connections (docs/server.md, Hardening). The policy engine
    /// counts the failures; these are its limits when the policy file sets none.
    public struct AuthThrottle: Sendable, Equatable {
        /// Failures remembered this long.
        public var window: Duration = .seconds(15 * 60)
        /// This many failures from one address in the window: `421` and close, and every
        /// later AUTH from it gets `421` unchecked. Keyed by address only: an account name
        /// or a device token is a claim, and nobody may lock another client out. 0 turns it off.
        /// A policy file's `limits.perIP.maxAuthFailures` (with its window) wins when not 0.
        public var maxFailures: Int = 10
        /// The delay before `535` doubles per recent failure of the address or the
        /// account, from the session's `authFailureDelay`, up to this.
        public var maxDelay: Duration = .seconds(30)
        public init() {}
    }
    public var authThrottle = AuthThrottle()
    /// Slowloris: once a command line has begun it must end within this (Postfix applies
    /// `smtpd_timeout` per request with `smtpd_per_request_deadline`). `421 4.4.2` and close.
    public var commandTimeout: Duration = .seconds(60)
    /// Message content must average this many octets a second (Postfix `smtpd_min_data_rate`:
    /// 500) once `minimumDataRateGrace` has passed; slower gets `421 4.4.2` and close.
    public var minimumDataRate: Int = 500
    public var minimumDataRateGrace: Duration = .seconds(60)
    /// Wait this long before the greeting (Postfix `postscreen_greet_wait`); a client that
    /// talks meanwhile gets `554 5.5.0` and close. 0 (the default) sends the greeting at once.
    public var greetingDelay: Duration = .zero
    /// Event-loop threads serving connections; nil: `defaultEventLoops`.
    public var eventLoops: Int?
    /// One per core but one, and at least one. The core left over runs the blocking pool
    /// (password hashes, Maildir fsyncs) and the kernel's side of the sockets. On the 2-core
    /// machine this project measures on, one loop was as fast as two or faster in every
    /// scenario measured (docs/server.md, "Event loops"): `--sink` and Maildir, one message
    /// per connection and reuse, and TLS handshakes; two loops woke each other across CPUs.
    public static var defaultEventLoops: Int { max(1, System.coreCount - 1) }

    public init() {}

    /// The engine's throttle: the session's failure delay, doubled up to `authThrottle.maxDelay`.
    public var throttle: ClientIDPolicy.AuthThrottle {
        ClientIDPolicy.AuthThrottle(baseDelay: session.authFailureDelay, maxDelay: authThrottle.maxDelay)
    }

    /// The server's limits in a policy that sets none (0 in the file): the policy engine
    /// owns these counts, and the command line sets their defaults.
    public func applyDefaultLimits(to policy: inout PolicyConfiguration) {
        if policy.limits.perIP.maxConnections == 0 { policy.limits.perIP.maxConnections = maxConnectionsPerIP }
        if policy.limits.perIP.maxAuthFailures == 0 {
            policy.limits.perIP.maxAuthFailures = authThrottle.maxFailures
            policy.limits.perIP.window = .seconds(Int64(authThrottle.window.components.seconds))
        }
        if policy.limits.perDevice.maxConnections == 0 {
            policy.limits.perDevice.maxConnections = maxConnectionsPerDevice
        }
    }

    public static var defaultSession: SMTPSession.Configuration {
        var c = SMTPSession.Configuration()
        c.hostname = systemHostname()
        c.enforceSynchronization = true  // Exim's smtp_enforce_sync (docs/server.md, Hardening)
        return c
    }
}

/// One audit event as a connection logged it (`ServerConfiguration.auditObserver`).
public struct ConnectionAuditEvent: Sendable {
    public var connection: ConnectionID
    /// TLS was up on the connection (STARTTLS done, or implicit TLS) when the event was logged.
    public var encrypted: Bool
    public var event: AuditEvent
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's name, or `localhost` when it has none usable in a greeting.
func systemHostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) ? "localhost" : name
}
