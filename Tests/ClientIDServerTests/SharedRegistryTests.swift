// Two clientid-server processes sharing one PostgreSQL device registry:
// a device learned through one is known to the other, and a per-device connection
// limit holds across both (D21). Real processes, real smtplib clients.
//
// The server comes from CLIENTID_TEST_POSTGRES_URL (scripts/start-postgres.sh, .ci/run).
// Unset: skipped with the reason (a failure with CLIENTID_TEST_POSTGRES_REQUIRED=1, as
// in .ci/run); unreachable: the servers fail to start and the test fails with their
// message. Each test uses a schema of its own, dropped after.

import ClientIDServer
import DeviceRegistryPostgres
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import XCTest

final class SharedRegistryTests: XCTestCase {
    /// Skips with the reason; fails instead under CLIENTID_TEST_POSTGRES_REQUIRED=1 (.ci/run).
    private func unavailable(_ reason: String) -> XCTSkip {
        if ProcessInfo.processInfo.environment["CLIENTID_TEST_POSTGRES_REQUIRED"] == "1" {
            XCTFail("CLIENTID_TEST_POSTGRES_REQUIRED=1 but \(reason)")
        }
        return XCTSkip(reason)
    }

    /// Runs one statement on a connection of its own.
    private static func execute(_ sql: String, at location: PostgresLocation) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logger = Logger(label: "test")
        do {
            let c = try await PostgresConnection.connect(
                on: group.next(),
                configuration: .init(
                    host: location.host, port: location.port, username: location.user, password: location.password,
                    database: location.database, tls: .disable),
                id: 1, logger: logger
            ).get()
            _ = try? await c.query(PostgresQuery(unsafeSQL: sql), logger: logger).get()
            try? await c.close().get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    /// The test server's URL with a schema of this test's own, dropped when the test ends.
    private func privateSchema() async throws -> String {
        guard let url = ProcessInfo.processInfo.environment["CLIENTID_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw unavailable(
                "CLIENTID_TEST_POSTGRES_URL is not set: no PostgreSQL to share (scripts/start-postgres.sh starts one)")
        }
        let location = try PostgresLocation(url: url)
        let schema = "srv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        do {
            try await Self.execute("SELECT 1", at: location)
        } catch {
            throw unavailable("PostgreSQL at \(location.displayName) is unreachable: \(String(reflecting: error))")
        }
        addTeardownBlock { try? await Self.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE", at: location) }
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }

    /// A server folder whose device key (the HMAC key, D20; `keys/device-key`, as
    /// `ServerProcess` names it) is 32 bytes of `secret`.
    private func dataDirectory(secret: UInt8) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("keys"), withIntermediateDirectories: true)
        let key = root.appendingPathComponent("keys/device-key").path
        XCTAssertTrue(
            FileManager.default.createFile(
                atPath: key, contents: Data(repeating: secret, count: 32), attributes: [.posixPermissions: 0o600]))
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }

    /// A server on the shared registry (ServerProcess waits, bounded, for its STARTTLS port).
    private func startServer(registry: String, root: URL, policy: URL) async throws -> ServerProcess {
        try await ServerProcess(
            self,
            arguments: [
                "--user", "alice:secret", "--user", "bob:secret", "--registry", registry, "--policy", policy.path,
                "--max-connections-per-device", "1",
            ], root: root)
    }

    func testTwoServersShareDevicesAndPerDeviceLimits() async throws {
        let registry = try await privateSchema()
        let policy = FileManager.default.temporaryDirectory.appendingPathComponent("shared-policy-\(UUID().uuidString).yaml")
        try "version: 1\ndevices:\n  mode: learn\n  maxDevices: 1\n".write(to: policy, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: policy) }
        // Two servers, two data folders holding the same HMAC key: their device keys agree.
        let a = try await startServer(registry: registry, root: try dataDirectory(secret: 0x42), policy: policy)
        let b = try await startServer(registry: registry, root: try dataDirectory(secret: 0x42), policy: policy)

        let result = try await Programs.python(Self.client, ["\(a.port)", "\(b.port)"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            lines(result.stdout, prefix: ""),
            [
                "A-LEARNS 235",  // alice's first device, learned through A
                "B-KNOWS 235",  // B knows it: the registry is shared
                "B-NOT-LEARNED 535",  // and B knows alice has her one device
                "A-HOLDS 235",  // a session of the device stays open on A...
                "B-LIMIT 535",  // ...so B refuses the same device (limit 1), with the usual 535 (D18)
                "B-OTHER-DEVICE 235",  // another device (bob's) is not limited
                "B-FREED 235",  // A's session ended: B accepts the device again
            ], result.stdout + result.stderr)
        XCTAssertTrue(b.log.text.contains("device-connection-limit"), "B's audit names the rule: \(b.log.text)")
        XCTAssertFalse(a.log.text.contains("device-connection-limit"), a.log.text)
    }

    /// A server whose HMAC key differs from the registry's would never recognise a device: refused at start.
    func testServerWithAnotherSecretIsRefused() async throws {
        let registry = try await privateSchema()
        let policy = FileManager.default.temporaryDirectory.appendingPathComponent("shared-policy-\(UUID().uuidString).yaml")
        try "version: 1\n".write(to: policy, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: policy) }
        _ = try await startServer(registry: registry, root: try dataDirectory(secret: 0x42), policy: policy)
        try await assertRefusedAtStart(registry: registry, root: try dataDirectory(secret: 0x43))
    }

    /// Runs the server with the device key of `root` on `registry`: it must exit at once,
    /// saying the key differs.
    private func assertRefusedAtStart(registry: String, root: URL, line: UInt = #line) async throws {
        let result = try await Programs.run(
            try ServerProcess.executable(),
            [
                "--listen", "127.0.0.1:0", "--data-dir", root.appendingPathComponent("data").path,
                "--device-key", root.appendingPathComponent("keys/device-key").path,
                "--maildir", root.appendingPathComponent("maildir").path, "--registry", registry,
            ], timeout: 60)
        XCTAssertNotEqual(result.status, 0, line: line)
        XCTAssertTrue(result.stderr.contains("device-key secret differs"), result.stderr, line: line)
    }

    /// docs/server.md, Privacy, "Changing the device key": with the servers stopped, the
    /// documented statements clear the registry and its key check, and a server with a
    /// new key starts on it.
    func testChangingTheKeyAsDocumented() async throws {
        let registry = try await privateSchema()
        let location = try PostgresLocation(url: registry)
        let policy = FileManager.default.temporaryDirectory.appendingPathComponent("shared-policy-\(UUID().uuidString).yaml")
        try "version: 1\n".write(to: policy, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: policy) }
        let old = try await startServer(registry: registry, root: try dataDirectory(secret: 0x42), policy: policy)
        old.process.terminate()
        for _ in 0..<300 where old.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertFalse(old.process.isRunning)

        let root = try dataDirectory(secret: 0x43)
        try await assertRefusedAtStart(registry: registry, root: root)

        for table in ["device_sessions", "device_failures", "device_records"] {
            try await Self.execute("DELETE FROM \"\(location.schema)\".\(table)", at: location)
        }
        try await Self.execute(
            "DELETE FROM \"\(location.schema)\".registry_settings WHERE name = 'key_check'", at: location)
        let new = try await startServer(registry: registry, root: root, policy: policy)
        XCTAssertGreaterThan(new.port, 0)
    }

    /// Bad URLs and unreachable servers: a message and a non-zero exit, no trap.
    func testBadRegistryArgumentsAreClearErrors() async throws {
        let root = try dataDirectory(secret: 1)
        let common = [
            "--listen", "127.0.0.1:0", "--data-dir", root.appendingPathComponent("data").path, "--device-key",
            root.appendingPathComponent("keys/device-key").path, "--maildir", root.appendingPathComponent("maildir").path,
        ]
        let cases = [
            ("mysql://u:hunter2@h/db", "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH"),
            ("postgres://u:hunter2@127.0.0.1", "no database"),
            ("sqlite:", "needs a path"),
            // Port 1 on loopback: nothing listens.
            ("postgres://u:hunter2@127.0.0.1:1/db", "cannot connect to PostgreSQL at u@127.0.0.1:1/db"),
        ]
        for (url, expected) in cases {
            let result = try await Programs.run(try ServerProcess.executable(), common + ["--registry", url], timeout: 60)
            XCTAssertFalse(result.timedOut, url)
            XCTAssertNotEqual(result.status, 0, url)
            XCTAssertTrue(result.stderr.contains(expected), "\(url): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("hunter2"), "\(url): the password is not repeated")
            XCTAssertFalse(result.stderr.contains("Fatal error"), "\(url): no trap")
        }
    }

    /// `--registry sqlite:PATH`: the file is made there, not in the data folder.
    func testSQLiteRegistryPath() async throws {
        let root = try dataDirectory(secret: 2)
        let path = root.appendingPathComponent("elsewhere/devices.sqlite").path
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        let registry = try ServerConfiguration.Registry(argument: "sqlite:" + path)
        XCTAssertEqual(registry, .sqlite(path: path))
        let server = try await TestServer.start(self, tls: false) { $0.registry = registry }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: server.root.appendingPathComponent("data/devices.sqlite").path))
        let postgres = try ServerConfiguration.Registry(argument: "postgresql://u:p@db.example.net/mail?schema=a")
        guard case .postgres(let location) = postgres else { return XCTFail("\(postgres)") }
        XCTAssertEqual(location.schema, "a")
        XCTAssertEqual(location.port, 5432)
    }

    /// smtplib sessions against two servers. argv: port of A, port of B. Prints `STEP CODE`.
    static let client = #"""
        import base64, smtplib, ssl, sys, time
        port_a, port_b = int(sys.argv[1]), int(sys.argv[2])
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        D1 = "UUID 11111111-1111-4111-8111-111111111111"
        D2 = "UUID 22222222-2222-4222-8222-222222222222"

        def session(port, device, user):
            s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            s.ehlo("client.example.net")
            s.starttls(context=ctx)
            s.ehlo("client.example.net")
            assert s.docmd("CLIENTID", device)[0] == 250
            plain = base64.b64encode(b"\0" + user.encode() + b"\0secret").decode()
            return s, s.docmd("AUTH", "PLAIN " + plain)[0]

        def step(name, port, device, user="alice", want=None, tries=1):
            # Releases of finished sessions are asynchronous: a step that needs the
            # device free again retries (bounded) until it gets what it wants.
            for _ in range(tries):
                s, code = session(port, device, user)
                s.quit()
                if code == want:
                    break
                time.sleep(0.1)
            print(name, code, flush=True)

        step("A-LEARNS", port_a, D1)
        step("B-KNOWS", port_b, D1, want=235, tries=50)
        step("B-NOT-LEARNED", port_b, D2)
        for _ in range(50):
            held, code = session(port_a, D1, "alice")
            if code == 235:
                break
            held.quit()
            time.sleep(0.1)
        print("A-HOLDS", code, flush=True)
        step("B-LIMIT", port_b, D1)
        step("B-OTHER-DEVICE", port_b, D2, user="bob")
        held.quit()
        step("B-FREED", port_b, D1, want=235, tries=50)
        """#
}
