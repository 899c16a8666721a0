// The server's per-connection pipeline on a channel the caller supplies (an
// `EmbeddedChannel` in the fuzz harness `fuzz-server-pipeline`), with no
// listener, no TLS and no worker threads. `package` access: for drivers inside
// this package (Sources/FuzzServerProperties), not a public API.
//
// What differs from `ClientIDServer.start`, and why:
// - no TLS context: STARTTLS is refused with `454` (it is not advertised), and an
//   implicit-TLS connection carries its bytes in the clear, so the session's
//   post-TLS rules (CLIENTID, AUTH) can be reached without a handshake;
// - the worker thread pool is never started, so every credential check and every
//   Maildir delivery fails at once, on the event loop (`454`, `451`): the
//   harness stays single-threaded and deterministic, and nothing is written to disk;
// - an in-memory device registry with a fixed HMAC key.

import ClientIDPolicy
import DeviceRegistrySQLite
import Logging
import NIOCore
import NIOPosix
import SMTPSession

package final class InProcessConnections: Sendable {
    let services: ServerServices

    /// `configuration.delivery` `.maildir(path)` creates that folder now (deliveries then fail,
    /// see above, but the message is gathered as in the server); `.sink` drops content.
    package init(configuration: ServerConfiguration, logger: Logger) throws {
        var policyConfiguration = PolicyConfiguration()
        configuration.applyDefaultLimits(to: &policyConfiguration)
        let policy = ClientIDPolicyEngine(
            configuration: policyConfiguration, registry: InMemoryDeviceRegistry(capacity: 1024),
            keys: HMACDeviceKeys(secret: Array(repeating: 0x5A, count: 32)), throttle: configuration.throttle)
        let maildir: Maildir?
        switch configuration.delivery {
        case .maildir(let path): maildir = try Maildir(path: path, hostname: configuration.session.hostname)
        case .sink: maildir = nil
        }
        services = ServerServices(
            configuration: configuration, users: configuration.users, policy: policy, maildir: maildir, tlsContext: nil,
            threadPool: NIOThreadPool(numberOfThreads: 1), logger: logger)
    }

    /// Adds the connection handler to `channel`'s pipeline; activate the channel afterwards.
    package func addHandler(to channel: any Channel, implicitTLS: Bool) throws -> InProcessConnection {
        let handler = ConnectionHandler(services: services, implicitTLS: implicitTLS)
        try channel.pipeline.syncOperations.addHandler(handler)
        return InProcessConnection(handler: handler)
    }
}

/// What a driver may observe of one connection's memory, to check it stays bounded.
package struct InProcessConnection {
    let handler: ConnectionHandler

    /// Input the session holds (unframed bytes, a partial line).
    package var sessionBufferedInput: Int { handler.session.bufferedInputCount }
    /// Actions waiting behind a `.delay`.
    package var pendingActions: Int { handler.pending.count }
    /// Content of the message being received that is held in memory (it is written
    /// to Maildir's tmp/ a chunk at a time).
    package var messageBytes: Int { handler.heldMessageBytes }
    package var isClosed: Bool { handler.session.isClosed }
}
