import ABNF
import ClientIDPolicy
import ClientIDRuleModel
import Foundation
import PropertyTesting
import SMTPCommandParser
import SMTPSession
import XCTest

/// Random conversations with `SMTPSession`: batches of command lines generated
/// from the grammar (pipelined, RFC 2920) with the TLS handshake and credential
/// checks answered by a driver. DATA and BDAT are left out: their content is not
/// command lines, and SMTPSessionTests covers them.
///
/// - no CLIENTID is accepted before TLS, after an AUTH, or twice on one TLS
///   session (D7, D9, D10), and one that passes D6–D11 always gets 250 (D17);
/// - STARTTLS empties the state (D13);
/// - every command line gets exactly one reply, in order, also pipelined;
/// - policy (draft §6.1 item 5): a device not on an account's list never
///   authenticates that account.
final class SessionProperties: XCTestCase {
    /// One write of the client: lines sent at once, and how the TLS handshake
    /// goes if one of them is a STARTTLS the server accepts.
    struct Step: CustomStringConvertible {
        var lines: [GrammarText]
        var tlsSucceeds: Bool

        var description: String {
            lines.map { "C: \(escaped($0.bytes))" }.joined(separator: " | ") + (tlsSucceeds ? "" : " (TLS handshake fails)")
        }
    }

    struct Conversation: PropertyInput {
        var steps: [Step]
        var reportText: String {
            "\(steps.count) writes, \(steps.map(\.lines.count).reduce(0, +)) lines:\n               "
                + steps.map(\.description).joined(separator: "\n               ")
        }
    }

    /// Accounts with device lists, and identities on and off them (the same
    /// token in another case is another device, D3).
    static let deviceLists: [String: [PolicyConfiguration.DeviceEntry]] = [
        "alice": [.init(type: "UUID", token: "aaa"), .init(type: "UUID", token: "bbb")],
        "bob": [.init(type: "MAC", token: "ccc")],
    ]
    static let accounts = ["alice", "bob", "carol"]  // carol has no list: not restricted
    static let identities = [("UUID", "aaa"), ("uuid", "bbb"), ("Uuid", "ccc"), ("MAC", "ccc"), ("UUID", "AAA"), ("X-1", "aaa")]

    /// RFC 4616 PLAIN initial response: no authzid, the account, a password.
    static func plain(_ account: String) -> String { Data("\0\(account)\0secret".utf8).base64EncodedString() }

    static func conversations(_ profile: Profile) throws -> Gen<Conversation> {
        let pooledClientID = Gen.element(of: identities).map { GrammarText.literal("CLIENTID \($0.0) \($0.1)\r\n") }
        let pooledAuth = Gen.element(of: accounts).map { GrammarText.literal("AUTH PLAIN \(Self.plain($0))\r\n") }
        // A near miss that lost its CRLF gets one back, so each generated line is one
        // line for the framer (the bare LF or CR stays inside it).
        let clientIDMiss = try profile.nearMisses("clientid").map { miss -> GrammarText in
            let endsInCRLF = miss.bytes.count >= 2 && miss.bytes.suffix(2) == [0x0D, 0x0A]
            return GrammarText(bytes: miss.bytes + (endsInCRLF ? [] : [0x0D, 0x0A]))
        }
        func line(afterTLS: Bool) throws -> Gen<GrammarText> {
            .weighted([
                (4, try profile.shortStrings("ehlo")),
                (afterTLS ? 1 : 4, try profile.shortStrings("starttls")),
                (4, pooledClientID),
                (2, try profile.shortStrings("clientid")),
                (1, clientIDMiss),
                (3, pooledAuth),
                (1, try profile.shortStrings("auth")),
                (1, try profile.shortStrings("helo")),
                (1, try profile.shortStrings("mail")),
                (1, try profile.shortStrings("rcpt")),
                (1, try profile.shortStrings("rset")),
                (1, try profile.shortStrings("noop")),
                (1, try profile.shortStrings("vrfy")),
                (1, try profile.shortStrings("help")),
                (1, try profile.shortStrings("quit")),
            ])
        }
        let before = try line(afterTLS: false)
        let after = try line(afterTLS: true)
        let parser = profile.parser
        // The state is "a STARTTLS was sent": afterwards STARTTLS is rarer.
        return Gen<Step>.scenario(
            length: 1...14, from: false,
            next: { sentStartTLS in
                (sentStartTLS ? after : before).array(count: 1...4).and(
                    Gen.weighted([(9, .constant(true)), (1, .constant(false))])
                )
                .map { Step(lines: $0.0, tlsSucceeds: $0.1) }
            },
            update: { sent, step in
                sent
                    || step.lines.contains { line in
                        if case .success(.startTLS) = parser.result(line.bytes) { return true }
                        return false
                    }
            }
        ).map { Conversation(steps: $0) }
    }

    /// Keys without a secret (D20's HMAC is not what is tested here).
    struct PlainKeys: DeviceKeyDerivation {
        func key(for identity: ClientIdentity) -> DeviceKey { DeviceKey(bytes: Array("\(identity.type) \(identity.token)".utf8)) }
    }

    /// Runs a conversation and checks every property on the way.
    static func run(_ conversation: Conversation, profile: Profile, policy: Bool) -> Verdict {
        var configuration = SMTPSession.Configuration()
        // Limits that would close the session early are out of the way.
        configuration.maxErrors = 100_000
        configuration.maxAuthFailures = 100_000
        configuration.authFailureDelay = .zero
        configuration.smtputf8 = profile.options.smtputf8
        configuration.lenientParser = profile.options.lenient
        var session = SMTPSession(configuration: configuration)
        var policyConfiguration = PolicyConfiguration()
        policyConfiguration.devices.mode = .listed
        policyConfiguration.devices.accounts = deviceLists
        let engine = ClientIDPolicyEngine(
            configuration: policyConfiguration, registry: InMemoryDeviceRegistry(), keys: PlainKeys())
        let connection = ConnectionID(1)
        let address = IPAddress("192.0.2.1")!
        _ = engine.connectionOpened(connection, address: address)

        var transcript: [String] = []
        var observer = ClientIDRuleModel(enabled: configuration.clientIDEnabled, tls: configuration.implicitTLS)
        var acceptedIdentity: ClientIdentity?
        var acceptedClientIDs = 0
        var authentications = 0
        var resets = 0
        /// Performs actions; answers credential checks at once; reports replies and whether TLS was asked for.
        func perform(
            _ actions: [Action], _ replies: inout [Reply], _ startTLS: inout Bool, _ requests: inout [AuthenticationRequest]
        ) {
            var queue = actions
            while !queue.isEmpty {
                let action = queue.removeFirst()
                switch action {
                case .send(let reply):
                    replies.append(reply)
                    transcript.append("S: \(reply.code) \(reply.lines.first ?? "")")
                case .startTLS:
                    startTLS = true
                case .checkCredentials(let request):
                    requests.append(request)
                    let outcome: AuthenticationOutcome
                    if policy {
                        let decision = engine.authenticate(
                            AuthenticationAttempt(
                                connection: connection, account: request.username, credentialsValid: true,
                                identity: request.clientIdentity, address: address))
                        outcome = decision.allowed ? .accepted : .rejected
                    } else {
                        outcome = request.username == "carol" ? .rejected : .accepted
                    }
                    queue += (try? session.credentialsChecked(outcome)) ?? []
                case .deliver:
                    queue += (try? session.deliveryFinished(success: true)) ?? []
                default:
                    break
                }
            }
        }

        var greeting: [Reply] = []
        var unusedTLS = false
        var unusedRequests: [AuthenticationRequest] = []
        perform((try? session.start()) ?? [], &greeting, &unusedTLS, &unusedRequests)

        for (stepIndex, step) in conversation.steps.enumerated() where !session.isClosed {
            var replies: [Reply] = []
            var startTLS = false
            var requests: [AuthenticationRequest] = []
            let bytes = step.lines.flatMap(\.bytes)
            transcript.append("C: \(escaped(bytes))")
            perform(session.receive(bytes), &replies, &startTLS, &requests)
            // Lines as the framer sees them: up to each CRLF.
            var lines: [[UInt8]] = []
            var start = 0
            for end in bytes.indices where end > 0 && bytes[end - 1] == 0x0D && bytes[end] == 0x0A {
                lines.append(Array(bytes[start...end]))
                start = end + 1
            }
            // A 334 takes the next line as the SASL response; with none left, cancel ("*").
            while replies.last?.code == 334 && !session.isClosed && lines.count <= replies.count {
                lines.append(Array("*\r\n".utf8))
                transcript.append("C: *\\r\\n")
                perform(session.receive(Array("*\r\n".utf8)), &replies, &startTLS, &requests)
            }

            // Walk lines and replies together.
            var r = 0
            var i = 0
            var ended = false
            var saslResponse = false
            func fail(_ message: String) -> Verdict {
                .fail(
                    "\(message)\n             at write \(stepIndex + 1), line \(i + 1); transcript:\n               "
                        + transcript.suffix(24).joined(separator: "\n               "))
            }
            while i < lines.count && !ended {
                guard r < replies.count else {
                    if session.isClosed { break }
                    return fail("no reply to \"\(escaped(lines[i]))\" (\(lines.count) lines, \(replies.count) replies)")
                }
                let reply = replies[r]
                let line = lines[i]
                r += 1
                defer { i += 1 }
                /// A 235 or 535 answers the oldest credential check of this write.
                func credentialsAnswered() -> Verdict? {
                    guard reply.code == 235 || reply.code == 535, !requests.isEmpty else { return nil }
                    let account = requests.removeFirst().username
                    if reply.code == 235 { authentications += 1 }
                    guard reply.code == 235, policy, let list = deviceLists[account] else { return nil }
                    guard let identity = acceptedIdentity, Set(list.map(\.identity)).contains(identity) else {
                        return fail(
                            "\(account) authenticated with \(acceptedIdentity.map { "\($0.type) \($0.token)" } ?? "no CLIENTID"), "
                                + "which is not on its list (draft §6.1 item 5)")
                    }
                    return nil
                }
                if saslResponse {
                    saslResponse = reply.code == 334
                    if let failure = credentialsAnswered() { return failure }
                    continue
                }
                let parsed = profile.parser.result(line)
                switch parsed {
                case .success(.ehlo):
                    if reply.code == 250 { observer.ehloAccepted() }
                case .success(.helo):
                    if reply.code == 250 { observer.heloAccepted() }
                case .success(.auth):
                    observer.authLineReceived()  // D10: any AUTH command, whatever its outcome
                    if reply.code == 334 { saslResponse = true }
                    if let failure = credentialsAnswered() { return failure }
                case .success(.clientID(let type, let token)):
                    let identity = ClientIdentity(typeBytes: line[type], tokenBytes: line[token])
                    let verdict = observer.verdict(wellFormed: true)
                    if reply.code != verdict.replyCode {
                        return fail("CLIENTID got \(reply.code), \(verdict.rawValue) says \(verdict.replyCode); \(observer)")
                    }
                    if reply.code == 250 {
                        observer.clientIDAccepted()
                        acceptedIdentity = identity
                        acceptedClientIDs += 1
                    }
                case .success(.startTLS):
                    if reply.code == 220 {
                        // D13: nothing after STARTTLS in this write is executed.
                        ended = true
                        if !startTLS { return fail("220 to STARTTLS without the startTLS action") }
                        if step.tlsSucceeds {
                            var none: [Reply] = []
                            var again = false
                            perform((try? session.tlsEstablished()) ?? [], &none, &again, &requests)
                            transcript.append("(TLS established)")
                            if !none.isEmpty { return fail("replies after the TLS handshake: \(none)") }
                            if session.clientIdentity != nil || session.authenticatedUser != nil || session.inTransaction
                                || session.bufferedInputCount != 0
                            {
                                return fail(
                                    "STARTTLS did not empty the state (D13): identity \(String(describing: session.clientIdentity)), "
                                        + "user \(String(describing: session.authenticatedUser)), transaction \(session.inTransaction), "
                                        + "\(session.bufferedInputCount) buffered octets")
                            }
                            observer.tlsEstablished()
                            acceptedIdentity = nil
                            resets += 1
                        } else {
                            var none: [Reply] = []
                            var again = false
                            perform((try? session.tlsFailed()) ?? [], &none, &again, &requests)
                            transcript.append("(TLS handshake failed)")
                            if !session.isClosed { return fail("the session stays open after a failed TLS handshake") }
                        }
                    }
                case .success(.quit):
                    if reply.code == 221 { ended = true }
                default:
                    break
                }
                if reply.code == 421 { ended = true }
            }
            if r < replies.count {
                return fail("\(replies.count - r) replies more than lines: \(replies[r...].map(\.code))")
            }
        }
        // Counted so a run shows the properties were exercised (PROPERTY_VERBOSE=1).
        return .pass(
            as: "\(resets > 0 ? "with" : "no") STARTTLS, \(acceptedClientIDs > 0 ? "with" : "no") accepted CLIENTID, "
                + "\(authentications > 0 ? "with" : "no") 235")
    }

    func testClientIDRulesAndReplyCounts() throws {
        for profile in [try Profile.base.get(), try Profile.lenient.get()] {
            forAll(
                "CLIENTID rules, STARTTLS reset and one reply per line in pipelined conversations (\(profile.name))",
                try Self.conversations(profile), iterations: 400
            ) { conversation in
                Self.run(conversation, profile: profile, policy: false)
            }
        }
    }

    func testDeviceNotOnTheListNeverAuthenticates() throws {
        let profile = try Profile.base.get()
        forAll(
            "a device not on an account's list never authenticates that account", try Self.conversations(profile), iterations: 400
        ) {
            Self.run($0, profile: profile, policy: true)
        }
    }
}
