// Shared helpers: an engine with a manual clock, attempts, and a driver that
// runs an SMTPSession against the engine the way a server would.

import ClientIDPolicy
import DeviceRegistrySQLite
import SMTPSession
import XCTest

let testSecret = Array(repeating: UInt8(0x5A), count: 32)
let testKeys = HMACDeviceKeys(secret: testSecret)
let home = IPAddress("192.0.2.10")!
let office = IPAddress("198.51.100.20")!

struct PolicyFixture {
    let engine: ClientIDPolicyEngine
    let clock: ManualClock
    let registry: any DeviceRegistry
    private var nextConnection: UInt64 = 0

    init(_ configuration: PolicyConfiguration = PolicyConfiguration(), registry: any DeviceRegistry = InMemoryDeviceRegistry()) {
        clock = ManualClock()
        self.registry = registry
        engine = ClientIDPolicyEngine(configuration: configuration, registry: registry, keys: testKeys, clock: clock)
    }

    /// One connection: opened, identified (if `identity`), AUTH decided, closed unless `keepOpen`.
    mutating func attempt(
        _ account: String, _ identity: ClientIdentity?, valid: Bool = true, from address: IPAddress = home,
        keepOpen: Bool = false
    ) -> AuthenticationDecision {
        nextConnection += 1
        let connection = ConnectionID(nextConnection)
        _ = engine.connectionOpened(connection, address: address)
        if let identity { _ = engine.clientIdentified(connection, identity: identity) }
        let decision = engine.authenticate(
            AuthenticationAttempt(
                connection: connection, account: account, credentialsValid: valid, identity: identity, address: address))
        if !keepOpen { engine.connectionClosed(connection) }
        return decision
    }
}

/// A registry that fails on every call (an outage of its database).
struct FailingRegistry: DeviceRegistry {
    var capacity: Int { 1 }
    func record(device: DeviceKey, account: String) throws(DeviceRegistryError) -> DeviceRecord? {
        throw DeviceRegistryError("down")
    }
    func records(forAccount account: String) throws(DeviceRegistryError) -> [DeviceRecord] { throw DeviceRegistryError("down") }
    func records(forDevice device: DeviceKey) throws(DeviceRegistryError) -> [DeviceRecord] { throw DeviceRegistryError("down") }
    func save(_ record: DeviceRecord) throws(DeviceRegistryError) { throw DeviceRegistryError("down") }
    func remove(device: DeviceKey, account: String) throws(DeviceRegistryError) { throw DeviceRegistryError("down") }
    func removeRecords(lastSeenBefore cutoff: Timestamp) throws(DeviceRegistryError) -> Int { throw DeviceRegistryError("down") }
    func count() throws(DeviceRegistryError) -> Int { throw DeviceRegistryError("down") }
}

func uuid(_ n: Int) -> ClientIdentity {
    ClientIdentity(type: "UUID", token: "00000000-0000-4000-8000-\(String(repeating: "0", count: 12 - String(n).count))\(n)")
}

/// A fake credential store: "test" / "1234" and a few more, all with the same password.
let passwords: [String: String] = ["test": "1234", "alice@example.com": "1234", "bob@example.com": "1234"]

/// Runs a client script against a session and the engine, as the server would:
/// credentials are checked first, then the policy decides (D17), and the session
/// gets only accepted / rejected (D18). Returns every action the session emitted.
/// What a conversation produced: the session's actions and the engine's decisions.
struct Conversation {
    var actions: [Action] = []
    var decisions: [AuthenticationDecision] = []
}

func converse(
    _ lines: [String], engine: ClientIDPolicyEngine, address: IPAddress = home, connection: UInt64 = 1000,
    configuration: Configuration = {
        var c = Configuration()
        c.hostname = "server.example.com"
        return c
    }()
) -> Conversation {
    var session = SMTPSession(configuration: configuration)
    let id = ConnectionID(connection)
    _ = engine.connectionOpened(id, address: address)
    defer { engine.connectionClosed(id) }
    var conversation = Conversation()
    var queue = (try? session.start()) ?? []
    func drain() {
        while !queue.isEmpty {
            let action = queue.removeFirst()
            if case .reading = action { continue }  // the driver's deadlines
            conversation.actions.append(action)
            switch action {
            case .startTLS:
                queue += (try? session.tlsEstablished()) ?? []
            case .checkCredentials(let request):
                let valid = passwords[request.username].map { Array($0.utf8) == request.password } ?? false
                let decision = engine.authenticate(
                    AuthenticationAttempt(
                        connection: id, account: request.username, credentialsValid: valid,
                        identity: request.clientIdentity, address: address))
                conversation.decisions.append(decision)
                queue += (try? session.credentialsChecked(AuthenticationOutcome(decision))) ?? []
            case .clientIdentified(let identity):
                _ = engine.clientIdentified(id, identity: identity)
            case .clientIdentityDiscarded:
                engine.clientIdentityDiscarded(id)
            case .deliver:
                queue += (try? session.deliveryFinished(.stored(queueID: nil))) ?? []
            default:
                break
            }
        }
    }
    drain()
    for line in lines {
        queue += session.receive(Array(line.utf8) + [13, 10])
        drain()
    }
    return conversation
}

func plainResponse(_ user: String, _ password: String) -> String {
    let bytes = Array("\0\(user)\0\(password)".utf8)
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

/// Thunderbird's sequence (D22): EHLO, STARTTLS, EHLO, CLIENTID UUID <36-char UUID>, AUTH PLAIN.
func thunderbird(uuid: String = "23bf83be-aad7-46aa-9e0f-39191ccf402f", user: String = "test", password: String = "1234")
    -> [String]
{
    [
        "EHLO [192.168.1.20]", "STARTTLS", "EHLO [192.168.1.20]", "CLIENTID UUID \(uuid)",
        "AUTH PLAIN \(plainResponse(user, password))",
        "MAIL FROM:<\(user)@example.com>", "RCPT TO:<friend@example.net>", "DATA", "Subject: hi", "", "hello", ".", "QUIT",
    ]
}

func replies(_ actions: [Action]) -> [Reply] { actions.compactMap { if case .send(let r) = $0 { r } else { nil } } }

/// The actions answering the AUTH line: from the check up to the next reply.
func authAnswer(_ actions: [Action]) -> [Action] {
    guard let start = actions.firstIndex(where: { if case .checkCredentials = $0 { true } else { false } }) else { return [] }
    var out: [Action] = []
    for action in actions[(start + 1)...] {
        out.append(action)
        if case .send = action { break }
    }
    return out
}

typealias Configuration = SMTPSession.Configuration
