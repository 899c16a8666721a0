// The hostile-input suite's client and assertions (docs/server.md, Hardening).
// Every case talks to a real server over 127.0.0.1 with a raw Python socket
// client, checks the exact replies, and checks what reached the Maildir.

import Foundation
import XCTest

/// What the hostile client saw.
struct HostileTranscript {
    var stdout: String
    /// One entry per complete reply: its code, or `closed` when the server closed first.
    var codes: [String] { lines(stdout, prefix: "R: ").map { String($0.dropFirst(3).prefix(while: { $0 != " " })) } }
    /// Every reply line as received (`250-…`, `250 …`).
    var replyLines: [String] { lines(stdout, prefix: "S: ").map { String($0.dropFirst(3)) } }
    /// The last line of each reply.
    var finalLines: [String] {
        replyLines.filter { $0.count < 4 || Array($0.utf8)[3] != UInt8(ascii: "-") }
    }
    /// The last line of reply `i`, or "" when there were fewer replies (the assertion then
    /// fails instead of the test process crashing).
    func final(_ i: Int) -> String { i < finalLines.count ? finalLines[i] : "" }
    /// Seconds before reply `i` (0 when there was no such reply).
    func wait(_ i: Int) -> Double { i < waits.count ? waits[i] : 0 }
    /// Seconds from the send before each reply to the reply (`R: code t=…`).
    var waits: [Double] {
        lines(stdout, prefix: "R: ").compactMap { line in
            line.range(of: " t=").flatMap { Double(line[$0.upperBound...]) }
        }
    }
    var closed: Bool { stdout.contains("\nCLOSED") || stdout.hasPrefix("CLOSED") }
    /// Bytes that came after the last reply read, before the close.
    var extra: [String] { lines(stdout, prefix: "EXTRA: ") }
}

enum Hostile {
    /// stdin: JSON steps; argv: plaintext port, TLS port. Steps:
    /// ["connect", "plain"|"tls"|"tls-port-plaintext", source-address?] (no read: the
    /// greeting is a ["reply"]; the last kind talks plaintext to the implicit TLS port),
    /// ["send", latin-1 text], ["repeat", text, count] (one send), ["trickle", text, seconds
    /// between bytes], ["pause", seconds], ["quiet", seconds] (QUIET, or STRAY: what came),
    /// ["reply"], ["tls"] (handshake now), ["closed", seconds] (waits for EOF), ["hangup"].
    /// Prints `S: line` per reply line, `R: code t=seconds` per reply, `CLOSED`/`OPEN`.
    static let client = #"""
        import json, select, socket, ssl, sys, time
        steps = json.loads(sys.stdin.read())
        ports = {"plain": int(sys.argv[1]), "tls": int(sys.argv[2])}
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = None
        buf = b""
        sent = time.monotonic()
        def out(s): print(s, flush=True)
        def recv():
            try:
                return sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
                return b""
        def reply():
            global buf
            while True:
                while b"\r\n" not in buf:
                    data = recv()
                    if not data:
                        out("R: closed t=%.3f" % (time.monotonic() - sent))
                        return
                    buf += data
                line, buf = buf.split(b"\r\n", 1)
                out("S: " + line.decode("latin-1"))
                if len(line) < 4 or line[3:4] != b"-":
                    out("R: " + line[:3].decode("latin-1") + " t=%.3f" % (time.monotonic() - sent))
                    return
        def send(data):
            global sent
            sent = time.monotonic()
            try:
                sock.sendall(data)
                return True
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError) as e:
                out("SENDFAIL " + type(e).__name__)
                return False
        for step in steps:
            kind = step[0]
            if kind == "connect":
                source = (step[2], 0) if len(step) > 2 else None
                buf = b""
                port = ports["tls" if step[1] == "tls-port-plaintext" else step[1]]
                sock = socket.create_connection(("127.0.0.1", port), timeout=15, source_address=source)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if step[1] == "tls":
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                sent = time.monotonic()
            elif kind == "send":
                send(step[1].encode("latin-1"))
            elif kind == "repeat":
                send(step[1].encode("latin-1") * step[2])
            elif kind == "quiet":
                sock.settimeout(step[1])
                try:
                    data = sock.recv(65536)
                    out("STRAY: " + repr(data[:200]))
                except (socket.timeout, TimeoutError):
                    out("QUIET")
                except (ConnectionResetError, ssl.SSLError, OSError):
                    out("STRAY: reset")
                sock.settimeout(15)
            elif kind == "trickle":
                for b in step[1].encode("latin-1"):
                    if not send(bytes([b])):
                        break
                    time.sleep(step[2])
                    # Stop dribbling once the server has answered (or closed): read that next.
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        break
            elif kind == "pause":
                time.sleep(step[1])
            elif kind == "reply":
                reply()
            elif kind == "tls":
                try:
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                    out("TLS: " + sock.version())
                except (ssl.SSLError, OSError) as e:
                    out("TLS: failed " + type(e).__name__)
            elif kind == "closed":
                # Reads to EOF: CLOSED (and EXTRA: bytes, if any came first) or OPEN: timeout.
                sock.settimeout(step[1] if len(step) > 1 else 5)
                extra = b""
                state = "CLOSED"
                while True:
                    try:
                        data = sock.recv(65536)
                    except (socket.timeout, TimeoutError):
                        state = "OPEN: timeout"
                        break
                    except (ConnectionResetError, ssl.SSLError, OSError):
                        break
                    if not data:
                        break
                    extra += data
                if extra:
                    out("EXTRA: " + repr((buf + extra)[:200]))
                out(state)
                sock.settimeout(15)
            elif kind == "hangup":
                sock.close()
        """#

    static func run(_ server: TestServer, _ steps: [[Any]], timeout: TimeInterval = 60) async throws -> HostileTranscript {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let tlsPort = server.server.tlsAddress?.port ?? 0
        let python = try Programs.require("python3", debianPackage: "python3")
        let result = try await Programs.run(
            python, ["-c", client, "\(server.plainPort)", "\(tlsPort)"], stdin: json, timeout: timeout)
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        XCTAssertFalse(result.timedOut, "the client hung:\n" + result.stdout)
        return HostileTranscript(stdout: result.stdout)
    }

    /// Without CRLF (`say` adds it).
    static let authPlain = "AUTH PLAIN " + Data("\0alice\0secret".utf8).base64EncodedString()

    /// Connect over implicit TLS, greet, authenticate: replies 220, 250, 235.
    static var authenticated: [[Any]] {
        [
            ["connect", "tls"], ["reply"], ["send", "EHLO client.example.net\r\n"], ["reply"], ["send", authPlain + "\r\n"],
            ["reply"],
        ]
    }

    /// Plaintext, greet with EHLO (for servers that let MAIL through without AUTH): 220, 250.
    static var greeted: [[Any]] { [["connect", "plain"], ["reply"], ["send", "EHLO client.example.net\r\n"], ["reply"]] }

    /// One command and its reply.
    static func say(_ line: String) -> [[Any]] { [["send", line + "\r\n"], ["reply"]] }
}

extension TestServer {
    /// No message in `new/` nor in `tmp/`.
    func assertNothingStored(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(messages("new").map(\.lastPathComponent), [], "new/", file: file, line: line)
        XCTAssertEqual(messages("tmp").map(\.lastPathComponent), [], "tmp/", file: file, line: line)
    }

    /// Rows in the device registry (`devices.sqlite`), read with Python's sqlite3.
    func registryRows() async throws -> Int {
        let script = #"""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(db.execute("select count(*) from device_records").fetchone()[0])
            """#
        let result = try await Programs.python(script, [root.appendingPathComponent("data/devices.sqlite").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Every byte of the registry's files (database, WAL, journal).
    func registryBytes() -> Data {
        let folder = root.appendingPathComponent("data")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var all = Data()
        for name in names where name.hasPrefix("devices.sqlite") {
            all += (try? Data(contentsOf: folder.appendingPathComponent(name))) ?? Data()
        }
        return all
    }
}
