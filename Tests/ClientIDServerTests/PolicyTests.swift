// The policy engine seen through the server: tokens in logs only as the privacy
// setting and the type's flags allow (D19, D20); per-device limits refused at AUTH
// like a wrong password (D18, D21).

import Foundation
import Logging
import XCTest

@testable import ClientIDServer

/// Keeps every log line, with its metadata, for assertions.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    func logger() -> Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                "\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            )
        }
    }
}

final class PolicyTests: XCTestCase {
    private func policyFile(_ yaml: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// D19, D20: the token reaches the log only with `privacy.logRawTokens` and `system-log`
    /// (PrivacyTests tries every flag); the type and the device fingerprint always do.
    func testTokenLoggedOnlyWhenFlagsAllow() async throws {
        let token = "23bf83be-aad7-46aa-9e0f-39191ccf402f"
        for (flags, optIn, logged) in [
            ("[authentication]", true, false), ("[system-log, authentication]", false, false),
            ("[system-log, authentication]", true, true),
        ] {
            let capture = LogCapture()
            let policy = try policyFile("types:\n  known:\n    UUID: \(flags)\nprivacy:\n  logRawTokens: \(optIn)\n")
            let server = try await TestServer.start(self, logger: capture.logger()) { $0.policyFile = policy }
            let result = try await Programs.python(PythonClients.example81, ["implicit", "\(server.tlsPort)"])
            XCTAssertEqual(result.status, 0, result.stderr)
            await server.stop()
            let log = capture.text
            XCTAssertTrue(log.contains("client-identified") && log.contains("type=UUID") && log.contains("device="), log)
            XCTAssertEqual(log.contains(token), logged, "flags \(flags), logRawTokens \(optIn):\n\(log)")
        }
    }

    /// D21: per-device connection limit, on top of the per-IP one; the refusal at AUTH
    /// is the same 535 5.7.8 as a wrong password (D18). Only authenticated sessions
    /// hold a device: a CLIENTID alone (anyone can claim a token) takes no place.
    func testPerDeviceConnectionLimitRefusedAtAuth() async throws {
        let server = try await TestServer.start(self) { $0.maxConnectionsPerDevice = 1 }
        let script = #"""
            import smtplib, ssl, sys, time
            port = int(sys.argv[1])
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            def connect(token):
                s = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=ctx)
                s.ehlo("client.example.net")
                print("CLIENTID", s.docmd("CLIENTID", "UUID " + token)[0], flush=True)
                return s
            def auth(name, s):
                try:
                    print(name, s.login("alice", "secret")[0], flush=True)
                except smtplib.SMTPAuthenticationError as e:
                    print(name, e.smtp_code, e.smtp_error.decode(), flush=True)
            a = connect("device-1")
            b = connect("device-1")
            c = connect("device-2")
            auth("FIRST", a)
            auth("SECOND-SAME-DEVICE", b)
            auth("OTHER-DEVICE", c)
            a.quit()
            time.sleep(0.3)  # the server notices the close
            auth("SECOND-AFTER-FIRST-LEFT", b)
            """#
        let result = try await Programs.python(script, ["\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n"),
            [
                "CLIENTID 250", "CLIENTID 250", "CLIENTID 250",  // D17: never refused at CLIENTID
                "FIRST 235",
                "SECOND-SAME-DEVICE 535 5.7.8 Authentication credentials invalid",
                "OTHER-DEVICE 235",
                "SECOND-AFTER-FIRST-LEFT 235",
            ])
    }
}
