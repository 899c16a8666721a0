// Runs `C:`/`S:` transcripts (Transcripts/*.txt; format in Transcripts/README.md).

import ClientIDPolicy
import Foundation
import SMTPSession
import XCTest

enum TranscriptError: Error { case unreadable(String) }

/// The transcript form of a non-reply action.
func render(_ action: Action) -> String {
    switch action {
    case .send(let reply): return "send \(reply)"
    case .delay(let d):
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return "delay \(ms)ms"
    case .startTLS: return "start-tls"
    case .checkCredentials(let r):
        let id = r.clientIdentity.map { "\($0.type):\($0.token)" } ?? "none"
        return
            "check-credentials \(r.mechanism.rawValue) user=\(r.username) password=\(String(decoding: r.password, as: UTF8.self)) clientid=\(id)"
    case .clientIdentified(let id): return "client-identified \(id.type):\(id.token)"
    case .clientIdentityDiscarded: return "identity-discarded"
    case .beginMessage: return "begin-message"
    case .messageData(let bytes): return "message-data \(escape(bytes))"
    case .deliver(let e):
        return "deliver from=<\(e.sender)> to=\(e.recipients.map { "<\($0)>" }.joined(separator: ",")) size=\(e.size)"
    case .abortMessage: return "abort-message"
    case .close: return "close"
    case .reading(let phase): return "reading \(phase)"
    }
}

func escape(_ bytes: [UInt8]) -> String {
    var s = ""
    for b in bytes {
        switch b {
        case 0x0D: s += "\\r"
        case 0x0A: s += "\\n"
        case 0x00: s += "\\0"
        case 0x5C: s += "\\\\"
        default: s += String(UnicodeScalar(b))
        }
    }
    return s
}

func unescape(_ text: Substring) -> [UInt8] {
    var out: [UInt8] = []
    var escaped = false
    for b in text.utf8 {
        if escaped {
            switch b {
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "0"): out.append(0x00)
            default: out.append(b)
            }
            escaped = false
        } else if b == 0x5C {
            escaped = true
        } else {
            out.append(b)
        }
    }
    return out
}

let transcriptDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

/// Runs one transcript file; every mismatch fails at the transcript's line. With
/// `trickle`, client bytes arrive one at a time (the replies must not change).
func runTranscript(_ name: String, trickle: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
    let url = transcriptDirectory.appendingPathComponent(name)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw TranscriptError.unreadable(url.path) }
    var configuration = Harness.defaultConfiguration
    var session: SMTPSession?
    var replies: [(String, Int)] = []  // reply lines not yet matched, with the transcript line that caused them
    var others: [(String, Int)] = []
    func fail(_ message: String, _ number: Int) {
        XCTFail("\(name):\(number)\(trickle ? " (trickled)" : ""): \(message)", file: file, line: line)
    }
    func receive(_ bytes: [UInt8]) -> [Action] {
        guard trickle else { return session!.receive(bytes) }
        return bytes.flatMap { session!.receive([$0]) }
    }
    func take(_ actions: [Action], _ number: Int) {
        for action in actions {
            switch action {
            case .send(let reply): replies += reply.textLines.map { ($0, number) }
            case .messageData(let bytes):
                // Consecutive content chunks read as one.
                if let last = others.last, last.0.hasPrefix("message-data ") {
                    others[others.count - 1].0 += escape(bytes)
                } else {
                    others.append((render(action), number))
                }
            case .reading: break  // the driver's deadlines: not part of a transcript
            default: others.append((render(action), number))
            }
        }
    }
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let number = index + 1
        let l = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
        if l.isEmpty || l.hasPrefix("#") { continue }
        guard l.count >= 2 else { fail("unreadable line", number); continue }
        let tag = l.prefix(2)
        let body = l.dropFirst(2).drop(while: { $0 == " " })
        if tag == "% " || tag == "%" {
            guard session == nil else { fail("configuration after the first exchange", number); continue }
            let words = body.split(separator: " ")
            switch words.first {
            case "hostname": configuration.hostname = String(words[1])
            case "implicit-tls": configuration.implicitTLS = true
            case "clientid-disabled": configuration.clientIDEnabled = false
            case "allow-auth-without-tls": configuration.allowAuthWithoutTLS = true
            case "no-auth-required": configuration.requireAuthentication = false
            case "max-message-size": configuration.maxMessageSize = Int(words[1])!
            default: fail("unknown setting \(body)", number)
            }
            continue
        }
        if session == nil {
            var s = SMTPSession(configuration: configuration)
            let greeting = try s.start()
            session = s
            take(greeting, 0)
        }
        switch tag {
        case "C:":
            take(receive(unescape(body) + [13, 10]), number)
        case "C+":
            take(receive(unescape(body)), number)
        case "S:":
            guard !replies.isEmpty else { fail("expected \"\(body)\", the server sent nothing more", number); continue }
            let (got, _) = replies.removeFirst()
            if got != String(body) { fail("expected \"\(body)\", got \"\(got)\"", number) }
        case "A:":
            guard !others.isEmpty else { fail("expected action \"\(body)\", none left", number); continue }
            let (got, _) = others.removeFirst()
            if got != String(body) { fail("expected action \"\(body)\", got \"\(got)\"", number) }
        case "*:":
            let words = body.split(separator: " ")
            switch (words.first, words.dropFirst().first) {
            case ("tls", _): take(try session!.tlsEstablished(), number)
            case ("credentials", "accepted"): take(try session!.credentialsChecked(.accepted), number)
            case ("credentials", "accepted-with-security-layer"):
                take(try session!.credentialsChecked(.acceptedWithSecurityLayer), number)
            case ("credentials", "rejected"): take(try session!.credentialsChecked(.rejected), number)
            case ("credentials", "temporary-failure"): take(try session!.credentialsChecked(.temporaryFailure), number)
            case ("delivered", let id): take(try session!.deliveryFinished(.stored(queueID: id.map(String.init))), number)
            case ("delivery", "temporary-failure"): take(try session!.deliveryFinished(.temporaryFailure), number)
            case ("delivery", "permanent-failure"): take(try session!.deliveryFinished(.permanentFailure), number)
            case ("closed", _): if !session!.isClosed { fail("the session is still open", number) }
            default: fail("unknown event \(body)", number)
            }
        default:
            fail("unknown tag \(tag)", number)
        }
    }
    for (reply, number) in replies { fail("unexpected reply \"\(reply)\" (after transcript line \(number))", number) }
    for (action, number) in others { fail("unexpected action \"\(action)\" (after transcript line \(number))", number) }
}
