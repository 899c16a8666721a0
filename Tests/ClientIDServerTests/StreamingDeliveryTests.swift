// Messages are written to tmp/ as they arrive: a large message never sits whole in
// memory, one over the size limit stops at the limit and leaves nothing behind, and
// a message that cannot be written gets 451 with nothing in new/. IPv6 listeners.

import Foundation
import XCTest

@testable import ClientIDServer

final class StreamingDeliveryTests: XCTestCase {
    /// Sends messages of the given content sizes over one plaintext connection
    /// (no AUTH) and prints `R: code` for every reply and `SENT: octets` for every message.
    static let bulk = #"""
        import socket, sys
        host, port, sizes = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3].split(",")]
        s = socket.create_connection((host, port), timeout=60)
        f = s.makefile("rb")
        def reply():
            while True:
                line = f.readline()
                if not line:
                    print("CLOSED"); sys.exit(0)
                if line[3:4] != b"-":
                    break
            print("R:", line[:3].decode()); sys.stdout.flush()
        def cmd(text):
            s.sendall(text.encode() + b"\r\n"); reply()
        reply()
        cmd("EHLO client.example.net")
        for size in sizes:
            cmd("MAIL FROM:<sender@example.net>")
            cmd("RCPT TO:<receiver@example.com>")
            cmd("DATA")
            head = b"Subject: bulk\r\n\r\n"
            block = (b"x" * 998 + b"\r\n") * 64
            s.sendall(head); sent = len(head)
            while sent + len(block) <= size:
                s.sendall(block); sent += len(block)
            # Text lines stay within RFC 5321's 1,000 octets (the server drops longer ones).
            tail = b""
            while size - sent - len(tail) >= 1000:
                tail += b"y" * 998 + b"\r\n"
            if size - sent - len(tail) >= 2:
                tail += b"y" * (size - sent - len(tail) - 2) + b"\r\n"
            s.sendall(tail + b".\r\n"); sent += len(tail)
            print("SENT:", sent); sys.stdout.flush()
            reply()
        cmd("QUIT")
        """#

    private func send(_ sizes: [Int], host: String = "127.0.0.1", port: Int) async throws -> ProgramResult {
        let result = try await Programs.python(
            Self.bulk, [host, "\(port)", sizes.map(String.init).joined(separator: ",")], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        return result
    }

    private func codes(_ result: ProgramResult) -> [String] {
        lines(result.stdout, prefix: "R: ").map { String($0.dropFirst(3)) }
    }

    private func sent(_ result: ProgramResult) -> [Int] {
        lines(result.stdout, prefix: "SENT: ").compactMap { Int($0.dropFirst(6)) }
    }

    /// Bounded wait for tmp/ to empty (a discarded file is removed on the thread pool).
    private func waitForEmptyTmp(_ server: TestServer) async throws {
        for _ in 0..<100 where !server.messages("tmp").isEmpty { try await Task.sleep(for: .milliseconds(50)) }
    }

    private static func unauthenticated(_ configuration: inout ServerConfiguration) {
        configuration.session.requireAuthentication = false
    }

    /// A 20 MiB message lands whole in new/, and the connection never held more than a
    /// fixed amount of it in memory (the handler's own count, not a timing).
    func testLargeMessageIsStreamedWithBoundedMemory() async throws {
        let server = try await TestServer.start(self, tls: false, configure: Self.unauthenticated)
        let size = 20 * 1024 * 1024
        let result = try await send([size], port: server.plainPort)
        XCTAssertEqual(codes(result), ["220", "250", "250", "250", "354", "250", "221"], result.stdout)
        let octets = try XCTUnwrap(sent(result).first)
        XCTAssertEqual(octets, size)

        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(server.messages("tmp").isEmpty)
        let stored = try Data(contentsOf: try XCTUnwrap(files.first))
        let body = try XCTUnwrap(stored.range(of: Data("Subject: bulk\r\n".utf8)))
        XCTAssertTrue(stored[..<body.lowerBound].starts(with: Data("Received: ".utf8)))
        XCTAssertEqual(stored.count - body.lowerBound, octets, "the content as sent, after the Received header")
        XCTAssertEqual(stored.suffix(4), Data("yyy\r\n".utf8).suffix(4))

        // Content is handed to the disk in 64 KiB chunks and reading stops while two are
        // waiting: whatever the message size, the connection holds well under 1 MiB.
        let peak = server.server.statistics.peakMessageBytes
        XCTAssertGreaterThanOrEqual(peak, MessageSpool.chunkSize, "a chunk was gathered before writing")
        XCTAssertLessThan(peak, 1024 * 1024, "memory per connection is bounded, not the message size")
    }

    /// Over the size limit: 552, writing stops at the limit, the tmp/ file is removed,
    /// and the connection goes on with the next message.
    func testOversizedMessageIsRemovedAndRefused() async throws {
        let server = try await TestServer.start(self, tls: false) { configuration in
            Self.unauthenticated(&configuration)
            configuration.session.maxMessageSize = 1024 * 1024
        }
        let result = try await send([3 * 1024 * 1024, 1000], port: server.plainPort)
        XCTAssertEqual(
            codes(result), ["220", "250", "250", "250", "354", "552", "250", "250", "354", "250", "221"], result.stdout)
        try await waitForEmptyTmp(server)
        XCTAssertTrue(server.messages("tmp").isEmpty, "the oversized message's file is removed")
        XCTAssertEqual(server.messages().count, 1, "only the second message is stored")
        XCTAssertLessThan(server.server.statistics.peakMessageBytes, 1024 * 1024)
    }

    /// A message whose content is cut off by a closed connection leaves nothing in tmp/ or new/.
    func testMessageCutOffByTheClientLeavesNothing() async throws {
        let server = try await TestServer.start(self, tls: false, configure: Self.unauthenticated)
        let script = #"""
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
            f = s.makefile("rb")
            def reply():
                while True:
                    line = f.readline()
                    if not line or line[3:4] != b"-":
                        break
                print("R:", line[:3].decode()); sys.stdout.flush()
            reply()
            for c in ["EHLO client.example.net", "MAIL FROM:<a@example.net>", "RCPT TO:<b@example.com>", "DATA"]:
                s.sendall(c.encode() + b"\r\n"); reply()
            s.sendall((b"z" * 998 + b"\r\n") * 300)
            s.close()
            """#
        let result = try await Programs.python(script, ["\(server.plainPort)"])
        XCTAssertEqual(codes(result), ["220", "250", "250", "250", "354"], result.stderr + result.stdout)
        // The server sees the close; the file written so far goes away.
        for _ in 0..<100 where !(server.messages("tmp").isEmpty && server.server.services.tracker.openChannels.isEmpty) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await waitForEmptyTmp(server)
        XCTAssertTrue(server.messages("tmp").isEmpty)
        XCTAssertTrue(server.messages().isEmpty)
    }

    /// `--listen [::1]:PORT`: a client over IPv6 loopback delivers, and the trace
    /// header carries an IPv6 address literal (RFC 5321 §4.1.3).
    func testIPv6Listener() async throws {
        guard Self.hasIPv6Loopback() else {
            throw XCTSkip("no IPv6 loopback on this machine (cannot bind ::1): IPv6 listener not tested")
        }
        let server = try await TestServer.start(self, tls: false) { configuration in
            Self.unauthenticated(&configuration)
            configuration.listen = ServerConfiguration.Endpoint("[::1]:0")
        }
        XCTAssertEqual(server.server.plainAddress?.ipAddress, "::1")
        let result = try await send([2000], host: "::1", port: server.plainPort)
        XCTAssertEqual(codes(result), ["220", "250", "250", "250", "354", "250", "221"], result.stdout)
        let file = try XCTUnwrap(server.messages().first)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("Received: from client.example.net ([IPv6:::1])"), String(text.prefix(200)))
    }

    static func hasIPv6Loopback() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }
}
