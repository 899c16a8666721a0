// `postgres://user:password@host:port/database?schema=NAME&sslmode=disable|require`:
// where the shared registry lives. Parsed here so that a bad URL is a clear
// message at start (clientid-server --registry), never a failure at the first AUTH.

import ClientIDPolicy
import Foundation
import NIOSSL
import PostgresNIO

public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The tables live in this schema (created if missing): several registries can share one database.
    public var schema: String
    /// TLS to the server: off, or required with certificate verification.
    public var requireTLS: Bool

    public static let defaultSchema = "clientid"

    /// Parses a `postgres://` or `postgresql://` URL; the error says what is wrong and what is expected.
    public init(url text: String) throws(DeviceRegistryError) {
        let expected = "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME&sslmode=disable|require]"
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw DeviceRegistryError("not a PostgreSQL URL: \(Self.redacted(text)); \(expected)")
        }
        guard let host = url.host, !host.isEmpty else {
            throw DeviceRegistryError("no host in \(Self.redacted(text)); \(expected)")
        }
        guard let user = url.user, !user.isEmpty else {
            throw DeviceRegistryError("no user in \(Self.redacted(text)); \(expected)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw DeviceRegistryError("no database in \(Self.redacted(text)); \(expected)")
        }
        let port = url.port ?? 5432
        guard (1...65_535).contains(port) else { throw DeviceRegistryError("bad port \(port); \(expected)") }
        var schema = Self.defaultSchema
        var requireTLS = false
        for item in url.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("schema", let value?):
                // Interpolated into SQL as an identifier: lower-case letters, digits, underscores only.
                guard Self.isPlainIdentifier(value) else {
                    throw DeviceRegistryError(
                        "schema \"\(value)\": use 1-63 lower-case letters, digits and _, not starting with a digit")
                }
                schema = value
            case ("sslmode", "disable"): requireTLS = false
            case ("sslmode", "require"), ("sslmode", "verify-full"): requireTLS = true
            default:
                throw DeviceRegistryError("unknown URL parameter \(item.name)=\(item.value ?? ""); \(expected)")
            }
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.user = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.schema = schema
        self.requireTLS = requireTLS
    }

    static func isPlainIdentifier(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...63).contains(b.count), !(0x30...0x39).contains(b[0]) else { return false }
        return b.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    /// The URL without its password, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "(unparsable URL)"
    }

    /// `user@host:port/database (schema NAME)`: no password.
    public var displayName: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(user)@\(h):\(port)/\(database) (schema \(schema))"
    }

    var configuration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS =
                requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
            var c = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
            // An unreachable server must fail the start quickly, not after the 10 s default.
            c.options.connectTimeout = .seconds(5)
            return c
        }
    }
}
