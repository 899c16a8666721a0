// Test support: drive a session with lines and events, and read transcripts.

import ClientIDPolicy
import SMTPSession
import XCTest

/// A session plus everything it asked for, for assertions.
struct Harness {
    var session: SMTPSession
    /// All actions but `.reading`, in order.
    private(set) var actions: [Action] = []
    /// The `.reading` actions, in order (the driver's deadlines follow them).
    private(set) var phases: [ReadPhase] = []
    /// Index of the first action not yet taken by `replies()` / `takeActions()`.
    private var cursor = 0

    init(_ configuration: Configuration = Harness.defaultConfiguration, start: Bool = true) {
        session = SMTPSession(configuration: configuration)
        if start { event { try $0.start() } }
    }

    static var defaultConfiguration: Configuration {
        var c = Configuration()
        c.hostname = "server.example.com"
        c.authFailureDelay = .milliseconds(1500)
        return c
    }

    mutating func record(_ new: [Action]) {
        for action in new {
            if case .reading(let phase) = action { phases.append(phase) } else { actions.append(action) }
        }
    }

    /// An event that must be allowed in the session's state (else the test fails).
    mutating func event(
        file: StaticString = #filePath, line: UInt = #line, _ call: (inout SMTPSession) throws -> [Action]
    ) {
        do {
            record(try call(&session))
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Sends raw bytes.
    mutating func sendRaw(_ bytes: [UInt8]) { record(session.receive(bytes)) }
    /// Sends a line; CRLF is appended.
    mutating func send(_ line: String) { sendRaw(Array(line.utf8) + [13, 10]) }

    mutating func tlsEstablished() { event { try $0.tlsEstablished() } }
    mutating func credentials(_ outcome: AuthenticationOutcome) { event { try $0.credentialsChecked(outcome) } }
    mutating func delivered(_ result: DeliveryResult = .stored(queueID: nil)) { event { try $0.deliveryFinished(result) } }

    /// The actions since the last call.
    mutating func takeActions() -> [Action] {
        defer { cursor = actions.count }
        return Array(actions[cursor...])
    }

    /// The replies since the last call, in transcript form.
    mutating func replies() -> [Reply] {
        takeActions().compactMap { if case .send(let r) = $0 { r } else { nil } }
    }

    /// The codes of the replies since the last call.
    mutating func codes() -> [Int] { replies().map(\.code) }

    /// Sends a line and returns the code of its one reply.
    mutating func code(_ line: String, file: StaticString = #filePath, line fileLine: UInt = #line) -> Int? {
        _ = takeActions()
        send(line)
        let r = replies()
        XCTAssertEqual(r.count, 1, "one reply to \(line): \(r)", file: file, line: fileLine)
        return r.first?.code
    }

    /// EHLO, STARTTLS, handshake, EHLO: a fresh TLS session after EHLO.
    mutating func startTLSAndEHLO() {
        send("EHLO client.example.net")
        send("STARTTLS")
        tlsEstablished()
        send("EHLO client.example.net")
        _ = takeActions()
    }

    /// AUTH PLAIN with the given outcome.
    mutating func authPlain(user: String = "test", password: String = "1234", outcome: AuthenticationOutcome) {
        let message = Array("\0\(user)\0\(password)".utf8)
        send("AUTH PLAIN \(base64(message))")
        credentials(outcome)
    }

    var checkRequests: [AuthenticationRequest] {
        actions.compactMap { if case .checkCredentials(let r) = $0 { r } else { nil } }
    }
}

func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var i = 0
    while i < bytes.count {
        let a = bytes[i], b = i + 1 < bytes.count ? bytes[i + 1] : nil, c = i + 2 < bytes.count ? bytes[i + 2] : nil
        let v = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
        out.append(alphabet[Int(v >> 18 & 63)])
        out.append(alphabet[Int(v >> 12 & 63)])
        out.append(b == nil ? "=" : alphabet[Int(v >> 6 & 63)])
        out.append(c == nil ? "=" : alphabet[Int(v & 63)])
        i += 3
    }
    return out
}

/// A deterministic PRNG (SplitMix64) so property tests can print and replay their seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `actions` without the `.reading` ones (which only the driver's deadlines need).
func withoutPhases(_ actions: [Action]) -> [Action] {
    actions.filter { if case .reading = $0 { false } else { true } }
}

/// The message content handed out in `actions`, joined.
func messageContent(_ actions: [Action]) -> [UInt8] {
    var content: [UInt8] = []
    for case .messageData(let bytes) in actions { content += bytes }
    return content
}

typealias Configuration = SMTPSession.Configuration
