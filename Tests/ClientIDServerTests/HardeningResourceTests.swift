// Hostile input, part 3: resource bounds and faults: junk commands,
// per-command deadline, minimum data rate, slow clients, vanishing clients, a
// Maildir that cannot be written, SIGTERM and SIGKILL with deliveries in flight.

import Foundation
import XCTest

final class HardeningResourceTests: XCTestCase {
    /// Postfix `smtpd_junk_command_limit`: NOOP, RSET, VRFY and HELP past the limit count
    /// as errors, and the error limit then closes with `421`.
    func testJunkCommandLimit() async throws {
        let server = try await TestServer.start(self) {
            $0.session.maxJunkCommands = 5
            $0.session.maxErrors = 3
        }
        let junk = ["NOOP", "RSET", "VRFY alice", "HELP", "NOOP", "NOOP", "RSET", "NOOP"]
        let t = try await Hostile.run(server, Hostile.greeted + junk.flatMap { Hostile.say($0) } + [["closed"]])
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "252", "214", "250", "250", "250", "421"], t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// Slowloris: a command line dribbled one byte every 150 ms never completes within
    /// the per-command deadline: `421 4.4.2` and close, although every byte resets the idle timer.
    func testPerCommandDeadline() async throws {
        let server = try await TestServer.start(self) {
            $0.commandTimeout = .milliseconds(700)
            $0.session.requireAuthentication = false
        }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [["trickle", "MAIL FROM:<slow@example.net>\r\n", 0.15], ["reply"], ["closed"]])
        XCTAssertEqual(t.codes, ["220", "250", "421"], t.stdout)
        XCTAssertTrue(t.final(2).hasPrefix("421 4.4.2 "), t.stdout)
        XCTAssertTrue(t.closed, t.stdout)
        server.assertNothingStored()
    }

    /// Message content at 10 octets a second against a 1,000 octets a second minimum
    /// (after a 300 ms grace): `421 4.4.2`, the partial message dropped.
    func testMinimumDataRate() async throws {
        let server = try await TestServer.start(self) {
            $0.minimumDataRate = 1_000
            $0.minimumDataRateGrace = .milliseconds(300)
            $0.session.requireAuthentication = false
        }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>")
                + Hostile.say("DATA") + [["trickle", "Subject: slow\r\n\r\nbody", 0.1], ["reply"], ["closed"]])
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "421"], t.stdout)
        XCTAssertTrue(t.final(5).hasPrefix("421 4.4.2 "), t.stdout)
        server.assertNothingStored()
    }

    /// 40 clients dribbling a command one byte every 200 ms take every connection slot
    /// (`maxConnections` 40): a well-behaved client is refused with `421` at first, but the
    /// per-command deadline frees the slots, and it gets in and submits its message.
    func testSlowClientsDoNotStarveFastOnes() async throws {
        let server = try await TestServer.start(self) {
            $0.session.requireAuthentication = false
            $0.maxConnections = 40
            $0.commandTimeout = .seconds(1)
        }
        let script = #"""
            import socket, sys, threading, time
            port = int(sys.argv[1])
            results = []
            lock = threading.Lock()
            ready = threading.Barrier(41)
            def slow(i):
                s = socket.create_connection(("127.0.0.1", port), timeout=20)
                f = s.makefile("rb")
                f.readline()
                ready.wait()
                line = b"EHLO slow-%d.example.net" % i
                reply = b""
                for n in range(100):  # at most 20 s; the deadline comes long before
                    try:
                        s.sendall(line[n % len(line):n % len(line) + 1])
                    except OSError:
                        break
                    time.sleep(0.2)
                    s.setblocking(False)
                    try:
                        reply = s.recv(1000)
                    except BlockingIOError:
                        pass
                    except OSError:
                        break
                    s.setblocking(True)
                    if reply:
                        break
                with lock:
                    results.append(reply[:9].decode())
            threads = [threading.Thread(target=slow, args=(i,)) for i in range(40)]
            for t in threads: t.start()
            ready.wait()
            refused = 0
            codes = []
            for attempt in range(50):  # bounded: 10 s
                s = socket.create_connection(("127.0.0.1", port), timeout=20)
                f = s.makefile("rb")
                def reply():
                    while True:
                        line = f.readline().decode()
                        if line[3:4] != "-": return line[:3]
                greeting = reply()
                if greeting == "220":
                    codes = [greeting]
                    break
                refused += 1
                s.close()
                time.sleep(0.2)
            for line in ["EHLO fast.example.net", "MAIL FROM:<a@example.net>", "RCPT TO:<b@example.com>", "DATA"]:
                s.sendall((line + "\r\n").encode()); codes.append(reply())
            s.sendall(b"Subject: fast\r\n\r\nfast\r\n.\r\n"); codes.append(reply())
            s.sendall(b"QUIT\r\n"); codes.append(reply())
            for t in threads: t.join()
            print("refused first", refused > 0, flush=True)
            print("fast", " ".join(codes), flush=True)
            print("slow", " ".join(sorted(set(results))), flush=True)
            """#
        let result = try await Programs.python(script, ["\(server.plainPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "refused first True\nfast 220 250 250 250 354 250 221\nslow 421 4.4.2\n")
        XCTAssertEqual(server.messages().count, 1)
    }

    /// Clients that vanish mid-command and mid-DATA: nothing stored, nothing left in
    /// tmp/, and the server goes on serving.
    func testClientsThatVanish() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            Hostile.greeted + [["send", "MAIL FROM:<a@exam"], ["hangup"]]
                + Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>")
                + Hostile.say("DATA") + [["send", "Subject: half\r\n\r\nhalf a mess"], ["hangup"], ["pause", 0.3]]
                + Hostile.greeted + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "220", "250", "250", "250", "354", "220", "250", "221"], t.stdout)
        server.assertNothingStored()
    }
}

final class HardeningFaultTests: XCTestCase {
    private static var transaction: [[Any]] {
        Hostile.greeted + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>")
            + Hostile.say("DATA")
    }

    /// Delivery cannot write (tmp/ replaced by a file, which fails like a read-only
    /// directory even for root): `451 4.3.0`, never `250`; the session goes on.
    func testUnwritableMaildirGets451() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let tmp = server.maildir.appendingPathComponent("tmp")
        try FileManager.default.removeItem(at: tmp)
        try Data("not a directory".utf8).write(to: tmp)
        let t = try await Hostile.run(
            server, Self.transaction + [["send", "Subject: x\r\n\r\nx\r\n.\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "451", "221"], t.stdout)
        XCTAssertTrue(t.final(5).hasPrefix("451 4.3.0 "), t.stdout)
        XCTAssertTrue(server.messages("new").isEmpty)
    }

    /// A full disk (a 256 KiB tmpfs; root only, skipped where mount is not allowed):
    /// the large message gets `451`, its temporary file is removed, a small one still fits.
    func testFullDiskGets451() async throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("full-disk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try await Programs.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            try? FileManager.default.removeItem(at: mountPoint)
            throw XCTSkip("cannot mount a tmpfs here: \(mount.stderr)")
        }
        addTeardownBlock {
            _ = try? await Programs.run("/bin/umount", [mountPoint.path])
            try? FileManager.default.removeItem(at: mountPoint)
        }
        let maildir = mountPoint.appendingPathComponent("maildir")
        let server = try await TestServer.start(self) {
            $0.session.requireAuthentication = false
            $0.delivery = .maildir(path: maildir.path)
        }
        let line = String(repeating: "x", count: 998) + "\r\n"
        let t = try await Hostile.run(
            server,
            Self.transaction + [["send", "Subject: big\r\n\r\n"], ["repeat", line, 400], ["send", ".\r\n"], ["reply"]]
                + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("RCPT TO:<b@example.com>") + Hostile.say("DATA")
                + [["send", "Subject: small\r\n\r\nsmall\r\n.\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "250", "354", "451", "250", "250", "354", "250", "221"], t.stdout)
        let new = try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("new").path)
        XCTAssertEqual(new.count, 1)
        XCTAssertTrue(
            try String(contentsOfFile: maildir.appendingPathComponent("new/\(new[0])").path, encoding: .utf8).contains("small"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent("tmp").path), [])
    }
}
