// What smtplib cannot send: pipelined plaintext across the TLS switch, bare-LF
// dot sequences, overlong lines. A raw Python socket client prints every reply.

import Foundation
import XCTest

final class RawClientTests: XCTestCase {
    private func raw(_ server: TestServer, _ steps: [[String]]) async throws -> ProgramResult {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let result = try await Programs.python(PythonClients.raw, [json, "\(server.plainPort)", "\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        return result
    }

    private func codes(_ result: ProgramResult) -> [String] {
        lines(result.stdout, prefix: "R: ").map { String($0.dropFirst(3)) }
    }

    private static let authPlain = "AUTH PLAIN " + Data("\0alice\0secret".utf8).base64EncodedString() + "\r\n"

    /// D13, CVE-2011-0411: a command pipelined after STARTTLS in the same segment is
    /// never executed, neither before nor after the handshake.
    func testPlaintextPipelinedAfterSTARTTLSIsNeverExecuted() async throws {
        let server = try await TestServer.start(self)
        let result = try await raw(
            server,
            [
                ["connect", "plain"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                // One segment: the second line must be discarded.
                ["send", "STARTTLS\r\nCLIENTID UUID injected\r\n"], ["reply"],
                ["tls"],
                ["quiet"],  // no reply to the injected line, inside TLS or out
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                // Had the injected CLIENTID run, this would be 503 (D9).
                ["send", "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n"], ["reply"],
                ["send", "NOOP\r\n"], ["reply"],
                ["quiet"],
                ["send", "QUIT\r\n"], ["reply"],
            ])
        XCTAssertEqual(codes(result), ["220", "250", "220", "250", "250", "250", "221"], result.stdout)
        XCTAssertTrue(result.stdout.contains("LEFTOVER: b''"), "nothing after the 220 before the handshake:\n\(result.stdout)")
        XCTAssertEqual(lines(result.stdout, prefix: "QUIET: ").count, 2, result.stdout)
        XCTAssertTrue(lines(result.stdout, prefix: "STRAY").isEmpty, result.stdout)
    }

    /// The same with AUTH and a whole transaction injected: nothing is authenticated or stored.
    func testPipelinedTransactionAfterSTARTTLSIsNeverExecuted() async throws {
        let server = try await TestServer.start(self)
        let injected =
            Self.authPlain
            + "MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: injected\r\n\r\nx\r\n.\r\n"
        let result = try await raw(
            server,
            [
                ["connect", "plain"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", "STARTTLS\r\n" + injected], ["reply"],
                ["tls"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", "MAIL FROM:<sender@example.net>\r\n"], ["reply"],  // 530: not authenticated
                ["send", "QUIT\r\n"], ["reply"],
            ])
        XCTAssertEqual(codes(result), ["220", "250", "220", "250", "530", "221"], result.stdout)
        XCTAssertTrue(server.messages().isEmpty)
    }

    /// Bare-LF (and bare-CR) dot sequences never end DATA (SMTP smuggling); only
    /// CRLF "." CRLF does, and the other bytes are stored as content.
    func testBareLineEndDotsNeverEndData() async throws {
        let server = try await TestServer.start(self)
        let body = "Subject: smuggling\r\n\r\nline1\n.\nMAIL FROM:<a@b>\r\nx\r.\r\ny\r\n.\nz\n.\r\nend\r\n.\r\n"
        let result = try await raw(
            server,
            [
                ["connect", "tls"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", Self.authPlain], ["reply"],
                ["send", "MAIL FROM:<sender@example.net>\r\n"], ["reply"],
                ["send", "RCPT TO:<receiver@example.com>\r\n"], ["reply"],
                ["send", "DATA\r\n"], ["reply"],
                ["send", body], ["reply"],
                ["quiet"],
                ["send", "QUIT\r\n"], ["reply"],
            ])
        XCTAssertEqual(codes(result), ["220", "250", "235", "250", "250", "354", "250", "221"], result.stdout)
        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        let stored = try Data(contentsOf: files[0])
        let content = String(decoding: stored, as: UTF8.self)
        // "." LF after CRLF is a line starting with "." and more: the dot goes (RFC 5321 §4.5.2).
        XCTAssertTrue(
            content.hasSuffix("Subject: smuggling\r\n\r\nline1\n.\nMAIL FROM:<a@b>\r\nx\r.\r\ny\r\n\nz\n.\r\nend\r\n"), content)
    }

    /// RFC 5321 §4.5.3.1.4, D12: an overlong line gets 500 and the session goes on.
    func testOverlongLineGets500AndSessionGoesOn() async throws {
        let server = try await TestServer.start(self)
        let result = try await raw(
            server,
            [
                ["connect", "plain"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", "NOOP " + String(repeating: "x", count: 600) + "\r\n"], ["reply"],
                ["send", "NOOP " + String(repeating: "y", count: 5000) + "\r\n"], ["reply"],
                ["send", "NOOP\r\n"], ["reply"],
                ["send", "STARTTLS\r\n"], ["reply"],
                ["tls"],
                ["send", "EHLO " + String(repeating: "z", count: 510) + "\r\n"], ["reply"],
                ["send", "EHLO client.example.net\r\n"], ["reply"],
                ["send", "QUIT\r\n"], ["reply"],
            ])
        XCTAssertEqual(codes(result), ["220", "250", "500", "500", "250", "220", "500", "250", "221"], result.stdout)
        XCTAssertTrue(result.stdout.contains("S: 500 5.5.6"), result.stdout)
    }

    /// Too many errors: 421 and close.
    func testErrorLimitCloses() async throws {
        let server = try await TestServer.start(self) { $0.session.maxErrors = 3 }
        let result = try await raw(
            server,
            [
                ["connect", "plain"],
                ["send", "BOGUS\r\n"], ["reply"],
                ["send", "BOGUS\r\n"], ["reply"],
                ["send", "BOGUS\r\n"], ["reply"],
                ["closed"],
            ])
        XCTAssertEqual(codes(result), ["220", "500", "500", "421"], result.stdout)
        XCTAssertTrue(result.stdout.contains("CLOSED"), result.stdout)
    }

    /// Idle timeout: 421 4.4.2 and close.
    func testIdleTimeout() async throws {
        let server = try await TestServer.start(self) { $0.idleTimeout = .milliseconds(300) }
        let result = try await raw(server, [["connect", "plain"], ["reply"], ["closed"]])
        XCTAssertEqual(codes(result), ["220", "421"], result.stdout)
        XCTAssertTrue(result.stdout.contains("S: 421 4.4.2"), result.stdout)
    }

    /// A TLS client that never finishes its handshake is dropped at the deadline.
    func testTLSHandshakeDeadline() async throws {
        let server = try await TestServer.start(self) { $0.tlsHandshakeTimeout = .milliseconds(300) }
        let result = try await raw(
            server,
            [
                ["connect", "plain"],
                ["send", "STARTTLS\r\n"], ["reply"],
                ["closed"],
            ])
        XCTAssertEqual(codes(result), ["220", "220"], result.stdout)
        XCTAssertTrue(result.stdout.contains("CLOSED"), result.stdout)
    }

    /// Connections per IP: the one over the limit gets 421 at connect.
    func testConnectionsPerIPLimit() async throws {
        let server = try await TestServer.start(self) { $0.maxConnectionsPerIP = 1 }
        let script = #"""
            import socket, sys
            port = int(sys.argv[1])
            a = socket.create_connection(("127.0.0.1", port), timeout=10)
            print(a.recv(1000).decode().strip(), flush=True)
            b = socket.create_connection(("127.0.0.1", port), timeout=10)
            print(b.recv(1000).decode().strip(), flush=True)
            print("EOF" if b.recv(1000) == b"" else "OPEN", flush=True)
            """#
        let result = try await Programs.python(script, ["\(server.plainPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = result.stdout.split(separator: "\n")
        XCTAssertEqual(out.count, 3, result.stdout)
        XCTAssertTrue(out[0].hasPrefix("220 "))
        XCTAssertTrue(out[1].hasPrefix("421 4.7.0 "))
        XCTAssertEqual(out[2], "EOF")
    }

    /// Shutdown: an idle client and one in the middle of DATA both get 421; nothing
    /// partial reaches new/ (nor tmp/).
    func testGracefulShutdownRefusesInFlightTransaction() async throws {
        let server = try await TestServer.start(self) {
            $0.shutdownGracePeriod = .milliseconds(500)
            $0.session.requireAuthentication = false  // plaintext transaction, to keep the script short
        }
        let script = #"""
            import base64, socket, ssl, sys, time
            port = int(sys.argv[1])
            def reply(sock, f):
                while True:
                    line = f.readline().decode().rstrip("\r\n")
                    if not line: return "closed"
                    if line[3:4] != "-": return line
            idle = socket.create_connection(("127.0.0.1", port), timeout=10)
            fi = idle.makefile("rb")
            print("idle", reply(idle, fi), flush=True)
            busy = socket.create_connection(("127.0.0.1", port), timeout=10)
            fb = busy.makefile("rb")
            reply(busy, fb)
            for line in ["EHLO x", "MAIL FROM:<a@example.net>", "RCPT TO:<b@example.com>", "DATA"]:
                busy.sendall((line + "\r\n").encode())
                print("busy", reply(busy, fb), flush=True)
            busy.sendall(b"Subject: partial\r\n\r\nhalf a message")
            print("READY", flush=True)
            sys.stdin.readline()
            print("idle", reply(idle, fi), flush=True)
            print("busy", reply(busy, fb), flush=True)
            """#
        async let run = Programs.python(script, ["\(server.plainPort)"])
        // The script waits on stdin, which `run` closes at once: give it time to get into DATA first.
        try await Task.sleep(for: .seconds(1))
        await server.server.shutdown()
        let result = try await run
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(out.contains { $0.hasPrefix("idle 421 4.3.2") }, result.stdout)
        XCTAssertTrue(out.contains { $0.hasPrefix("busy 354") }, result.stdout)
        XCTAssertTrue(out.last?.hasPrefix("busy 421 4.3.2") == true, result.stdout)
        XCTAssertTrue(server.messages().isEmpty)
        XCTAssertTrue(server.messages("tmp").isEmpty)
    }
}
