// The CLIENTID policy engine (draft §6.1, §6.3, §7; D17–D21), and the one owner
// of every count that spans connections (docs/server.md, "Who counts what"):
// connections per address, AUTH failures per address and per account (the
// brute-force throttle), and, through its `DeviceSessionStore`, authenticated
// sessions per device and failures per account and device.
//
// - Decisions happen at AUTH only (D17): `authenticate` is called with the
//   outcome of the password check, and a refusal is reported exactly like a wrong
//   password (D18): the caller answers `535 5.7.8` after the delay the decision
//   gives. The rule that fired goes to the audit events only.
// - The identity is a claim made by the client; per-device limits apply in
//   addition to per-IP limits, never instead of them (D21), and count only what
//   an authenticated account did: a client that merely claims a token holds no
//   session of it and adds no failure to its owner's count.
// - The raw token reaches a log only when the operator opts in
//   (`privacy.logRawTokens`), and then only through the type's flags (D19, D20);
//   otherwise events carry the device's keyed fingerprint. The registry sees
//   keyed hashes only.
//
// Thread-safe: one engine serves every connection. Calls that touch the registry
// may block on its storage: call them where blocking is allowed. The in-memory
// state has its own lock, never held across a registry call, so the calls a
// server makes on its event loop (`connectionOpened`, `clientIdentified`, ...) do
// not wait for a slow registry behind an AUTH decision. AUTH decisions are
// serialized by a second lock (each reads the registry, then writes it).

import Synchronization

/// Identifies one connection to the engine (the server's own counter).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "#\(rawValue)" }
}

/// An AUTH attempt, after the credentials were checked.
public struct AuthenticationAttempt: Sendable, Equatable {
    public var connection: ConnectionID
    /// The account name as the credential store knows it.
    public var account: String
    /// The password check's result. Always check it, also when policy will refuse:
    /// both outcomes must take the same time (D18).
    public var credentialsValid: Bool
    /// The identity of the accepted CLIENTID, if any (`AuthenticationRequest.clientIdentity`).
    public var identity: ClientIdentity?
    public var address: IPAddress

    public init(connection: ConnectionID, account: String, credentialsValid: Bool, identity: ClientIdentity?, address: IPAddress)
    {
        self.connection = connection
        self.account = account
        self.credentialsValid = credentialsValid
        self.identity = identity
        self.address = address
    }
}

/// The engine's answer to an attempt.
public struct AuthenticationDecision: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// `235`.
        case allow
        /// `535 5.7.8` after `delay`, whatever the reason (D18).
        case reject
        /// Refused, and the address reached its failure limit: `421 4.7.0` after `delay`, close.
        case tooManyFailures
        /// `454 4.7.0`: a rule that needs the registry could not read or write it.
        case temporaryFailure
    }

    public var verdict: Verdict
    /// Why it was refused: for the audit log only, never for the client (D18).
    public var rule: PolicyRule?
    public var events: [AuditEvent]
    /// The wait before the reply to a refusal: the base delay doubled per recent failure
    /// of the address or the account (`AuthThrottle`).
    public var delay: Duration = .zero
    /// The registry failed, but no rule of the policy needed it: the attempt was decided
    /// without it. The driver logs it.
    public var registryFailure: DeviceRegistryError?

    public var allowed: Bool { verdict == .allow }
}

/// Whether a connection may open (`ClientIDPolicyEngine.connectionOpened`).
public enum ConnectionAdmission: Sendable, Equatable {
    case accepted
    /// Over `limits.perIP.maxConnections` (D21): refuse it with `421 4.7.0` before the greeting.
    case tooManyFromAddress
}

/// Whether an AUTH attempt may be checked at all (`ClientIDPolicyEngine.admission`).
public enum AuthenticationAdmission: Sendable, Equatable {
    case check
    /// The address is over its failure limit: answer `421 4.7.0` after `delay` and close,
    /// without checking the password (a locked-out guess costs no hashing).
    case lockedOut(delay: Duration)
}

public final class ClientIDPolicyEngine: Sendable {
    struct Connection: Sendable {
        var address: IPAddress
        /// The device of an authenticated session this connection holds (D21).
        var heldDevice: DeviceKey?
    }

    struct State: Sendable {
        var configuration: PolicyConfiguration
        var connections: [ConnectionID: Connection] = [:]
        var addressConnections: [IPAddress: Int] = [:]
        var addressFailures = FailureLog<IPAddress>()
        var accountFailures = FailureLog<String>()
    }

    let state: Mutex<State>
    /// Held for a whole AUTH decision (registry reads, the decision, registry
    /// writes), so that two decisions about one device do not interleave.
    /// Never taken by the connection calls, and `state` is never held across
    /// a registry call.
    let decisions = Mutex<Void>(())
    let registry: any DeviceRegistry
    /// Authenticated sessions and failures per device: the shared registry itself, or memory.
    let sessions: any DeviceSessionStore
    let keys: any DeviceKeyDerivation
    let throttle: AuthThrottle
    let clock: any PolicyClock

    public init(
        configuration: PolicyConfiguration = PolicyConfiguration(), registry: any DeviceRegistry,
        keys: any DeviceKeyDerivation, throttle: AuthThrottle = AuthThrottle(), clock: any PolicyClock = SystemClock()
    ) {
        state = Mutex(State(configuration: configuration))
        self.registry = registry
        sessions = (registry as? any SharedDeviceState) ?? InMemoryDeviceSessions()
        self.keys = keys
        self.throttle = throttle
        self.clock = clock
    }

    public var configuration: PolicyConfiguration { state.withLock { $0.configuration } }

    /// The registry it was made with (the server closes a shared one when it stops).
    public var deviceRegistry: any DeviceRegistry { registry }

    /// Replaces the policy (a reloaded file); counters and connections stay.
    public func update(configuration: PolicyConfiguration) {
        state.withLock { $0.configuration = configuration }
    }

    // MARK: Connections

    /// A connection opens. Counted against `limits.perIP.maxConnections` (D21) only when
    /// accepted; a refused one needs no `connectionClosed`.
    public func connectionOpened(_ connection: ConnectionID, address: IPAddress) -> ConnectionAdmission {
        state.withLock { state in
            let limit = state.configuration.limits.perIP.maxConnections
            let open = state.addressConnections[address, default: 0]
            if limit > 0 && open >= limit { return .tooManyFromAddress }
            state.connections[connection] = Connection(address: address)
            state.addressConnections[address] = open + 1
            return .accepted
        }
    }

    /// A CLIENTID was accepted on `connection` (the session's `clientIdentified` action).
    /// Never refuses (D17) and counts nothing (a claim is not a session); returns the
    /// events to log.
    public func clientIdentified(_ connection: ConnectionID, identity: ClientIdentity) -> [AuditEvent] {
        let now = clock.now()
        return state.withLock { state in
            let flags = state.configuration.types.flags(for: identity.type)
            if flags.contains(.ignore) { return [] }
            let privacy = state.configuration.privacy
            let fingerprint = keys.key(for: identity).fingerprint
            let address = state.connections[connection]?.address
            func event(_ destination: AuditEvent.Destination) -> AuditEvent {
                AuditEvent(
                    destination: destination, kind: .clientIdentified, time: now, account: nil, address: address,
                    identityType: identity.type,
                    token: privacy.logsToken(destination, flags: flags) ? identity.token : nil,
                    deviceFingerprint: fingerprint, rule: nil)
            }
            return flags.contains(.debug) ? [event(.system), event(.debug)] : [event(.system)]
        }
    }

    /// The identity no longer applies to the connection (the session's
    /// `clientIdentityDiscarded`, D14): its device session ends.
    public func clientIdentityDiscarded(_ connection: ConnectionID) {
        let held = state.withLock { state -> Bool in
            guard state.connections[connection]?.heldDevice != nil else { return false }
            state.connections[connection]?.heldDevice = nil
            return true
        }
        if held { sessions.releaseSession(connection: connection) }
    }

    public func connectionClosed(_ connection: ConnectionID) {
        let held = state.withLock { state -> Bool in
            guard let c = state.connections.removeValue(forKey: connection) else { return false }
            state.addressConnections[c.address, default: 1] -= 1
            if state.addressConnections[c.address] == 0 { state.addressConnections[c.address] = nil }
            return c.heldDevice != nil
        }
        if held { sessions.releaseSession(connection: connection) }
    }

    // MARK: AUTH

    /// Before the password check: an address over `limits.perIP.maxAuthFailures` within
    /// the window is locked out. Keyed by address only, never by an account name or a
    /// device a client merely claims, so that nobody can lock another client out.
    public func admission(address: IPAddress) -> AuthenticationAdmission {
        let now = clock.now()
        return state.withLock { state in
            let limits = state.configuration.limits.perIP
            let failures = state.addressFailures.count(address, since: now - limits.window)
            guard limits.maxAuthFailures > 0, failures >= limits.maxAuthFailures else { return .check }
            return .lockedOut(delay: throttle.delay(afterFailures: failures))
        }
    }

    /// Decides an AUTH attempt whose credentials were already checked (D17, D18).
    public func authenticate(_ attempt: AuthenticationAttempt) -> AuthenticationDecision {
        let now = clock.now()
        return decisions.withLock { _ in evaluate(attempt, now: now) }
    }

    // MARK: Upkeep

    /// Removes registry records older than `registry.maxAge` and forgets expired
    /// failures. Call it now and then (hourly). Returns the records removed.
    @discardableResult
    public func removeExpired() throws(DeviceRegistryError) -> Int {
        let now = clock.now()
        let (maxAge, longestWindow) = state.withLock { state in
            let c = state.configuration
            return (c.registry.maxAge, max(c.limits.perIP.window, c.limits.perDevice.window))
        }
        state.withLock { state in
            state.addressFailures.prune(before: now - longestWindow)
            state.accountFailures.prune(before: now - longestWindow)
        }
        return try registry.removeRecords(lastSeenBefore: now - maxAge)
    }

    /// Keys the failure logs hold now (the server's upkeep logs it; tests check the bound).
    public var trackedFailureKeys: Int { state.withLock { $0.addressFailures.keyCount + $0.accountFailures.keyCount } }
}
