// Draft §9, D19, D20: a client's token may identify a person. With every
// combination of a type's eight draft §7 flags, a full draft §8.1 session (EHLO,
// STARTTLS, EHLO, CLIENTID, AUTH, MAIL/RCPT/DATA, QUIT) leaves no raw token in
// any log line (every level), audit event or file the server writes, unless the
// operator opted in (`privacy.logRawTokens`), and then exactly where the flags put
// it. `user` events go to the account's own file, never to the operator's log.
// No password reaches a log (docs/server.md, Privacy).

import ClientIDPolicy
import DeviceRegistrySQLite
import Foundation
import XCTest

@testable import ClientIDServer

final class PrivacyTests: XCTestCase {
    /// Draft §8.1 once per `TYPE TOKEN` pair, with a wrong password before the right one
    /// (so that refusals are logged too). argv: port, account, password, TYPE, TOKEN, ...
    /// Prints `TYPE` and every reply code.
    static let sessions = #"""
        import smtplib, ssl, sys
        port, account, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        pairs = sys.argv[4:]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for i in range(0, len(pairs), 2):
            kind, token = pairs[i], pairs[i + 1]
            s = smtplib.SMTP("127.0.0.1", port, timeout=20)
            codes = [s.ehlo("client.example.net")[0], s.starttls(context=ctx)[0], s.ehlo("client.example.net")[0]]
            codes.append(s.docmd("CLIENTID", kind + " " + token)[0])
            s.user, s.password = account, password + "-wrong"
            try:
                codes.append(s.auth("PLAIN", s.auth_plain)[0])
            except smtplib.SMTPAuthenticationError as e:
                codes.append(e.smtp_code)
            s.user, s.password = account, password
            codes.append(s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0])
            refused = s.sendmail("sender@example.net", ["receiver@example.com"],
                                 "From: sender@example.net\r\nTo: receiver@example.com\r\nSubject: " + kind
                                 + "\r\n\r\nHello from draft example 8.1\r\n")
            codes.append(len(refused))
            codes.append(s.quit()[0])
            print(kind, *codes, flush=True)
        """#

    struct Case {
        let type: String
        let flags: ClientIDTypeFlags
        let token: String
    }

    /// One type per flag combination (all 256), each with its own token.
    private static func cases() -> [Case] {
        let run = UUID().uuidString.prefix(8).lowercased()
        return (0..<256).map { n in
            let digits = String(format: "%02x", n)
            return Case(
                type: "F\(digits.uppercased())", flags: ClientIDTypeFlags(rawValue: UInt8(n)),
                token: "tok-\(digits)-\(run)")
        }
    }

    private static func names(_ flags: ClientIDTypeFlags) -> String {
        ClientIDTypeFlags.names.filter { flags.contains($0.1) }.map(\.0).joined(separator: ", ")
    }

    /// Every regular file under `root`, with its bytes.
    private static func files(under root: URL) -> [(path: String, bytes: Data)] {
        var found: [(String, Data)] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                let bytes = try? Data(contentsOf: url)
            else { continue }
            found.append((String(url.path.dropFirst(root.path.count)), bytes))
        }
        return found
    }

    private static func contains(_ data: Data, _ text: String) -> Bool {
        data.range(of: Data(text.utf8)) != nil
    }

    func testNoRawTokenAnywhereByDefaultForEveryFlagCombination() async throws {
        try await checkEveryFlagCombination(logRawTokens: false)
    }

    func testRawTokensOnlyWhereFlagsPutThemWhenOptedIn() async throws {
        try await checkEveryFlagCombination(logRawTokens: true)
    }

    private func checkEveryFlagCombination(logRawTokens: Bool) async throws {
        let cases = Self.cases()
        let password = "pw-\(UUID().uuidString.prefix(12))"
        var policy = "version: 1\ntypes:\n  default: [authentication]\n  known:\n"
        for c in cases { policy += "    \(c.type): [\(Self.names(c.flags))]\n" }
        // Learn mode, so that `device-learned` events are made too.
        policy += "devices:\n  mode: learn\n  maxDevices: 100000\nprivacy:\n  logRawTokens: \(logRawTokens)\n"
        let policyURL = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-\(UUID().uuidString).yaml")
        try policy.write(to: policyURL, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: policyURL) }

        let capture = LogCapture()
        let observed = ObservedEvents()
        let server = try await TestServer.start(self, tls: false, logger: capture.logger()) { configuration in
            configuration.policyFile = policyURL.path
            try? configuration.users.add(development: "carol:\(password)", iterations: 1_000)
            configuration.auditObserver = { observed.append($0.event) }
            // 256 wrong passwords from one address: neither locked out nor slowed down here.
            configuration.authThrottle.maxFailures = 0
            configuration.session.authFailureDelay = .milliseconds(1)
            configuration.authThrottle.maxDelay = .milliseconds(1)
        }
        let result = try await Programs.python(
            Self.sessions, ["\(server.plainPort)", "carol", password] + cases.flatMap { [$0.type, $0.token] }, timeout: 600)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n").map(String.init),
            cases.map { "\($0.type) 250 220 250 250 535 235 0 221" }, "every session as draft §8.1 (D17, D22)")
        await server.server.shutdown()  // every line logged; the files are read before the folder goes

        let log = capture.text
        let files = Self.files(under: server.root)
        let userLogPath = "/data/user-log/carol.log"
        let userLog = String(decoding: files.first { $0.path == userLogPath }?.bytes ?? Data(), as: UTF8.self)
        XCTAssertTrue(files.contains { $0.path.hasPrefix("/maildir/new/") }, "messages delivered: \(files.map(\.path))")
        let keys = HMACDeviceKeys(secret: Array(try Data(contentsOf: server.deviceKeyFile)))
        let events = observed.all

        var problems: [String] = []
        for c in cases {
            let ignored = c.flags.contains(.ignore)
            let fingerprint = keys.key(for: ClientIdentity(type: c.type, token: c.token)).fingerprint
            let name = "\(c.type) [\(Self.names(c.flags))]"
            // The raw token: in the operator's log only with system-log or debug, in the user
            // log only with user-log, and only when opted in; in no other file, ever.
            let inLog = logRawTokens && !ignored && !c.flags.isDisjoint(with: [.systemLog, .debug])
            let inUserLog = logRawTokens && !ignored && c.flags.contains(.userLog)
            if log.contains(c.token) != inLog { problems.append("\(name): token in the log: \(!inLog)") }
            let holding = files.filter { Self.contains($0.bytes, c.token) }.map(\.path)
            if holding != (inUserLog ? [userLogPath] : []) { problems.append("\(name): token in files \(holding)") }
            // The observer is given what the logs may show (ServerConfiguration.auditObserver).
            for event in events where event.deviceFingerprint == fingerprint {
                let flag: ClientIDTypeFlags? =
                    switch event.destination {
                    case .system: .systemLog
                    case .user: .userLog
                    case .debug: .debug
                    case .alert: nil  // never the token
                    }
                let expected = logRawTokens && !ignored && flag.map { c.flags.contains($0) } == true
                if event.token != (expected ? c.token : nil) { problems.append("\(name): observer \(event)") }
            }
            // The fingerprint stands for the device: in the log unless the type is ignored
            // (flag 1: no trace at all), in the user log with user-log.
            if log.contains("device=\(fingerprint)") == ignored { problems.append("\(name): fingerprint in the log: \(ignored)") }
            let userLines = userLog.split(separator: "\n").filter { $0.contains("device=\(fingerprint)") }
            if !ignored && c.flags.contains(.userLog) {
                if !(userLines.contains { $0.contains(" user auth-failed account=carol ") }
                    && userLines.contains { $0.contains(" user auth-succeeded account=carol ") })
                {
                    problems.append("\(name): user log lacks its AUTH events: \(userLines)")
                }
            } else if !userLines.isEmpty {
                problems.append("\(name): in the user log without user-log: \(userLines)")
            }
        }
        XCTAssertEqual(problems, [], log)

        // The user log never reaches the operator's log.
        XCTAssertFalse(log.contains(" user auth-") || log.contains(" user device-learned") || log.contains("user-log:"))
        XCTAssertEqual(permissions(server.root.appendingPathComponent("data/user-log").path), 0o700)
        XCTAssertEqual(permissions(server.root.appendingPathComponent("data/user-log/carol.log").path), 0o600)
        // Nothing logs credentials: not the passwords, not the AUTH exchanges that carry them.
        let b64 = { (text: String) in Data(text.utf8).base64EncodedString() }
        for secret in [password, "\(password)-wrong", b64(password), b64("\0carol\0\(password)-wrong")] {
            XCTAssertFalse(log.contains(secret), "credentials in the log: \(secret)")
            XCTAssertEqual(files.filter { Self.contains($0.bytes, secret) }.map(\.path), [], "credentials in a file")
        }
    }
}

extension PrivacyTests {
    /// STARTTLS, `CLIENTID UUID TOKEN` and AUTH PLAIN per `ACCOUNT PASSWORD TOKEN` triple.
    /// argv: port, then the triples. Prints `ACCOUNT CODE`.
    static let logins = #"""
        import smtplib, ssl, sys
        port, triples = int(sys.argv[1]), sys.argv[2:]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for i in range(0, len(triples), 3):
            account, password, token = triples[i:i + 3]
            s = smtplib.SMTP("127.0.0.1", port, timeout=20)
            s.ehlo("client.example.net")
            s.starttls(context=ctx)
            s.ehlo("client.example.net")
            s.docmd("CLIENTID", "UUID " + token)
            s.user, s.password = account, password
            try:
                code = s.auth("PLAIN", s.auth_plain)[0]
            except smtplib.SMTPAuthenticationError as e:
                code = e.smtp_code
            print(account, code, flush=True)
            s.quit()
        """#

    /// The user log: one file per existing account (its name made safe), 0600 in a 0700
    /// folder, bounded by rotation; a name nobody has gets no file.
    func testUserLogIsOneBoundedFilePerExistingAccount() async throws {
        let capture = LogCapture()
        let policy = FileManager.default.temporaryDirectory.appendingPathComponent("user-log-\(UUID().uuidString).yaml")
        try "types:\n  known:\n    UUID: [user-log, authentication]\n".write(to: policy, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: policy) }
        let server = try await TestServer.start(self, tls: false, logger: capture.logger()) { configuration in
            configuration.policyFile = policy.path
            configuration.userLogMaxBytes = 600
            try? configuration.users.add(development: "../team/bob:pw", iterations: 1_000)
        }
        let token = "user-log-\(UUID().uuidString)"
        var triples: [String] = []
        for _ in 0..<8 { triples += ["alice", "secret", token] }
        triples += ["mallory", "guess", token, "../team/bob", "pw", token]
        let result = try await Programs.python(Self.logins, ["\(server.plainPort)"] + triples)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n").map(String.init),
            Array(repeating: "alice 235", count: 8) + ["mallory 535", "../team/bob 235"])
        await server.server.shutdown()

        let folder = server.root.appendingPathComponent("data/user-log")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
            ["%2E.%2Fteam%2Fbob.log", "alice.log", "alice.log.1"], "no file for an account nobody has")
        let fingerprint = HMACDeviceKeys(secret: Array(try Data(contentsOf: server.deviceKeyFile)))
            .key(for: ClientIdentity(type: "UUID", token: token)).fingerprint
        var aliceLines = 0
        for name in ["alice.log", "alice.log.1", "%2E.%2Fteam%2Fbob.log"] {
            let path = folder.appendingPathComponent(name).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertLessThanOrEqual(text.utf8.count, 600, name)
            XCTAssertEqual(permissions(path), 0o600, name)
            XCTAssertFalse(text.contains(token), "no raw token without privacy.logRawTokens")
            for line in text.split(separator: "\n") {
                XCTAssertTrue(line.contains(" user auth-succeeded ") && line.contains("device=\(fingerprint)"), "\(line)")
                XCTAssertTrue(line.contains(name.hasPrefix("alice") ? "account=alice " : "account=../team/bob "), "\(line)")
            }
            if name.hasPrefix("alice") { aliceLines += text.split(separator: "\n").count }
        }
        XCTAssertGreaterThan(aliceLines, 1)
        XCTAssertLessThanOrEqual(aliceLines, 8, "the oldest went with the rotation")
        XCTAssertEqual(permissions(folder.path), 0o700)
        XCTAssertFalse(capture.text.contains(" user auth-"), "never the operator's log")
        XCTAssertEqual(UserLog.fileName(for: "alice@example.com"), "alice@example.com.log")
        XCTAssertEqual(UserLog.fileName(for: ".hidden/ü"), "%2Ehidden%2F%C3%BC.log")
        let long = UserLog.fileName(for: String(repeating: "/", count: 255))
        XCTAssertLessThanOrEqual(long.utf8.count, 255)
        XCTAssertNotEqual(long, UserLog.fileName(for: String(repeating: "/", count: 254)))
    }

    /// The executable with its default settings (default policy and log level): one draft
    /// §8.1 session leaves the token in no log line and no file, only its fingerprint.
    func testDefaultSettingsLeaveNoRawToken() async throws {
        let server = try await ServerProcess(self, arguments: ["--user", "alice:secret"])
        let result = try await Programs.python(PythonClients.example81, ["starttls", "\(server.port)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasSuffix("SENDMAIL {}\nQUIT 221\n"), result.stdout)
        server.process.terminate()
        for _ in 0..<300 where server.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .milliseconds(200))  // the last of standard error
        let token = "23bf83be-aad7-46aa-9e0f-39191ccf402f"  // PythonClients.example81's
        let fingerprint = HMACDeviceKeys(
            secret: Array(try Data(contentsOf: server.root.appendingPathComponent("keys/device-key")))
        ).key(for: ClientIdentity(type: "UUID", token: token)).fingerprint
        XCTAssertTrue(server.log.text.contains("device=\(fingerprint)"), server.log.text)
        XCTAssertFalse(server.log.text.contains(token), server.log.text)
        let files = Self.files(under: server.root)
        XCTAssertTrue(files.contains { $0.path.hasPrefix("/maildir/new/") }, "\(files.map(\.path))")
        XCTAssertEqual(files.filter { Self.contains($0.bytes, token) }.map(\.path), [])
    }
}

/// The events `ServerConfiguration.auditObserver` received.
final class ObservedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [AuditEvent] = []
    var all: [AuditEvent] { lock.withLock { events } }
    func append(_ event: AuditEvent) { lock.withLock { events.append(event) } }
}
