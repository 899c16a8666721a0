// Starts a server in-process on 127.0.0.1 port 0 with throwaway directories, and
// runs real client programs against it, each with a time limit.

import ClientIDServer
import Foundation
import Logging
import NIOCore
import XCTest

/// A running server and its directories.
struct TestServer {
    let server: ClientIDServer
    let root: URL

    var plainPort: Int { server.plainAddress!.port! }
    var tlsPort: Int { server.tlsAddress!.port! }
    var maildir: URL { root.appendingPathComponent("maildir") }
    /// The device key (HMAC secret, D20), outside the data folder as in a real deployment.
    var deviceKeyFile: URL { root.appendingPathComponent("keys/device-key") }

    /// `alice:secret` with few PBKDF2 iterations (speed), a 50 ms 535 delay.
    /// Stopped when `test` ends.
    static func start(
        _ test: XCTestCase? = nil, tls: Bool = true, logger: Logger? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-server-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var configuration = ServerConfiguration()
        configuration.listen = .init(host: "127.0.0.1", port: 0)
        configuration.tlsListen = tls ? .init(host: "127.0.0.1", port: 0) : nil
        configuration.session.hostname = "server.example.com"
        configuration.session.authFailureDelay = .milliseconds(50)
        configuration.dataDirectory = root.appendingPathComponent("data").path
        configuration.deviceKeyFile = root.appendingPathComponent("keys/device-key").path
        configuration.delivery = .maildir(path: root.appendingPathComponent("maildir").path)
        configuration.shutdownGracePeriod = .seconds(2)
        try configuration.users.add(development: "alice:secret", iterations: 1_000)
        configure(&configuration)
        let logger =
            logger
            ?? {
                // Quiet unless SERVER_TEST_LOG names a level.
                var logger = Logger(label: "clientid-server-test")
                logger.logLevel =
                    ProcessInfo.processInfo.environment["SERVER_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
                return logger
            }()
        let started: ClientIDServer
        do {
            started = try await ClientIDServer.start(configuration, logger: logger)
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        let server = TestServer(server: started, root: root)
        test?.addTeardownBlock { await server.stop() }
        return server
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: root)
    }

    /// File names in Maildir's `sub` folder (new, tmp, cur).
    func messages(_ sub: String = "new") -> [URL] {
        let folder = maildir.appendingPathComponent(sub)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }
}

struct ProgramResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
}

enum Programs {
    /// The full path of `name`, or an XCTSkip naming the Debian package to install.
    static func require(_ name: String, debianPackage: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip(
            "\(name) not found: install the Debian package `\(debianPackage)` (apt-get install \(debianPackage)) to run this test"
        )
    }

    /// Runs a program with a time limit; it is killed when the limit passes.
    static func run(_ path: String, _ arguments: [String], stdin: String = "", timeout: TimeInterval = 60) async throws
        -> ProgramResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // Read both pipes while the program runs, so that a full pipe cannot block it.
        let stdoutData = Box(), stderrData = Box()
        let readers = DispatchGroup()
        for (pipe, box) in [(output, stdoutData), (errors, stderrData)] {
            readers.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                readers.leave()
            }
        }
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
        let timedOut = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                if finished.wait(timeout: .now() + timeout) == .timedOut {
                    process.terminate()
                    if finished.wait(timeout: .now() + 5) == .timedOut {
                        kill(process.processIdentifier, SIGKILL)
                        finished.wait()
                    }
                    continuation.resume(returning: true)
                } else {
                    continuation.resume(returning: false)
                }
            }
        }
        await withCheckedContinuation { continuation in
            readers.notify(queue: .global()) { continuation.resume() }
        }
        return ProgramResult(
            status: process.terminationStatus, stdout: String(decoding: stdoutData.data, as: UTF8.self),
            stderr: String(decoding: stderrData.data, as: UTF8.self), timedOut: timedOut)
    }

    /// Runs a Python 3 script (`-c`) with arguments; skips when python3 is missing.
    static func python(_ script: String, _ arguments: [String], timeout: TimeInterval = 60) async throws -> ProgramResult {
        let python = try require("python3", debianPackage: "python3")
        return try await run(python, ["-c", script] + arguments, timeout: timeout)
    }
}

private final class Box: @unchecked Sendable {
    var data = Data()
}

/// The lines of a client transcript that start with `prefix`.
func lines(_ text: String, prefix: String) -> [String] {
    text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
}
