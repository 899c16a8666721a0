// clientid-server: the reference SMTP submission server with CLIENTID
// (draft-storey-smtp-client-id). A thin shell over the ClientIDServer module:
// options in, a ServerConfiguration out.

import ArgumentParser
import ClientIDServer
import Foundation
import Logging

/// The defaults of every option come from `ServerConfiguration()`: written once, there.
private let defaults = ServerConfiguration()

private let defaultMaildir: String = {
    guard case .maildir(let path) = defaults.delivery else { preconditionFailure("the default delivery is a Maildir") }
    return path
}()

/// Whole and fractional seconds of a duration, as the options take them.
private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

extension ServerConfiguration.Endpoint: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

@main
struct ClientIDServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clientid-server",
        abstract: "SMTP submission server (RFC 6409) with STARTTLS, implicit TLS, AUTH and CLIENTID.",
        discussion: """
            Limits default to RFC minimums or to Postfix's defaults, as each option says. \
            Accepted mail lands in a Maildir (tmp/ → fsync → new/ → fsync) before `250` is sent. \
            SIGTERM or SIGINT stops accepting, lets open transactions finish for --shutdown-grace \
            seconds, then answers 421 and exits. SIGHUP reads --users and --policy again without \
            dropping connections; a file with an error leaves the running configuration as it was.
            """,
        subcommands: [HashPassword.self])

    @Option(help: ArgumentHelp("Plaintext listener with STARTTLS.", valueName: "host:port"))
    var listen = defaults.listen!
    @Flag(help: "No plaintext listener (implicit TLS only).")
    var noListen = false
    @Option(help: ArgumentHelp("Implicit TLS listener (port 465 style, D16). Off unless given.", valueName: "host:port"))
    var tlsListen: ServerConfiguration.Endpoint?

    @Option(
        help: ArgumentHelp(
            "Certificate chain (PEM). Without --cert/--key an ephemeral self-signed P-256 certificate is made and its SHA-256 fingerprint logged.",
            valueName: "pem"))
    var cert: String?
    @Option(help: ArgumentHelp("Private key (PEM).", valueName: "pem"))
    var key: String?
    @Option(help: "Name in the greeting and the EHLO reply (default: the machine's host name).")
    var hostname: String?

    @Option(
        help: ArgumentHelp("Accounts, one a line: NAME:$pbkdf2-sha256$i=N$SALT$HASH (see `hash-password`).", valueName: "file"))
    var users: String?
    @Option(
        name: .customLong("user"),
        help: ArgumentHelp(
            "Development account NAME:PASSWORD (repeatable; the password is visible in ps).", valueName: "name:password"))
    var developmentUsers: [String] = []
    @Flag(help: "Accept MAIL without AUTH (load tests with smtp-source only; never on a reachable port).")
    var allowUnauthenticated = false

    @Option(help: ArgumentHelp("CLIENTID policy file (docs/policy.md).", valueName: "file"))
    var policy: String?
    @Flag(help: "CLIENTID support disabled: never advertised, the verb is unknown (D6).")
    var noClientid = false
    @Option(help: ArgumentHelp("Device registry (devices.sqlite) and user log (user-log/) (D20).", valueName: "dir"))
    var dataDir = defaults.dataDirectory
    @Option(
        help: ArgumentHelp(
            "HMAC key of the device registry's keys (D20): made (32 random bytes, mode 0600) when missing; the server "
                + "refuses to start if others may read it or it is under 32 bytes. Keep it out of the registry's folder: "
                + "with both, low-entropy tokens (MAC addresses) can be recovered. Changing it forgets learned devices "
                + "(docs/server.md, Privacy). Default: $XDG_CONFIG_HOME/clientid-server/device-key, or "
                + "~/.config/clientid-server/device-key.",
            valueName: "file"))
    var deviceKey: String?
    @Option(
        help: ArgumentHelp(
            "Folder of the user log (draft §7 user-log flag): one file per account, never the operator's log. "
                + "Default: user-log in --data-dir.",
            valueName: "dir"))
    var userLogDir: String?
    @Option(
        help: ArgumentHelp(
            "Device registry: postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME] shares one between servers "
                + "(devices learned, per-device limits; give every server the same --device-key file), or sqlite:PATH. "
                + "Default: devices.sqlite in --data-dir.",
            valueName: "url"))
    var registry: String?

    @Option(help: ArgumentHelp("Deliver accepted mail here, Maildir style.", valueName: "dir"))
    var maildir = defaultMaildir
    @Flag(help: "Accept and discard messages (load tests).")
    var sink = false

    @Option(help: "Command line length with CRLF; longer lines get 500 (RFC 5321 §4.5.3.1.4: 512).")
    var maxLineLength = defaults.session.maxCommandLineLength
    @Option(
        help: "Message size in octets, advertised as SIZE (RFC 1870); larger gets 552. Gmail and Microsoft 365 accept 25 MiB.")
    var maxMessageSize = defaults.session.maxMessageSize
    @Option(help: "Recipients per message; more get 452 (RFC 5321 §4.5.3.1.8: at least 100).")
    var maxRecipients = defaults.session.maxRecipients
    @Option(help: "Error replies before 421 and close (Postfix smtpd_soft_error_limit: 10).")
    var maxErrors = defaults.session.maxErrors
    @Option(help: "Failed AUTH attempts before 421 and close.")
    var maxAuthFailures = defaults.session.maxAuthFailures
    @Option(help: "Seconds before every 535, wrong password or policy refusal alike (D18; Postfix smtpd_error_sleep_time: 1).")
    var authFailureDelay = seconds(defaults.session.authFailureDelay)
    @Option(help: "Idle seconds before 421 and close (RFC 5321 §4.5.3.2.7, Postfix smtpd_timeout: 300).")
    var idleTimeout = Int(seconds(defaults.idleTimeout))
    @Option(help: "Seconds allowed for a TLS handshake (Postfix smtpd_starttls_timeout: 300, 10 under stress).")
    var tlsHandshakeTimeout = Int(seconds(defaults.tlsHandshakeTimeout))
    @Option(help: "Connections at once; more get 421 at connect (Postfix default_process_limit: 100).")
    var maxConnections = defaults.maxConnections
    @Option(
        help:
            "Connections at once from one IP address; more get 421 at connect (Postfix smtpd_client_connection_count_limit: 50). A policy file's limits.perIP.maxConnections wins; 0: off."
    )
    var maxConnectionsPerIp = defaults.maxConnectionsPerIP
    @Option(
        help:
            "Authenticated sessions at once per CLIENTID device, refused at AUTH like a wrong password (D21, D18); a CLIENTID alone holds none. A policy file's limits.perDevice.maxConnections wins; 0: off."
    )
    var maxConnectionsPerDevice = defaults.maxConnectionsPerDevice
    @Option(help: "Seconds SIGTERM waits for open transactions before answering 421.")
    var shutdownGrace = Int(seconds(defaults.shutdownGracePeriod))

    // Hardening (docs/server.md): defaults from ServerConfiguration and Postfix.
    @Option(help: "Seconds a begun command line has to end (slowloris); then 421 (Postfix smtpd_per_request_deadline).")
    var commandTimeout = Int(seconds(defaults.commandTimeout))
    @Option(
        help: "Octets a second message content must average after the grace period; 0: off (Postfix smtpd_min_data_rate: 500).")
    var minDataRate = defaults.minimumDataRate
    @Option(help: "Seconds of message content before the minimum data rate applies.")
    var minDataRateGrace = Int(seconds(defaults.minimumDataRateGrace))
    @Option(help: "Seconds to wait before the greeting; input meanwhile gets 554 (Postfix postscreen_greet_wait). 0: none.")
    var greetingDelay = seconds(defaults.greetingDelay)
    @Option(
        help:
            "AUTH failures from one address within the window before 421, and AUTH from it refused unchecked; 0: off. By address only: an account name or a device is a claim, and nobody may lock its owner out. A policy file's limits.perIP.maxAuthFailures wins."
    )
    var authThrottleFailures = defaults.authThrottle.maxFailures
    @Option(help: "Seconds AUTH failures are remembered.")
    var authThrottleWindow = Int(seconds(defaults.authThrottle.window))
    @Option(help: "Cap in seconds of the 535 delay, which doubles per recent failure of the address or the account.")
    var authThrottleMaxDelay = Int(seconds(defaults.authThrottle.maxDelay))
    @Option(help: "NOOP, RSET, VRFY and HELP before each counts as an error (Postfix smtpd_junk_command_limit: 100).")
    var maxJunkCommands = defaults.session.maxJunkCommands

    @Option(
        help:
            "Event-loop threads serving connections, each with its own listening socket (default: one per core but one, at least 1)."
    )
    var eventLoops: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if noListen && tlsListen == nil { throw ValidationError("--no-listen needs --tls-listen") }
        if let eventLoops, eventLoops < 1 { throw ValidationError("--event-loops must be at least 1") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
        if let registry {
            do throws(ServerError) {
                _ = try ServerConfiguration.Registry(argument: registry)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "clientid-server")

        var configuration = ServerConfiguration()
        configuration.listen = noListen ? nil : listen
        configuration.tlsListen = tlsListen
        if let cert, let key { configuration.certificate = .files(certificatePEM: cert, privateKeyPEM: key) }
        if let hostname { configuration.session.hostname = hostname }
        configuration.session.maxCommandLineLength = maxLineLength
        configuration.session.maxMessageSize = maxMessageSize
        configuration.session.maxRecipients = maxRecipients
        configuration.session.maxErrors = maxErrors
        configuration.session.maxAuthFailures = maxAuthFailures
        configuration.session.authFailureDelay = .milliseconds(Int((authFailureDelay * 1000).rounded()))
        configuration.session.clientIDEnabled = !noClientid
        configuration.session.requireAuthentication = !allowUnauthenticated
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.tlsHandshakeTimeout = .seconds(tlsHandshakeTimeout)
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerIP = maxConnectionsPerIp
        configuration.maxConnectionsPerDevice = maxConnectionsPerDevice
        configuration.shutdownGracePeriod = .seconds(shutdownGrace)
        configuration.commandTimeout = .seconds(commandTimeout)
        configuration.minimumDataRate = minDataRate
        configuration.minimumDataRateGrace = .seconds(minDataRateGrace)
        configuration.greetingDelay = .milliseconds(Int((greetingDelay * 1000).rounded()))
        configuration.authThrottle.maxFailures = authThrottleFailures
        configuration.authThrottle.window = .seconds(authThrottleWindow)
        configuration.authThrottle.maxDelay = .seconds(authThrottleMaxDelay)
        configuration.session.maxJunkCommands = maxJunkCommands
        configuration.eventLoops = eventLoops
        configuration.policyFile = policy
        configuration.dataDirectory = dataDir
        configuration.deviceKeyFile = deviceKey
        configuration.userLogDirectory = userLogDir
        if let registry { configuration.registry = try ServerConfiguration.Registry(argument: registry) }
        configuration.delivery = sink ? .sink : .maildir(path: maildir)

        configuration.usersFile = users  // read by the server at start and on SIGHUP
        do throws(UserStore.Problem) {
            for spec in developmentUsers { try configuration.users.add(development: spec) }
        } catch {
            throw ValidationError(error.description)
        }
        if users == nil && configuration.users.isEmpty && !allowUnauthenticated {
            logger.warning("no accounts (--users, --user): every AUTH fails and MAIL needs AUTH")
        }

        // Past a file size limit (ulimit -f) a write fails with EFBIG and the message gets
        // 451, instead of SIGXFSZ ending the server.
        signal(SIGXFSZ, SIG_IGN)
        let server = try await ClientIDServer.start(configuration, logger: logger)
        await server.runUntilSignalled()
    }
}

struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a users-file line (NAME:$pbkdf2-sha256$i=N$SALT$HASH) for --users.",
        discussion: "The password is read from standard input (one line; without echo on a terminal).")

    @Argument(help: "Account name (no ':', spaces or control characters).")
    var name: String
    @Option(help: "PBKDF2-HMAC-SHA256 iterations (OWASP 2023: 600,000).")
    var iterations = 600_000

    func validate() throws {
        if iterations < 100_000 { throw ValidationError("--iterations below 100,000 is too weak for stored passwords") }
    }

    func run() throws {
        let password: String
        if isatty(STDIN_FILENO) != 0, let typed = getpass("Password for \(name): ") {
            password = String(cString: typed)
        } else {
            guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
            password = line
        }
        guard !password.isEmpty else { throw ValidationError("empty password") }
        do {
            print(try usersFileLine(name: name, password: Array(password.utf8), iterations: iterations))
        } catch {
            throw ValidationError(error.description)
        }
    }
}
