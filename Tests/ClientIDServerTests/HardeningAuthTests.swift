// Hostile input, part 2: CLIENTID and AUTH, brute force across connections.

import Foundation
import XCTest

private func policyFile(_ test: XCTestCase, _ yaml: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hardening-policy-\(UUID().uuidString).yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

private func plain(_ user: String, _ password: String) -> String {
    "AUTH PLAIN " + Data("\0\(user)\0\(password)".utf8).base64EncodedString()
}

private var tlsGreeted: [[Any]] { [["connect", "tls"], ["reply"]] + Hostile.say("EHLO client.example.net") }

final class HardeningClientIDTests: XCTestCase {
    /// Every D-rule out of order on one server: D7 (plaintext), D8 (TLS, no EHLO yet),
    /// D11 (malformed, retry allowed), D9 (twice), D10 (after AUTH). The registry stays empty:
    /// no CLIENTID reached a successful AUTH.
    func testDRulesOutOfOrder() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            Hostile.greeted + Hostile.say("CLIENTID UUID plaintext-token") + Hostile.say("STARTTLS") + [["tls"]]
                + Hostile.say("CLIENTID UUID before-ehlo") + Hostile.say("EHLO client.example.net")
                + Hostile.say("CLIENTID UUID") + Hostile.say("CLIENTID UUID good-token") + Hostile.say("CLIENTID UUID again")
                + tlsGreeted + Hostile.say(plain("alice", "wrong")) + Hostile.say("CLIENTID UUID after-auth")
                + Hostile.say("QUIT"))
        XCTAssertEqual(
            t.codes, ["220", "250", "500", "220", "503", "250", "501", "250", "503", "220", "250", "535", "503", "221"], t.stdout)
        let rows = try await server.registryRows()
        XCTAssertEqual(rows, 0, "no CLIENTID reached an AUTH")
        server.assertNothingStored()
    }

    /// Oversized tokens are 501; SQL- and shell-looking ones are inert: `250`, a working
    /// AUTH, one registry row keyed by a hash, and the raw token nowhere in the registry's files.
    func testOversizedAndOddTokens() async throws {
        let server = try await TestServer.start(self)
        let sql = "x');DROP_TABLE_device_records;--"
        let shell = "$(touch${IFS}/tmp/pwned)`id`"
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("CLIENTID UUID " + String(repeating: "t", count: 129)) + Hostile.say("CLIENTID UUID " + sql)
                + Hostile.say(plain("alice", "secret")) + Hostile.say("QUIT")
                + tlsGreeted + Hostile.say("CLIENTID UUID " + shell) + Hostile.say(plain("alice", "secret"))
                + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "250", "235", "221", "220", "250", "250", "235", "221"], t.stdout)
        let rows = try await server.registryRows()
        XCTAssertEqual(rows, 2)
        let bytes = server.registryBytes()
        XCTAssertFalse(bytes.isEmpty)
        for token in [sql, shell] {
            XCTAssertNil(bytes.range(of: Data(token.utf8)), "raw token \(token) stored (D20)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/pwned"))
        server.assertNothingStored()
    }

    /// A token flood: 12 devices, a registry bounded to 5 records.
    func testTokenFloodKeepsTheRegistryBounded() async throws {
        let policy = try policyFile(self, "registry:\n  maxEntries: 5\n")
        let server = try await TestServer.start(self) { $0.policyFile = policy }
        var steps: [[Any]] = []
        for i in 0..<12 {
            steps +=
                tlsGreeted + Hostile.say("CLIENTID UUID flood-\(i)") + Hostile.say(plain("alice", "secret")) + Hostile.say("QUIT")
        }
        let t = try await Hostile.run(server, steps)
        XCTAssertEqual(t.codes, Array(repeating: ["220", "250", "250", "235", "221"], count: 12).flatMap { $0 }, t.stdout)
        let rows = try await server.registryRows()
        XCTAssertLessThanOrEqual(rows, 5)
        XCTAssertGreaterThan(rows, 0)
    }

    /// One token from two networks at once (127.0.0.1 and 127.0.1.1 are different /24s):
    /// the second AUTH is refused with the wrong-password reply (D18).
    func testOneTokenFromTwoNetworks() async throws {
        let policy = try policyFile(self, "distantNetworks:\n  enabled: true\n")
        let server = try await TestServer.start(self) { $0.policyFile = policy }
        let token = "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f"
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say(token) + Hostile.say(plain("alice", "secret")) + Hostile.say("QUIT")
                + [["connect", "tls", "127.0.1.1"], ["reply"]] + Hostile.say("EHLO client.example.net") + Hostile.say(token)
                + Hostile.say(plain("alice", "secret")) + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "235", "221", "220", "250", "250", "535", "221"], t.stdout)
        XCTAssertEqual(t.final(8), "535 5.7.8 Authentication credentials invalid")
        server.assertNothingStored()
    }

    /// A policy refusal (a denied token) and a wrong password: the same reply, byte for byte (D18).
    func testPolicyRefusalLooksLikeAWrongPassword() async throws {
        let policy = try policyFile(self, "acl:\n  denyTokens:\n    UUID: [stolen-device]\n")
        let server = try await TestServer.start(self) {
            $0.policyFile = policy
            $0.session.authFailureDelay = .milliseconds(300)
        }
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say(plain("alice", "wrong")) + Hostile.say("QUIT")
                + tlsGreeted + Hostile.say("CLIENTID UUID stolen-device") + Hostile.say(plain("alice", "secret"))
                + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "535", "221", "220", "250", "250", "535", "221"], t.stdout)
        XCTAssertEqual(t.final(2), t.final(7))
        // Both waited the failure delay (a lower bound only: never flaky on a slow machine).
        XCTAssertGreaterThanOrEqual(t.wait(2), 0.3, t.stdout)
        XCTAssertGreaterThanOrEqual(t.wait(7), 0.3, t.stdout)
        server.assertNothingStored()
    }
}

final class HardeningAuthTests: XCTestCase {
    /// Characters outside base64, and misplaced padding: `501 5.5.2`.
    func testBadBase64() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("AUTH PLAIN !!!!") + Hostile.say("AUTH PLAIN AGFsaWNl=AHNlY3JldA")
                + Hostile.say("AUTH PLAIN") + Hostile.say("%%%%") + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("QUIT")
        )
        XCTAssertEqual(t.codes, ["220", "250", "501", "501", "334", "501", "530", "221"], t.stdout)
        // Outside the initial-response grammar: the parser's 501; inside the exchange: undecodable.
        XCTAssertTrue(t.final(2).hasPrefix("501 5.5.4 "), t.stdout)
        XCTAssertTrue(t.final(5).hasPrefix("501 5.5.2 "), t.stdout)
        server.assertNothingStored()
    }

    /// PLAIN messages without their two NULs, or with three: `501`, never a login.
    func testMissingNULs() async throws {
        let server = try await TestServer.start(self)
        func encoded(_ s: String) -> String { "AUTH PLAIN " + Data(s.utf8).base64EncodedString() }
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say(encoded("alicesecret")) + Hostile.say(encoded("alice\0secret"))
                + Hostile.say(encoded("\0alice\0secret\0")) + Hostile.say(encoded("\0\0secret")) + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "501", "501", "501", "501", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// RFC 4954 §4: 12,288 octets per response line. One octet more is `500 5.5.6`; exactly
    /// 12,288 is read (and fails to decode as PLAIN: `501`); a megabyte is `500` too.
    func testHugeAuthResponses() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("AUTH PLAIN") + Hostile.say(String(repeating: "A", count: 12_289))
                + Hostile.say("AUTH PLAIN") + Hostile.say(String(repeating: "A", count: 12_288))
                + Hostile.say("AUTH PLAIN") + [["repeat", "A", 1 << 20], ["send", "\r\n"], ["reply"]] + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "334", "500", "334", "501", "334", "500", "221"], t.stdout)
        XCTAssertTrue(t.final(3).hasPrefix("500 5.5.6 "), t.stdout)
        server.assertNothingStored()
    }

    /// `*` cancels (RFC 4954 §4): `501 5.7.0`, and the session is not authenticated.
    func testCancel() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("AUTH LOGIN") + Hostile.say("*") + Hostile.say("AUTH PLAIN") + Hostile.say("*")
                + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "334", "501", "334", "501", "530", "221"], t.stdout)
        XCTAssertTrue(t.final(3).hasPrefix("501 5.7.0 "), t.stdout)
        server.assertNothingStored()
    }

    /// After a cancelled LOGIN that got as far as a user name, a PLAIN exchange starts
    /// fresh: its own response is the whole message, nothing of LOGIN's state is used.
    func testMechanismSwitchAfterCancel() async throws {
        let server = try await TestServer.start(self)
        let user = Data("alice".utf8).base64EncodedString()
        let password = Data("secret".utf8).base64EncodedString()
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("AUTH LOGIN") + Hostile.say(user) + Hostile.say("*") + Hostile.say("AUTH PLAIN")
                + Hostile.say(password) + Hostile.say("AUTH PLAIN") + Hostile.say(String(plain("alice", "secret").dropFirst(11)))
                + Hostile.say("QUIT"))
        // The password alone is not a PLAIN message (501); the full one logs in.
        XCTAssertEqual(t.codes, ["220", "250", "334", "334", "501", "334", "501", "334", "235", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// AUTH after a successful AUTH: `503`.
    func testAuthTwice() async throws {
        let server = try await TestServer.start(self)
        let t = try await Hostile.run(
            server,
            Hostile.authenticated + Hostile.say(plain("alice", "secret")) + Hostile.say("AUTH LOGIN") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "235", "503", "503", "221"], t.stdout)
        server.assertNothingStored()
    }

    /// AUTH inside a mail transaction (RFC 4954 §4): `503`.
    func testAuthInsideATransaction() async throws {
        let server = try await TestServer.start(self) { $0.session.requireAuthentication = false }
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say("MAIL FROM:<a@example.net>") + Hostile.say(plain("alice", "secret"))
                + Hostile.say("RSET") + Hostile.say("QUIT"))
        XCTAssertEqual(t.codes, ["220", "250", "250", "503", "250", "221"], t.stdout)
        XCTAssertTrue(t.final(3).hasPrefix("503 5.5.1 "), t.stdout)
        server.assertNothingStored()
    }

    /// Brute force: the delay before each `535` doubles with recent failures (of the
    /// address and of the account), then `421` and close. Afterwards AUTH is `421`
    /// unchecked from the same address. The lockout is keyed by address only: the same
    /// account, or the same claimed device, from another address still gets in with the
    /// right password (an account name or a token is a claim: nobody may lock its owner
    /// out), and so does a fresh address.
    func testBruteForceIsThrottledThenRefused() async throws {
        let server = try await TestServer.start(self) {
            $0.session.authFailureDelay = .milliseconds(50)
            $0.session.maxAuthFailures = 10
            $0.authThrottle.maxFailures = 4
            $0.authThrottle.maxDelay = .seconds(5)
            for user in ["bob:secret", "carol:secret", "dave:secret"] { try! $0.users.add(development: user, iterations: 1_000) }
        }
        let device = "CLIENTID UUID attacker-device"
        let t = try await Hostile.run(
            server,
            tlsGreeted + Hostile.say(device) + Hostile.say(plain("alice", "guess1")) + Hostile.say(plain("alice", "guess2"))
                + Hostile.say(plain("alice", "guess3")) + Hostile.say(plain("alice", "guess4")) + [["closed"]]
                // Same address, right password.
                + tlsGreeted + Hostile.say(plain("bob", "secret")) + [["closed"]]
                // Same account from another address.
                + [["connect", "tls", "127.0.2.1"], ["reply"]] + Hostile.say("EHLO x") + Hostile.say(plain("alice", "secret"))
                + Hostile.say("QUIT")
                // Same device, another account, another address.
                + [["connect", "tls", "127.0.3.1"], ["reply"]] + Hostile.say("EHLO x") + Hostile.say(device)
                + Hostile.say(plain("carol", "secret")) + Hostile.say("QUIT")
                // Nothing in common.
                + [["connect", "tls", "127.0.4.1"], ["reply"]] + Hostile.say("EHLO x") + Hostile.say(plain("dave", "secret"))
                + Hostile.say("QUIT"))
        XCTAssertEqual(
            t.codes,
            [
                "220", "250", "250", "535", "535", "535", "421", "220", "250", "421", "220", "250", "235", "221", "220", "250",
                "250", "235", "221", "220", "250", "235", "221",
            ], t.stdout)
        XCTAssertEqual(t.final(6), "421 4.7.0 server.example.com Too many authentication failures, closing connection")
        XCTAssertEqual(t.stdout.components(separatedBy: "\nCLOSED").count - 1, 2, t.stdout)
        // Lower bounds only: 50 ms, 100 ms, 200 ms before the 535s, 400 ms before the 421.
        XCTAssertGreaterThanOrEqual(t.wait(3), 0.05, t.stdout)
        XCTAssertGreaterThanOrEqual(t.wait(4), 0.1, t.stdout)
        XCTAssertGreaterThanOrEqual(t.wait(5), 0.2, t.stdout)
        XCTAssertGreaterThanOrEqual(t.wait(6), 0.4, t.stdout)
        XCTAssertEqual(server.server.statistics.throttledAuthAttempts, 2)
        server.assertNothingStored()
    }

    /// No lockout by a claimed identity: an attacker who knows the victim's token (it is
    /// no secret: a MAC address, a licence key) opens more connections with it than the
    /// per-device limit and fails AUTH on them for the victim's account, from another
    /// address, until that address is locked out. The victim's right password, with the
    /// same token, still gets `235`: claims hold no device session, and the failures
    /// counted against the attacker's address are not the victim's.
    func testAClaimedTokenCannotLockItsOwnerOut() async throws {
        let server = try await TestServer.start(self) {
            $0.session.authFailureDelay = .milliseconds(20)
            $0.authThrottle.maxDelay = .milliseconds(100)
            $0.maxConnectionsPerDevice = 2
        }
        let script = #"""
            import base64, smtplib, ssl, sys
            port = int(sys.argv[1])
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            token = "UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f"
            def plain(user, password):
                return "PLAIN " + base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
            held = []
            for n in range(12):
                s = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=ctx, source_address=("127.0.2.1", 0))
                s.ehlo("attacker.example")
                code = s.docmd("CLIENTID", token)[0]
                print("ATTACKER", n, code, s.docmd("AUTH", plain("alice", "guess%d" % n))[0], flush=True)
                held.append(s)
            victim = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=ctx)
            victim.ehlo("laptop.example")
            print("VICTIM CLIENTID", victim.docmd("CLIENTID", token)[0], flush=True)
            print("VICTIM AUTH", victim.login("alice", "secret")[0], flush=True)
            victim.quit()
            """#
        let result = try await Programs.python(script, ["\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Nine wrong passwords get 535; the tenth reaches the address's limit (421, closed),
        // and the address is refused unchecked from then on.
        XCTAssertEqual(lines.prefix(9).map { $0.split(separator: " ").last! }, Array(repeating: "535", count: 9), result.stdout)
        XCTAssertEqual(lines.dropFirst(9).prefix(3).map { $0.split(separator: " ").last! }, ["421", "421", "421"], result.stdout)
        XCTAssertTrue(lines.prefix(12).allSatisfy { $0.split(separator: " ")[2] == "250" }, "CLIENTID is never refused (D17)")
        XCTAssertEqual(Array(lines.suffix(2)), ["VICTIM CLIENTID 250", "VICTIM AUTH 235"], result.stdout)
        server.assertNothingStored()
    }

    /// The brute-force delay is a timer, not a sleeping thread: while 8 connections wait
    /// out their delayed `535` (3 s or more), a well-behaved client's whole session finishes first.
    func testAuthDelayDoesNotBlockOtherClients() async throws {
        let server = try await TestServer.start(self) {
            $0.session.authFailureDelay = .seconds(3)
            $0.authThrottle.maxDelay = .seconds(4)
            $0.session.requireAuthentication = false
        }
        let script = #"""
            import base64, socket, ssl, sys, threading, time
            port = int(sys.argv[1])
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            events = []
            lock = threading.Lock()
            def note(what):
                with lock: events.append(what)
            def session(lines, name):
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="x")
                f = s.makefile("rb")
                def reply():
                    while True:
                        line = f.readline().decode()
                        if line[3:4] != "-": return line[:3]
                reply()
                for line in lines:
                    s.sendall((line + "\r\n").encode())
                    code = reply()
                note(name + " " + code)
            wrong = "AUTH PLAIN " + base64.b64encode(b"\0alice\0wrong").decode()
            slow = [threading.Thread(target=session, args=(["EHLO x", wrong], "slow")) for _ in range(8)]
            for t in slow: t.start()
            time.sleep(0.3)
            session(["EHLO x", "MAIL FROM:<a@example.net>", "RCPT TO:<b@example.com>", "RSET", "QUIT"], "fast")
            for t in slow: t.join()
            print("\n".join(events))
            """#
        let result = try await Programs.python(script, ["\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let events = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(events.first, "fast 221", result.stdout)
        XCTAssertEqual(events.filter { $0 == "slow 535" }.count, 8, result.stdout)
        server.assertNothingStored()
    }
}
