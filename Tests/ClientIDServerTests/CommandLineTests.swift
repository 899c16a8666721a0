// The clientid-server executable itself: hash-password, and a real process that
// serves and stops on SIGTERM.

import Foundation
import XCTest

@testable import ClientIDServer

final class CommandLineTests: XCTestCase {
    func testHashPasswordPrintsAUsersFileLine() async throws {
        let result = try await Programs.run(
            try ServerProcess.executable(), ["hash-password", "alice"], stdin: "s3cret pass\n", timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = result.stdout.trimmingCharacters(in: .newlines)
        XCTAssertTrue(line.hasPrefix("alice:$pbkdf2-sha256$i=600000$"), line)
        var users = UserStore()
        try users.add(fileText: line, file: "stdout")
        XCTAssertTrue(users.verify(username: "alice", password: Array("s3cret pass".utf8)))

        let weak = try await Programs.run(
            try ServerProcess.executable(), ["hash-password", "--iterations", "1000", "alice"], stdin: "x\n")
        XCTAssertNotEqual(weak.status, 0)
    }

    /// Starts the binary on a free port, talks to it, sends SIGTERM: it says so and exits 0.
    func testServesAndStopsOnSIGTERM() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.executable())
        process.arguments = [
            "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--user", "alice:secret",
            "--maildir", root.appendingPathComponent("maildir").path, "--data-dir", root.appendingPathComponent("data").path,
            "--hostname", "server.example.com",
        ]
        // No --device-key: the default, in the configuration folder (here a throwaway one).
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["XDG_CONFIG_HOME": root.appendingPathComponent("config").path]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = LogCapture()
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        addTeardownBlock { if process.isRunning { process.terminate() } }

        // The listening lines name the ports (bounded wait).
        func port(after marker: String) -> Int? {
            for line in log.text.split(separator: "\n") where line.contains(marker) {
                guard let range = line.range(of: "address=127.0.0.1:") else { continue }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            return nil
        }
        var plain: Int?, tls: Int?
        for _ in 0..<300 where plain == nil || tls == nil {
            try await Task.sleep(for: .milliseconds(100))
            plain = port(after: "listening (STARTTLS)")
            tls = port(after: "listening (implicit TLS)")
        }
        let plainPort = try XCTUnwrap(plain, log.text), tlsPort = try XCTUnwrap(tls, log.text)
        XCTAssertTrue(log.text.contains("generated an ephemeral self-signed certificate"), log.text)
        let key = root.appendingPathComponent("config/clientid-server/device-key").path
        XCTAssertEqual(permissions(key), 0o600)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: key)).count, 32)
        XCTAssertTrue(log.text.contains("device key created"), log.text)

        let result = try await Programs.python(PythonClients.example81, ["starttls", "\(plainPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasSuffix("SENDMAIL {}\nQUIT 221\n"), result.stdout)
        let implicit = try await Programs.python(PythonClients.example81, ["implicit", "\(tlsPort)"])
        XCTAssertEqual(implicit.status, 0, implicit.stderr)
        let delivered = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("maildir/new").path)
        XCTAssertEqual(delivered.count, 2)

        process.terminate()  // SIGTERM
        for _ in 0..<300 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertFalse(process.isRunning)
        XCTAssertEqual(process.terminationStatus, 0)
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertTrue(log.text.contains("signal SIGTERM received") && log.text.contains("stopped"), log.text)
    }
}
