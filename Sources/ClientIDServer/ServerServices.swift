// What every connection of a server shares, made once at start: the settings,
// the accounts, the policy engine (which owns every count across connections),
// the message store, TLS, the thread pool, the logger and the open connections.

import ClientIDPolicy
import ClientIDPolicyYAML
import Foundation
import Logging
import NIOPosix
import NIOSSL
import SMTPSession
import Synchronization

/// Immutable after start but for the counters and what SIGHUP reloads (accounts, policy).
final class ServerServices: Sendable {
    let configuration: ServerConfiguration
    let plainSession: SMTPSession.Configuration
    let implicitTLSSession: SMTPSession.Configuration
    private let accounts: Mutex<UserStore>
    let policy: ClientIDPolicyEngine
    /// nil with `--sink`.
    let maildir: Maildir?
    let tlsContext: NIOSSLContext?
    let threadPool: NIOThreadPool
    let logger: Logger
    /// Where `user` audit events go (never the operator's log); nil: nowhere.
    let userLog: UserLog?
    let tracker: ConnectionTracker
    let statistics = ServerStatistics()
    private let connectionCounter = Atomic<UInt64>(0)
    private let queuePrefix: String

    init(
        configuration: ServerConfiguration, users: UserStore, policy: ClientIDPolicyEngine, maildir: Maildir?,
        tlsContext: NIOSSLContext?, threadPool: NIOThreadPool, logger: Logger, userLog: UserLog? = nil
    ) {
        self.configuration = configuration
        var plain = configuration.session
        plain.implicitTLS = false
        plain.startTLSAvailable = tlsContext != nil
        plainSession = plain
        var implicit = configuration.session
        implicit.implicitTLS = true
        implicitTLSSession = implicit
        accounts = Mutex(users)
        self.policy = policy
        self.maildir = maildir
        self.tlsContext = tlsContext
        self.threadPool = threadPool
        self.logger = logger
        self.userLog = userLog
        tracker = ConnectionTracker(maxTotal: configuration.maxConnections)
        // Queue IDs: a per-start random prefix and a counter, so they never repeat.
        queuePrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16, uppercase: true)
    }

    /// The AUTH gate with the accounts as they are now (a reload replaces them).
    var authGate: AuthGate { AuthGate(policy: policy, users: accounts.withLock { $0 }, userLog: userLog) }

    func nextConnectionID() -> ConnectionID {
        ConnectionID(connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    func replaceUsers(_ users: UserStore) {
        accounts.withLock { $0 = users }
    }

    func nextQueueID() -> String {
        "\(queuePrefix)\(String(connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 16, uppercase: true))"
    }
}

/// The accounts given directly, and those of the users file when there is one.
func loadUsers(_ configuration: ServerConfiguration) throws -> UserStore {
    var users = configuration.users
    guard let file = configuration.usersFile else { return users }
    let text: String
    do {
        text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
        throw ServerError("\(file): cannot read: \(error.localizedDescription)")
    }
    do throws(UserStore.Problem) {
        try users.add(fileText: text, file: file)
    } catch {
        throw ServerError(error.description)
    }
    return users
}

/// The policy file (or the default policy) with the server's limits where the file
/// sets none, validated. The engine applies them all: the per-address connection and
/// failure limits and the per-device ones (docs/server.md, "Who counts what").
func loadPolicy(_ configuration: ServerConfiguration) throws -> PolicyConfiguration {
    var policy = PolicyConfiguration()
    if let file = configuration.policyFile {
        do throws(PolicyFileError) {
            policy = try PolicyConfiguration.load(yamlFile: file)
        } catch {
            throw ServerError("policy: \(error)")
        }
    }
    configuration.applyDefaultLimits(to: &policy)
    do throws(PolicyConfigurationError) {
        try policy.validate()
    } catch {
        throw ServerError("policy: \(configuration.policyFile.map { "\($0): " } ?? "")\(error)")
    }
    return policy
}
