// Seeded random conversations (commands, pipelined batches, STARTTLS and TLS
// events, AUTH outcomes, DATA and BDAT). For every one:
// - no CLIENTID is accepted before TLS, after an AUTH, or twice on one TLS session,
//   and every CLIENTID reply is the one D6–D11 predict;
// - STARTTLS empties the state;
// - there is exactly one reply per command (or AUTH response, or message end).
// The seed is printed on failure; replay one with SESSION_PROPERTY_SEED=<seed>.

import ClientIDPolicy
import ClientIDRuleModel
import Foundation
import SMTPSession
import XCTest

final class SessionPropertyTests: XCTestCase {
    enum Unit {
        case line(String, kind: Kind)
        case raw([UInt8], kind: Kind)
        enum Kind {
            case clientID(malformed: Bool)
            case ehlo, helo, auth, startTLS, quit, data, other
        }
        var kind: Kind {
            switch self {
            case .line(_, let k), .raw(_, let k): k
            }
        }
        var bytes: [UInt8] {
            switch self {
            case .line(let s, _): Array(s.utf8) + [13, 10]
            case .raw(let b, _): b
            }
        }
    }

    func testRandomConversations() {
        let environment = ProcessInfo.processInfo.environment["SESSION_PROPERTY_SEED"].flatMap { UInt64($0) }
        let seeds: [UInt64]
        if let environment {
            seeds = [environment]
        } else {
            var root = SystemRandomNumberGenerator()
            seeds = (0..<300).map { _ in root.next() }
        }
        for seed in seeds {
            if !run(seed: seed) {
                XCTFail("failing seed: SESSION_PROPERTY_SEED=\(seed)")
                return
            }
        }
    }

    /// Runs one conversation; returns false after recording failures.
    func run(seed: UInt64) -> Bool {
        var rng = SplitMix64(seed: seed)
        var configuration = Harness.defaultConfiguration
        configuration.maxErrors = 10_000
        configuration.maxAuthFailures = 10_000
        configuration.implicitTLS = Int.random(in: 0..<5, using: &rng) == 0
        configuration.clientIDEnabled = Int.random(in: 0..<6, using: &rng) != 0
        configuration.requireAuthentication = Bool.random(using: &rng)
        var h = Harness(configuration)
        var observer = ClientIDRuleModel(enabled: configuration.clientIDEnabled, tls: configuration.implicitTLS)
        var failed = false
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition {
                failed = true
                XCTFail("seed \(seed): \(message())")
            }
        }
        _ = h.takeActions()
        var expectedReplies = 0
        var receivedReplies = 0

        for _ in 0..<Int.random(in: 5...60, using: &rng) where !h.session.isClosed && !failed {
            // A batch of units written at once; group-ending units end it (RFC 2920 §3.1).
            var batch: [Unit] = []
            repeat {
                let unit = randomUnit(&rng)
                batch.append(unit)
                if case .startTLS = unit.kind { break }
                if case .quit = unit.kind { break }
                if case .data = unit.kind { break }
                if case .auth = unit.kind, case .line(let s, _) = unit, s == "AUTH LOGIN" { break }
            } while Bool.random(using: &rng)

            var bytes: [UInt8] = []
            for unit in batch { bytes += unit.bytes }
            // Write in random pieces.
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...max(1, bytes.count - i), using: &rng)
                h.sendRaw(Array(bytes[i..<(i + n)]))
                i += n
            }
            // Answer the driver's questions as they come.
            var cursorUnits = 0
            var pendingReplies: [Reply] = h.replies()
            func settle() -> [Reply] {
                var replies: [Reply] = []
                while let awaiting = h.session.awaiting, awaiting != .tlsHandshake {
                    switch awaiting {
                    case .credentials:
                        // RFC 4954 §4: a client pipelines after AUTH only when no security layer follows.
                        var outcomes: [AuthenticationOutcome] = [.accepted, .rejected, .temporaryFailure]
                        if h.session.bufferedInputCount == 0 { outcomes.append(.acceptedWithSecurityLayer) }
                        let outcome = outcomes[Int.random(in: 0..<outcomes.count, using: &rng)]
                        h.credentials(outcome)
                    case .delivery:
                        h.delivered(Bool.random(using: &rng) ? .stored(queueID: nil) : .temporaryFailure)
                    case .tlsHandshake:
                        break
                    }
                    replies += h.replies()
                }
                return replies
            }
            pendingReplies += settle()
            // Walk the batch against the replies, updating the observer.
            for unit in batch {
                guard !pendingReplies.isEmpty else { break }
                let reply = pendingReplies.removeFirst()
                cursorUnits += 1
                switch unit.kind {
                case .clientID(let malformed):
                    let predicted = observer.verdict(wellFormed: !malformed)
                    check(
                        reply.code == predicted.replyCode,
                        "CLIENTID (malformed: \(malformed)) got \(reply.code), \(predicted.rawValue) predicts "
                            + "\(predicted.replyCode); \(observer)")
                    if reply.code == 250 { observer.clientIDAccepted() }
                case .ehlo:
                    if reply.code == 250 { observer.ehloAccepted() }
                case .helo:
                    if reply.code == 250 { observer.heloAccepted() }
                case .auth:
                    // D10. After any AUTH every CLIENTID is 503, so a security layer's reset
                    // (D14) changes no prediction here.
                    observer.authLineReceived()
                case .startTLS:
                    if reply.code == 220 {
                        check(h.session.awaiting == .tlsHandshake, "220 to STARTTLS without a handshake")
                        h.tlsEstablished()
                        check(
                            h.session.clientIdentity == nil && !h.session.inTransaction && h.session.authenticatedUser == nil,
                            "STARTTLS did not empty the state")
                        check(h.session.bufferedInputCount == 0, "plaintext survived STARTTLS")
                        observer.tlsEstablished()
                    }
                case .quit, .data, .other:
                    break
                }
                expectedReplies += 1
                receivedReplies += 1
                // AUTH LOGIN: answer the challenges as units of their own.
                if case .line(let s, _) = unit, s == "AUTH LOGIN", reply.code == 334 {
                    h.send(base64(Array("user".utf8)))
                    h.send(base64(Array("pass".utf8)))
                    expectedReplies += 2
                    pendingReplies += h.replies() + settle()
                    check(pendingReplies.count >= 2, "AUTH LOGIN: one reply per response line")
                    receivedReplies += min(2, pendingReplies.count)
                    pendingReplies.removeFirst(min(2, pendingReplies.count))
                }
                // DATA: send content only after 354.
                if case .data = unit.kind, reply.code == 354 {
                    h.sendRaw(Array("Subject: x\r\n\r\n..\r\n\n.\n".utf8))
                    h.sendRaw(Array("\r\n.\r\n".utf8))
                    expectedReplies += 1
                    let end = h.replies() + settle()
                    check(end.count == 1, "one reply to the end of DATA, got \(end)")
                    receivedReplies += end.count
                }
            }
            if h.session.isClosed { break }
            check(pendingReplies.isEmpty, "replies left over: \(pendingReplies)")
            check(cursorUnits == batch.count, "\(batch.count) units but \(cursorUnits) replies")
        }
        check(receivedReplies == expectedReplies, "\(receivedReplies) replies for \(expectedReplies) commands")
        return !failed
    }

    func randomUnit(_ rng: inout SplitMix64) -> Unit {
        let plain = base64(Array("\0user\0pass".utf8))
        switch Int.random(in: 0..<20, using: &rng) {
        case 0, 1: return .line("EHLO client.example.net", kind: .ehlo)
        case 2: return .line("HELO client.example.net", kind: .helo)
        case 3: return .line("STARTTLS", kind: .startTLS)
        case 4, 5, 6: return .line("CLIENTID UUID \(Int.random(in: 0..<1000, using: &rng))", kind: .clientID(malformed: false))
        case 7:
            return .line(
                ["CLIENTID MAC", "CLIENTID DEVICE_ID 1", "CLIENTID UUID a b", "clientid"][Int.random(in: 0..<4, using: &rng)],
                kind: .clientID(malformed: true))
        case 8: return .line("AUTH PLAIN \(plain)", kind: .auth)
        case 9: return .line("AUTH LOGIN", kind: .auth)
        case 10: return .line("MAIL FROM:<a@example.net>", kind: .other)
        case 11: return .line("RCPT TO:<b@example.com>", kind: .other)
        case 12: return .line("DATA", kind: .data)
        case 13: return .raw(Array("BDAT 4\r\nabcd".utf8), kind: .other)
        case 14: return .raw(Array("BDAT 2 LAST\r\nef".utf8), kind: .other)
        case 15: return .line("RSET", kind: .other)
        case 16: return .line("NOOP", kind: .other)
        case 17: return .line(["FOO", "MAIL FROM:<", "VRFY", "\u{1}"][Int.random(in: 0..<4, using: &rng)], kind: .other)
        case 18: return .line("AUTH CRAM-MD5", kind: .auth)
        default: return Int.random(in: 0..<10, using: &rng) == 0 ? .line("QUIT", kind: .quit) : .line("NOOP", kind: .other)
        }
    }
}
