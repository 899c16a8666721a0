// Faults with the real executable: SIGKILL and SIGTERM while many deliveries are in
// flight. After either, every message answered `250` is in new/ complete, and no file
// in new/ is partial (Maildir: tmp/, fsync, rename, fsync of new/, then `250`).

import Foundation
import XCTest

final class HardeningCrashTests: XCTestCase {
    /// The binary on `root` (restarts reuse it), unauthenticated, 200 connections per IP.
    private func launch(_ root: URL, extra: [String] = []) async throws -> ServerProcess {
        try await ServerProcess(
            self, arguments: ["--allow-unauthenticated", "--max-connections-per-ip", "200"] + extra, root: root)
    }

    /// 100 clients at once, each sending its message in slow pieces; once `after` of them
    /// have their `250`, the script sends `signal` to the server. Prints `i code queue-id`.
    private static let flood = #"""
        import os, signal, socket, sys, threading, time
        port, pid, sig, after = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        lock = threading.Lock()
        done = []
        fired = threading.Event()
        def body(i):
            return (b"Subject: message %d\r\nX-Seq: %d\r\n\r\n" % (i, i)) + b"".join(
                b"line %d of message %d %s\r\n" % (n, i, b"x" * 60) for n in range(300)) + b"END %d\r\n" % i
        def client(i):
            result = "%d closed -" % i
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                f = s.makefile("rb")
                def reply():
                    while True:
                        line = f.readline().decode()
                        if not line: raise ConnectionError("closed")
                        if line[3:4] != "-": return line.strip()
                reply()
                for line in ["EHLO c%d.example.net" % i, "MAIL FROM:<a%d@example.net>" % i, "RCPT TO:<b@example.com>", "DATA"]:
                    s.sendall((line + "\r\n").encode()); reply()
                data = body(i) + b".\r\n"
                # In pieces, so that many clients are inside DATA when the signal comes.
                for k in range(0, len(data), 4096):
                    s.sendall(data[k:k + 4096]); time.sleep(0.01)
                r = reply()
                result = "%d %s %s" % (i, r[:3], r.split()[-1])
            except (OSError, ConnectionError) as e:
                pass
            with lock:
                done.append(result)
                if result.split()[1] == "250" and len([d for d in done if d.split()[1] == "250"]) >= after and not fired.is_set():
                    fired.set()
                    os.kill(pid, sig)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
        for t in threads: t.start(); time.sleep(0.005)
        for t in threads: t.join()
        print("\n".join(sorted(done)))
        print("fired", fired.is_set())
        """#

    private static func expectedBody(_ i: Int) -> String {
        "Subject: message \(i)\r\nX-Seq: \(i)\r\n\r\n"
            + (0..<300).map { "line \($0) of message \(i) \(String(repeating: "x", count: 60))\r\n" }.joined() + "END \(i)\r\n"
    }

    /// Checks new/ against the `250` answers; returns how many were acknowledged.
    private func checkMaildir(_ root: URL, _ output: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let new = root.appendingPathComponent("maildir/new")
        let names = try FileManager.default.contentsOfDirectory(atPath: new.path)
        var acknowledged = 0
        for entry in output.split(separator: "\n") {
            let parts = entry.split(separator: " ")
            guard parts.count == 3, parts[1] == "250", let i = Int(parts[0]) else { continue }
            acknowledged += 1
            let id = String(parts[2])
            let matching = names.filter { $0.contains("Q\(id).") }
            XCTAssertEqual(matching.count, 1, "message \(i) (\(id)) answered 250 but not in new/", file: file, line: line)
            if let name = matching.first {
                let text = try String(contentsOf: new.appendingPathComponent(name), encoding: .utf8)
                XCTAssertTrue(text.hasSuffix(Self.expectedBody(i)), "message \(i) incomplete", file: file, line: line)
            }
        }
        // Nothing partial: every file in new/ is one whole message.
        for name in names {
            let text = try String(contentsOf: new.appendingPathComponent(name), encoding: .utf8)
            let seq = text.range(of: "X-Seq: ").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
            let i = try XCTUnwrap(seq, "no X-Seq in \(name)", file: file, line: line)
            XCTAssertTrue(text.hasSuffix(Self.expectedBody(i)), "partial file \(name) in new/", file: file, line: line)
        }
        return acknowledged
    }

    /// SIGKILL with 100 deliveries in flight, then a restart on the same Maildir.
    func testSIGKILLDuringDeliveries() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let server = try await launch(root)
        let result = try await Programs.python(
            Self.flood, ["\(server.port)", "\(server.process.processIdentifier)", "\(SIGKILL)", "20"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("fired True"), result.stdout)
        for _ in 0..<100 where server.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertFalse(server.process.isRunning)
        let acknowledged = try checkMaildir(root, result.stdout)
        XCTAssertGreaterThanOrEqual(acknowledged, 20, result.stdout)
        XCTAssertLessThan(acknowledged, 100, "the kill came with deliveries in flight:\n\(result.stdout)")

        // After a restart: the same holds, and the server delivers again.
        let again = try await launch(root)
        let one = try await Programs.python(
            Self.flood.replacingOccurrences(of: "range(100)", with: "range(1)"),
            ["\(again.port)", "\(again.process.processIdentifier)", "0", "1000"], timeout: 60)
        XCTAssertTrue(one.stdout.hasPrefix("0 250 "), one.stdout + one.stderr)
        _ = try checkMaildir(root, result.stdout)
        _ = try checkMaildir(root, one.stdout)
        kill(again.process.processIdentifier, SIGKILL)
    }

    /// SIGTERM with 100 deliveries in flight: the process stops by itself (grace 1 s), the
    /// clients still inside DATA get `421`, and every `250` is stored whole.
    func testSIGTERMDuringDeliveries() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-term-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let server = try await launch(root, extra: ["--shutdown-grace", "1"])
        let result = try await Programs.python(
            Self.flood, ["\(server.port)", "\(server.process.processIdentifier)", "\(SIGTERM)", "20"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("fired True"), result.stdout)
        for _ in 0..<200 where server.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertFalse(server.process.isRunning)
        XCTAssertEqual(server.process.terminationStatus, 0)
        let acknowledged = try checkMaildir(root, result.stdout)
        XCTAssertGreaterThanOrEqual(acknowledged, 20, result.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("maildir/tmp").path), [])
    }
}
