// The server's logger with the connection's number and peer on every line, and
// the policy's audit events on their way to it.

import ClientIDPolicy
import Logging
import NIOCore

/// The metadata is made only for lines that are logged: setting it on a `Logger` per
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

    /// D19, D20: the engine decided what an event may show of the token. `user` events
    /// are the account holder's, never the operator's: `UserLog` writes them.
    func audit(_ event: AuditEvent) {
        switch event.destination {
        case .system: info("policy: \(event)")
        case .user: break
        case .debug: debug("clientid-debug: \(event)")
        case .alert: warning("alert: \(event)")
        }
    }
}
