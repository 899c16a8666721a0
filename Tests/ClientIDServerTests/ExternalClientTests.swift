// swaks (a full submission over STARTTLS) and openssl s_client (the handshakes).

import Foundation
import XCTest

final class SwaksTests: XCTestCase {
    private func swaks() throws -> String {
        let path = try Programs.require("swaks", debianPackage: "swaks")
        // swaks does TLS only with Net::SSLeay.
        let perl = try Programs.require("perl", debianPackage: "perl")
        let check = Process()
        check.executableURL = URL(fileURLWithPath: perl)
        check.arguments = ["-MNet::SSLeay", "-e", "1"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        if check.terminationStatus != 0 {
            throw XCTSkip("swaks cannot do TLS: install the Debian package `libnet-ssleay-perl`")
        }
        return path
    }

    func testSubmissionOverSTARTTLS() async throws {
        let swaks = try swaks()
        let server = try await TestServer.start(self)
        let result = try await Programs.run(
            swaks,
            [
                "--server", "127.0.0.1", "--port", "\(server.plainPort)", "--tls", "--ehlo", "client.example.net",
                "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "secret",
                "--from", "alice@example.net", "--to", "bob@example.com", "--header", "Subject: swaks over STARTTLS",
                "--body", "Sent by swaks.", "--timeout", "10",
            ], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("<-  220 2.0.0 Ready to start TLS"), result.stdout)
        XCTAssertTrue(result.stdout.contains("<~  250-CLIENTID") || result.stdout.contains("<~  250 CLIENTID"), result.stdout)
        XCTAssertTrue(result.stdout.contains("<~  235 2.7.0"), result.stdout)
        XCTAssertTrue(result.stdout.contains("<~  250 2.0.0 OK queued as "), result.stdout)
        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        let message = try String(contentsOf: files[0], encoding: .utf8)
        XCTAssertTrue(message.contains("with ESMTPSA id "), message)
        XCTAssertTrue(message.contains("Subject: swaks over STARTTLS"), message)
    }

    /// swaks over implicit TLS (`--tlsc`), and a wrong password.
    func testImplicitTLSAndWrongPassword() async throws {
        let swaks = try swaks()
        let server = try await TestServer.start(self)
        let result = try await Programs.run(
            swaks,
            [
                "--server", "127.0.0.1", "--port", "\(server.tlsPort)", "--tlsc",
                "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "wrong",
                "--from", "alice@example.net", "--to", "bob@example.com", "--timeout", "10",
            ], timeout: 60)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("<~* 535 5.7.8 Authentication credentials invalid"), result.stdout)
        XCTAssertTrue(server.messages().isEmpty)
    }
}

final class OpenSSLTests: XCTestCase {
    /// `openssl s_client -starttls smtp` sends its own EHLO and STARTTLS; what we type
    /// then runs inside TLS.
    func testSTARTTLSHandshake() async throws {
        let openssl = try Programs.require("openssl", debianPackage: "openssl")
        let server = try await TestServer.start(self)
        // One line at a time: after STARTTLS no PIPELINING has been offered until the new
        // EHLO is answered, and the server refuses input that runs ahead (RFC 2920 §3.1).
        let lines =
            "printf 'EHLO client.example.net\\n'; sleep 0.7; printf 'CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\\n'; sleep 0.3; printf 'QUIT\\n'"
        let result = try await Programs.run(
            "/bin/sh",
            [
                "-c",
                "(\(lines)) | \(openssl) s_client -starttls smtp -connect 127.0.0.1:\(server.plainPort) -servername localhost -crlf -ign_eof",
            ], timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("250-CLIENTID") || result.stdout.contains("250 CLIENTID"), result.stdout)
        XCTAssertTrue(result.stdout.contains("250 2.0.0 OK"), result.stdout)
        XCTAssertTrue(result.stdout.contains("221 2.0.0"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Protocol  : TLSv1.3") || result.stdout.contains("New, TLSv1.3"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Server public key is 256 bit"), result.stdout)
    }

    /// Implicit TLS: the greeting comes inside TLS, and the certificate is the one logged.
    func testImplicitTLSHandshakeAndFingerprint() async throws {
        let openssl = try Programs.require("openssl", debianPackage: "openssl")
        let server = try await TestServer.start(self)
        let result = try await Programs.run(
            openssl,
            [
                "s_client", "-connect", "127.0.0.1:\(server.tlsPort)", "-servername", "localhost", "-crlf", "-ign_eof",
            ], stdin: "QUIT\n", timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("220 server.example.com ESMTP ready"), result.stdout)
        XCTAssertTrue(result.stdout.contains("221 2.0.0"), result.stdout)
        // The certificate's fingerprint, computed by openssl, is the one the server logs.
        guard let begin = result.stdout.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = result.stdout.range(of: "-----END CERTIFICATE-----")
        else { return XCTFail("no certificate in:\n\(result.stdout)") }
        let pem = String(result.stdout[begin.lowerBound..<end.upperBound]) + "\n"
        let fingerprint = try await Programs.run(openssl, ["x509", "-noout", "-fingerprint", "-sha256"], stdin: pem)
        XCTAssertEqual(
            fingerprint.stdout.trimmingCharacters(in: .whitespacesAndNewlines).uppercased(),
            "SHA256 FINGERPRINT=\(server.server.certificateFingerprint)")
    }

    /// TLS 1.1 and older are refused (RFC 8996).
    func testOldTLSRefused() async throws {
        let openssl = try Programs.require("openssl", debianPackage: "openssl")
        let server = try await TestServer.start(self)
        let result = try await Programs.run(
            openssl,
            [
                "s_client", "-connect", "127.0.0.1:\(server.tlsPort)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
            ], stdin: "", timeout: 30)
        XCTAssertNotEqual(result.status, 0, result.stdout)
        // The server's alert, not a refusal by openssl itself.
        XCTAssertTrue(result.stderr.contains("alert protocol version"), result.stderr)
    }

    /// TLS 1.2 is still accepted (RFC 8314 §4.1).
    func testTLS12Accepted() async throws {
        let openssl = try Programs.require("openssl", debianPackage: "openssl")
        let server = try await TestServer.start(self)
        let result = try await Programs.run(
            openssl,
            [
                "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(server.plainPort)", "-tls1_2", "-crlf", "-ign_eof",
            ], stdin: "QUIT\n", timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("New, TLSv1.2, Cipher is ECDHE-"), result.stdout)
        XCTAssertTrue(result.stdout.contains("221 2.0.0"), result.stdout)
    }
}
