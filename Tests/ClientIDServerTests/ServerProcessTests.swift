// The clientid-server binary as a process: SIGHUP reloads --users and --policy
// without dropping connections, and a failed write (file size limit) is a 451 with
// nothing in new/.

import Foundation
import XCTest

@testable import ClientIDServer

/// A clientid-server process on 127.0.0.1 with a free port, its log captured.
final class ServerProcess {
    let process: Process
    let log: LogCapture
    let root: URL
    private(set) var port = 0

    var maildir: URL { root.appendingPathComponent("maildir") }

    /// The product beside the test bundle (`swift build` builds it with the tests).
    static func executable() throws -> String {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("clientid-server").path }
        guard let path = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("clientid-server not built beside the tests (\(candidates[0])): run `swift build` first")
        }
        return path
    }

    /// `launcher` runs before the binary (e.g. `prlimit --fsize=N --`), which it must exec.
    /// `root` holds `maildir/`, `data/` and `keys/` (default: a new temporary folder); pass the same
    /// one to restart a server on the same Maildir and registry.
    init(_ test: XCTestCase, arguments: [String], launcher: [String] = [], root folder: URL? = nil) async throws {
        root =
            folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("clientid-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let binary = try Self.executable()
        let all =
            [
                "--listen", "127.0.0.1:0", "--maildir", root.appendingPathComponent("maildir").path,
                "--data-dir", root.appendingPathComponent("data").path,
                "--device-key", root.appendingPathComponent("keys/device-key").path, "--hostname", "server.example.com",
                "--auth-failure-delay", "0.05", "--log-level", "info",
            ] + arguments
        process = Process()
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = all
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [binary] + all
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = LogCapture()
        self.log = log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        let child = process, folder = root
        test.addTeardownBlock {
            if child.isRunning {
                child.terminate()
                child.waitUntilExit()
            }
            try? FileManager.default.removeItem(at: folder)
        }
        for _ in 0..<300 where port == 0 && process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            for line in log.text.split(separator: "\n") where line.contains("listening (STARTTLS)") {
                if let range = line.range(of: "address=127.0.0.1:") {
                    port = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                }
            }
        }
        guard port != 0 else { throw ServerError("the server did not start:\n\(log.text)") }
    }

    /// Lines of the log containing `text`.
    func count(_ text: String) -> Int { log.text.components(separatedBy: text).count - 1 }

    /// Bounded wait until `text` appears `times` times in the log.
    func waitForLog(_ text: String, times: Int = 1) async throws {
        for _ in 0..<200 where count(text) < times { try await Task.sleep(for: .milliseconds(50)) }
        guard count(text) >= times else { throw ServerError("no \"\(text)\" (×\(times)) in the log:\n\(log.text)") }
    }
}

/// A plaintext SMTP connection held open from the test (blocking, with timeouts).
final class HeldConnection {
    private let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ServerError("connect: \(errno)")
        }
    }

    deinit { close(fd) }

    /// The last line of the next reply ("" when the connection closed or timed out).
    func reply() -> String {
        while true {
            if let end = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[..<end], as: UTF8.self)
                buffered.removeFirst(end + 1)
                if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { return line }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return "" }
            buffered += chunk[..<n]
        }
    }

    func command(_ line: String) -> String {
        _ = Array((line + "\r\n").utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return reply()
    }
}

final class ServerProcessTests: XCTestCase {
    /// smtplib over STARTTLS: prints `AUTH <code>` for one login attempt.
    static let login = #"""
        import smtplib, ssl, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.ehlo(); s.starttls(context=ctx); s.ehlo()
        try:
            code, _ = s.login(user, password)
        except smtplib.SMTPAuthenticationError as e:
            code = e.smtp_code
        print("AUTH", code)
        s.quit()
        """#

    private func login(_ server: ServerProcess, _ user: String, _ password: String) async throws -> String {
        let result = try await Programs.python(Self.login, ["\(server.port)", user, password])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func write(_ text: String, to url: URL) throws {
        // Written whole then renamed, as an editor or a deployment would: a reload never
        // sees half a file.
        let temporary = url.appendingPathExtension("new")
        try Data(text.utf8).write(to: temporary)
        _ = rename(temporary.path, url.path)
    }

    func testSIGHUPReloadsUsersAndPolicyAndKeepsConnections() async throws {
        _ = try Programs.require("python3", debianPackage: "python3")
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: files) }
        let users = files.appendingPathComponent("users"), policy = files.appendingPathComponent("policy.yaml")
        let alice = try usersFileLine(name: "alice", password: Array("secret".utf8), iterations: 1_000)
        let bob = try usersFileLine(name: "bob", password: Array("hunter2".utf8), iterations: 1_000)
        try write("\(alice)\n", to: users)
        try write("# the default policy\n", to: policy)

        let server = try await ServerProcess(self, arguments: ["--users", users.path, "--policy", policy.path])
        let held = try HeldConnection(port: server.port)
        XCTAssertTrue(held.reply().hasPrefix("220"))
        XCTAssertTrue(held.command("EHLO client.example.net").hasPrefix("250"))

        let aliceBefore = try await login(server, "alice", "secret")
        let bobBefore = try await login(server, "bob", "hunter2")
        XCTAssertEqual(aliceBefore, "AUTH 235")
        XCTAssertEqual(bobBefore, "AUTH 535")

        // A new account appears.
        try write("\(alice)\n\(bob)\n", to: users)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.waitForLog("reloaded")
        let bobAdded = try await login(server, "bob", "hunter2")
        XCTAssertEqual(bobAdded, "AUTH 235")

        // A broken users file: the error names file:line:column, and the accounts stay.
        try write("\(alice)\nbob:plaintext\n", to: users)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.waitForLog("reload failed")
        XCTAssertTrue(server.log.text.contains("\(users.path):2:5: expected NAME:"), server.log.text)
        let bobKept = try await login(server, "bob", "hunter2")
        XCTAssertEqual(bobKept, "AUTH 235")

        // A broken policy file: file:line:column, and the old policy (and accounts) stay.
        try write("\(alice)\n\(bob)\n", to: users)
        try write("requireClientID:\n  enabled: [true\n", to: policy)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.waitForLog("reload failed", times: 2)
        XCTAssertNotNil(
            server.log.text.firstMatch(of: try Regex("\(NSRegularExpression.escapedPattern(for: policy.path)):[0-9]+:[0-9]+: ")),
            server.log.text)
        let aliceKept = try await login(server, "alice", "secret")
        XCTAssertEqual(aliceKept, "AUTH 235")

        // A new policy: AUTH without CLIENTID is refused from now on (§6.1 item 1).
        try write("requireClientID:\n  enabled: true\n", to: policy)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.waitForLog("reloaded", times: 2)
        let aliceRefused = try await login(server, "alice", "secret")
        XCTAssertEqual(aliceRefused, "AUTH 535")

        // The connection opened before all this is still served.
        XCTAssertTrue(held.command("NOOP").hasPrefix("250"), server.log.text)
        XCTAssertTrue(held.command("QUIT").hasPrefix("221"))
        XCTAssertTrue(server.process.isRunning)
    }

    /// A write that fails (here: the process's file size limit, EFBIG) answers 451,
    /// leaves nothing in new/ or tmp/, and the next message is stored.
    func testFailedWriteAnswers451AndStoresNothing() async throws {
        let prlimit = try Programs.require("prlimit", debianPackage: "util-linux")
        _ = try Programs.require("python3", debianPackage: "python3")
        let server = try await ServerProcess(
            self, arguments: ["--allow-unauthenticated"], launcher: [prlimit, "--fsize=1048576", "--"])
        let result = try await Programs.python(
            StreamingDeliveryTests.bulk, ["127.0.0.1", "\(server.port)", "\(3 * 1024 * 1024),1000"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let codes = lines(result.stdout, prefix: "R: ").map { String($0.dropFirst(3)) }
        XCTAssertEqual(codes, ["220", "250", "250", "250", "354", "451", "250", "250", "354", "250", "221"], result.stdout)
        XCTAssertTrue(server.log.text.contains("delivery failed"), server.log.text)
        func files(_ sub: String) -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: server.maildir.appendingPathComponent(sub).path)) ?? []
        }
        XCTAssertEqual(files("new").count, 1, "only the small message")
        XCTAssertEqual(files("tmp"), [], "the failed message's file is removed")
        XCTAssertTrue(server.process.isRunning, "EFBIG, not SIGXFSZ")
    }

    /// Started as an ordinary user, the server greets the connections it accepts. It once
    /// set `.socketOption(.tcp_nodelay)` on each, which is SOL_SOCKET/SO_DEBUG (TCP_NODELAY's
    /// number at the wrong level), and SO_DEBUG needs CAP_NET_ADMIN: as anyone but root
    /// every connection was closed before the greeting.
    func testUnprivilegedServerGreets() async throws {
        guard getuid() == 0 else { throw XCTSkip("needs root, to start the server as nobody") }
        let setpriv = try Programs.require("setpriv", debianPackage: "util-linux")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let server = try await ServerProcess(
            self, arguments: ["--allow-unauthenticated"],
            launcher: [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"], root: root)
        let connection = try HeldConnection(port: server.port)
        XCTAssertTrue(connection.reply().hasPrefix("220 "), server.log.text)
        XCTAssertTrue(connection.command("EHLO client.example.net").hasPrefix("250"), server.log.text)
    }
}
