// The server's own pieces, without sockets.

import ClientIDPolicy
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import ClientIDServer
@testable import SMTPSession

final class PasswordTests: XCTestCase {
    func testHashRoundTripAndFormat() throws {
        let hash = PasswordHash(password: Array("correct horse".utf8), iterations: 1_000)
        let encoded = hash.description
        XCTAssertTrue(encoded.hasPrefix("$pbkdf2-sha256$i=1000$"), encoded)
        XCTAssertFalse(
            encoded.split(separator: "$").suffix(2).joined().contains("="), "base64 without padding, as in PHC strings")
        let decoded = try XCTUnwrap(PasswordHash(encoded: encoded))
        XCTAssertEqual(decoded, hash)
        XCTAssertTrue(decoded.matches(Array("correct horse".utf8)))
        XCTAssertFalse(decoded.matches(Array("correct horsf".utf8)))
        XCTAssertFalse(decoded.matches([]))
    }

    /// RFC 7914 §11
    /// PBKDF2-HMAC-SHA256 test ("passwd", "salt", c = 1, dkLen = 64: first 32 octets).
    func testKnownVector() {
        let key = PasswordHash.derive(Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        XCTAssertEqual(
            key.map { String(format: "%02x", $0) }.joined(),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    func testUsersFile() throws {
        var store = UserStore()
        let alice = try usersFileLine(name: "alice", password: Array("secret".utf8), iterations: 1_000)
        try store.add(fileText: "# accounts\n\n\(alice)\r\n", file: "users")
        XCTAssertTrue(store.verify(username: "alice", password: Array("secret".utf8)))
        XCTAssertFalse(store.verify(username: "alice", password: Array("Secret".utf8)))
        XCTAssertFalse(store.verify(username: "bob", password: Array("secret".utf8)))
        XCTAssertThrowsError(try store.add(fileText: alice, file: "users"), "twice")
        var other = UserStore()
        XCTAssertThrowsError(try other.add(fileText: "bob:plaintext\n", file: "users")) { error in
            XCTAssertEqual("\(error)", "users:1:5: expected NAME:$pbkdf2-sha256$i=N$SALT$HASH")
        }
        XCTAssertThrowsError(try other.add(development: "no-colon"))
        XCTAssertThrowsError(try usersFileLine(name: "a b", password: [0x41]))
        try other.add(development: "carol:pass:with:colons", iterations: 1_000)
        XCTAssertTrue(other.verify(username: "carol", password: Array("pass:with:colons".utf8)))
    }
}

final class ConfigurationTests: XCTestCase {
    func testEndpoints() {
        XCTAssertEqual(ServerConfiguration.Endpoint("127.0.0.1:2525"), .init(host: "127.0.0.1", port: 2525))
        XCTAssertEqual(ServerConfiguration.Endpoint("[::1]:465"), .init(host: "::1", port: 465))
        XCTAssertEqual(ServerConfiguration.Endpoint("[::1]:465")?.description, "[::1]:465")
        XCTAssertNil(ServerConfiguration.Endpoint("127.0.0.1"))
        XCTAssertNil(ServerConfiguration.Endpoint(":25"))
        XCTAssertNil(ServerConfiguration.Endpoint("host:70000"))
    }

    func testDefaultsMeetTheRFCs() throws {
        let configuration = ServerConfiguration()
        XCTAssertEqual(configuration.session.maxCommandLineLength, 512)
        XCTAssertGreaterThanOrEqual(configuration.session.maxRecipients, 100)
        XCTAssertGreaterThanOrEqual(configuration.idleTimeout, .seconds(300))
        XCTAssertNoThrow(try configuration.session.validate())
    }

    /// The peer's address is read from its `sockaddr`: the same as parsing its text, with
    /// IPv4-mapped IPv6 addresses taken as IPv4.
    func testAddressFromSocketAddressMatchesText() throws {
        let cases: [(socket: String, text: String)] = [
            ("127.0.0.1", "127.0.0.1"), ("192.0.2.255", "192.0.2.255"), ("0.0.0.0", "0.0.0.0"),
            ("::1", "::1"), ("2001:db8::8:800:200c:417a", "2001:db8::8:800:200c:417a"),
            ("::ffff:198.51.100.7", "198.51.100.7"), ("ffff::1", "ffff::1"),
        ]
        for (socket, text) in cases {
            let address = try SocketAddress(ipAddress: socket, port: 25)
            XCTAssertEqual(IPAddress(socketAddress: address), IPAddress(text), socket)
            XCTAssertNotNil(IPAddress(socketAddress: address), socket)
        }
    }

    /// Nagle is off on accepted connections, although the server no longer sets it on
    /// each: Linux copies TCP_NODELAY from the listening socket, where NIO sets it.
    func testAcceptedConnectionsHaveNagleOff() async throws {
        let server = try await TestServer.start(self, tls: false)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.plainPort).get()
        var accepted: [any Channel] = []
        for _ in 0..<100 where accepted.isEmpty {  // bounded: 2 s
            accepted = server.server.services.tracker.openChannels
            if accepted.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        let channel = try XCTUnwrap(accepted.first, "the connection was accepted")
        let noDelay = try await channel.getOption(.tcpOption(.tcp_nodelay)).get()
        XCTAssertNotEqual(noDelay, 0)
        try await client.close()
        try await group.shutdownGracefully()
    }

    /// Each event loop has its own listening socket on the one port (SO_REUSEPORT) and serves
    /// the connections that socket accepts: none is handed from one loop to another.
    func testEachLoopServesWhatItsListenerAccepts() async throws {
        let server = try await TestServer.start(self, tls: false) { $0.eventLoops = 3 }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clients: [any Channel] = []
        for _ in 0..<30 {
            clients.append(try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.plainPort).get())
        }
        var accepted: [any Channel] = []
        for _ in 0..<100 where accepted.count < 30 {  // bounded: 2 s
            accepted = server.server.services.tracker.openChannels
            if accepted.count < 30 { try await Task.sleep(for: .milliseconds(20)) }
        }
        XCTAssertEqual(accepted.count, 30)
        for channel in accepted {
            let listener = try XCTUnwrap(channel.parent)
            XCTAssertTrue(listener.eventLoop === channel.eventLoop, "accepted on one loop, served on another")
        }
        // The kernel spreads connections over the listeners (30 on one of 3: odds 3^-29).
        let loops = Set(accepted.map { ObjectIdentifier($0.eventLoop) })
        XCTAssertGreaterThan(loops.count, 1)
        for client in clients { try await client.close() }
        try await group.shutdownGracefully()
    }

    /// SO_REUSEPORT would let a second server on the same port start and take half the
    /// connections; the port is first bound without it, so the second server fails instead.
    func testSecondServerOnTheSamePortFailsToStart() async throws {
        let first = try await TestServer.start(self) { $0.eventLoops = 2 }
        for (plain, port) in [(true, first.plainPort), (false, first.tlsPort)] {
            do {
                let second = try await TestServer.start(self, tls: !plain) {
                    $0.eventLoops = 2
                    if plain {
                        $0.listen = .init(host: "127.0.0.1", port: port)
                    } else {
                        $0.listen = nil
                        $0.tlsListen = .init(host: "127.0.0.1", port: port)
                    }
                }
                await second.stop()
                XCTFail("a second server started on port \(port)")
            } catch {
                XCTAssertTrue("\(error)".contains("127.0.0.1:\(port): Address already in use"), "\(error)")
            }
        }
        // The first server still serves.
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: first.plainPort).get()
        try await client.close()
    }
}

final class MaildirTests: XCTestCase {
    func testDeliveryLandsInNewOnly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maildir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let maildir = try Maildir(path: root.path, hostname: "mx/1:a")
        let name = try maildir.deliver(
            header: Array("Received: x\r\n".utf8), content: Array("Subject: s\r\n\r\nbody\r\n".utf8), queueID: "Q1")
        XCTAssertTrue(name.hasSuffix("QQ1.mx\\0571\\072a"), name)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path + "/new"), [name])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path + "/tmp"), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path + "/cur"), [])
        XCTAssertEqual(
            try String(contentsOfFile: root.path + "/new/" + name, encoding: .utf8), "Received: x\r\nSubject: s\r\n\r\nbody\r\n")
    }

    func testReceivedHeader() {
        let envelope = Envelope(
            sender: "a@example.net", recipients: ["b@example.com"], body: nil, smtputf8: false, size: 10,
            authenticatedUser: "alice", clientIdentity: nil, clientDomain: "client.example.net", tls: true, chunked: false)
        let header = String(
            decoding: receivedHeader(
                envelope: envelope, remoteAddress: "192.0.2.1", hostname: "mx.example.com", queueID: "ABC",
                date: Date(timeIntervalSince1970: 1_739_442_030)), as: UTF8.self)
        XCTAssertEqual(
            header,
            """
            Received: from client.example.net ([192.0.2.1])\r
            \tby mx.example.com (clientid-server) with ESMTPSA id ABC\r
            \tfor <b@example.com>; Thu, 13 Feb 2025 10:20:30 +0000\r

            """)
        XCTAssertEqual(rfc5322Date(Date(timeIntervalSince1970: 0)), "Thu, 01 Jan 1970 00:00:00 +0000")
        let v6 = String(
            decoding: receivedHeader(envelope: envelope, remoteAddress: "2001:db8::1", hostname: "mx", queueID: "A"),
            as: UTF8.self)
        XCTAssertTrue(v6.hasPrefix("Received: from client.example.net ([IPv6:2001:db8::1])\r\n"), v6)
    }

    func testSelfSignedCertificate() throws {
        let identity = try ServerIdentity.load(.ephemeral, hostname: "server.example.com")
        XCTAssertEqual(identity.fingerprint.split(separator: ":").count, 32)
        XCTAssertNoThrow(try identity.makeTLSContext())
    }
}
