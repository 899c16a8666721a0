// The CLIENTID policy engine (draft §6.1, §6.3, §7; D17–D21).
//
// - Decisions happen at AUTH only (D17): `authenticate` is called with the
//   outcome of the password check, and a refusal is reported exactly like a wrong
//   password (D18): the caller answers `535 5.7.8` after the usual delay. The rule
//   that fired goes to the audit events only.
// - The identity is a claim made by the client; per-device limits apply in
//   addition to per-IP limits, never instead of them (D21).
// - The raw token reaches a log only through the type's flags (D19, D20); the
//   registry sees keyed hashes only.
//
// Thread-safe: one engine serves every connection. Calls that touch the registry
// may block on its storage: call them where blocking is allowed (the session
// already treats credential checks as slow actions). The in-memory state has
// its own lock, never held across a registry call, so the calls a server makes
// on its event loop (`connectionOpened`, `clientIdentified`, ...) do not wait
// for a slow registry behind an AUTH decision. AUTH decisions are serialized
// by a second lock (each reads the registry, then writes it).

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
        /// `535 5.7.8` after the usual delay, whatever the reason (D18).
        case reject
        /// `454 4.7.0`: the registry could not be used.
        case temporaryFailure
    }

    public var verdict: Verdict
    /// Why it was refused: for the audit log only, never for the client (D18).
    public var rule: PolicyRule?
    public var events: [AuditEvent]

    public var allowed: Bool { verdict == .allow }
}

public final class ClientIDPolicyEngine: Sendable {
    struct Connection: Sendable {
        var address: IPAddress
        var device: DeviceKey?
        /// It holds a session of its device in a shared registry (SharedDeviceState).
        var holdsSession = false
    }

    struct State: Sendable {
        var configuration: PolicyConfiguration
        var connections: [ConnectionID: Connection] = [:]
        var ipConnections: [IPAddress: Int] = [:]
        var deviceConnections: [DeviceKey: Int] = [:]
        var ipFailures = FailureLog<IPAddress>()
        var deviceFailures = FailureLog<DeviceKey>()
    }

    private let state: Mutex<State>
    /// Held for a whole AUTH decision (registry reads, the decision, registry
    /// writes), so that two decisions about one device do not interleave.
    /// Never taken by the connection calls, and `state` is never held across
    /// a registry call.
    private let decisions = Mutex<Void>(())
    private let registry: any DeviceRegistry
    /// The same registry when several servers share it: per-device limits are then counted there.
    private let shared: (any SharedDeviceState)?
    private let keys: any DeviceKeyDerivation
    private let clock: any PolicyClock

    public init(
        configuration: PolicyConfiguration = PolicyConfiguration(), registry: any DeviceRegistry,
        keys: any DeviceKeyDerivation, clock: any PolicyClock = SystemClock()
    ) {
        state = Mutex(State(configuration: configuration))
        self.registry = registry
        self.shared = registry as? any SharedDeviceState
        self.keys = keys
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

    /// Registers a connection. Returns false when its address is over the per-IP
    /// connection limit (D21): the server may refuse it with `421` at once; AUTH
    /// on it would be refused anyway.
    @discardableResult
    public func connectionOpened(_ connection: ConnectionID, address: IPAddress) -> Bool {
        state.withLock { state in
            state.connections[connection] = Connection(address: address, device: nil)
            state.ipConnections[address, default: 0] += 1
            let limit = state.configuration.limits.perIP.maxConnections
            return limit == 0 || state.ipConnections[address]! <= limit
        }
    }

    /// A CLIENTID was accepted on `connection` (the session's `clientIdentified` action).
    /// Never refuses (D17); returns the events to log.
    public func clientIdentified(_ connection: ConnectionID, identity: ClientIdentity) -> [AuditEvent] {
        let now = clock.now()
        return state.withLock { state in
            let flags = state.configuration.types.flags(for: identity.type)
            if flags.contains(.ignore) { return [] }
            let device = keys.key(for: identity)
            if flags.usedForPolicy, var c = state.connections[connection] {
                if let old = c.device { state.deviceConnections[old, default: 1] -= 1 }
                c.device = device
                state.connections[connection] = c
                state.deviceConnections[device, default: 0] += 1
            }
            let address = state.connections[connection]?.address
            var events = [
                AuditEvent(
                    destination: .system, kind: .clientIdentified, time: now, account: nil, address: address,
                    identityType: identity.type, token: flags.contains(.systemLog) ? identity.token : nil,
                    deviceFingerprint: device.fingerprint, rule: nil)
            ]
            if flags.contains(.debug) {
                events.append(
                    AuditEvent(
                        destination: .debug, kind: .clientIdentified, time: now, account: nil, address: address,
                        identityType: identity.type, token: identity.token, deviceFingerprint: device.fingerprint, rule: nil))
            }
            return events
        }
    }

    /// The identity no longer applies to the connection (the session's `clientIdentityDiscarded`, D14).
    public func clientIdentityDiscarded(_ connection: ConnectionID) {
        let held = state.withLock { state -> Bool in
            guard var c = state.connections[connection], let device = c.device else { return false }
            state.deviceConnections[device, default: 1] -= 1
            if state.deviceConnections[device] == 0 { state.deviceConnections[device] = nil }
            defer {
                c.device = nil
                c.holdsSession = false
                state.connections[connection] = c
            }
            return c.holdsSession
        }
        if held { shared?.releaseSession(connection: connection) }
    }

    public func connectionClosed(_ connection: ConnectionID) {
        let held = state.withLock { state -> Bool in
            guard let c = state.connections.removeValue(forKey: connection) else { return false }
            state.ipConnections[c.address, default: 1] -= 1
            if state.ipConnections[c.address] == 0 { state.ipConnections[c.address] = nil }
            if let device = c.device {
                state.deviceConnections[device, default: 1] -= 1
                if state.deviceConnections[device] == 0 { state.deviceConnections[device] = nil }
            }
            return c.holdsSession
        }
        if held { shared?.releaseSession(connection: connection) }
    }

    // MARK: AUTH

    /// Decides an AUTH attempt whose credentials were already checked (D17, D18).
    public func authenticate(_ attempt: AuthenticationAttempt) -> AuthenticationDecision {
        let now = clock.now()
        return decisions.withLock { _ in evaluate(attempt, now: now) }
    }

    /// Called with `decisions` held; takes `state` only for short in-memory reads and writes.
    private func evaluate(_ attempt: AuthenticationAttempt, now: Timestamp) -> AuthenticationDecision {
        let configuration = state.withLock { $0.configuration }
        let flags = attempt.identity.map { configuration.types.flags(for: $0.type) } ?? []
        // Draft §7 flag 1: an ignored identity is as if never presented, even in logs.
        let presented = flags.contains(.ignore) ? nil : attempt.identity
        // Flags 1, 2 and 5: only these identities take part in decisions.
        let used = flags.usedForPolicy ? attempt.identity : nil
        let device = used.map { keys.key(for: $0) }
        let network = attempt.address.network(
            ipv4PrefixLength: configuration.distantNetworks.ipv4PrefixLength,
            ipv6PrefixLength: configuration.distantNetworks.ipv6PrefixLength)

        var rule: PolicyRule?
        func refuse(_ r: PolicyRule) { if rule == nil { rule = r } }
        // D3: types compare after folding; configurations built in code may not be folded.
        let fold = ClientIdentity.foldType

        if !attempt.credentialsValid { refuse(.invalidCredentials) }

        // The in-memory counters this decision reads, in one short look.
        let ipLimits = configuration.limits.perIP
        let deviceLimits = configuration.limits.perDevice
        let (registered, ipConnections, ipFailures, deviceConnections, deviceFailures) = state.withLock { state in
            (
                state.connections[attempt.connection], state.ipConnections[attempt.address, default: 0],
                state.ipFailures.count(attempt.address, since: now - ipLimits.window),
                device.map { state.deviceConnections[$0, default: 0] } ?? 0,
                device.map { state.deviceFailures.count($0, since: now - deviceLimits.window) } ?? 0
            )
        }

        // D21: per-IP limits always apply.
        if ipLimits.maxConnections > 0,
            ipConnections + (registered?.address == attempt.address ? 0 : 1) > ipLimits.maxConnections
        {
            refuse(.ipConnectionLimit)
        }
        if ipLimits.maxAuthFailures > 0, ipFailures >= ipLimits.maxAuthFailures {
            refuse(.ipFailureLimit)
        }

        // Draft §6.1 item 1 (use case 4 with allowTokens, use case 5).
        let requirement = configuration.requireClientID
        if requirement.enabled,
            used == nil || (!requirement.types.isEmpty && !requirement.types.contains { fold($0) == used!.type })
        {
            refuse(.clientIDRequired)
        }

        if let id = used, let device {
            // Draft §6.1 items 2 and 3.
            let acl = configuration.acl
            if acl.denyTypes.contains(where: { fold($0) == id.type }) { refuse(.typeDenied) }
            if !acl.allowTypes.isEmpty && !acl.allowTypes.contains(where: { fold($0) == id.type }) { refuse(.typeNotAllowed) }
            let denied = acl.denyTokens.filter { fold($0.key) == id.type }.values.joined()
            if denied.contains(id.token) { refuse(.tokenDenied) }
            let allowLists = acl.allowTokens.filter { fold($0.key) == id.type }
            if !allowLists.isEmpty && !allowLists.values.joined().contains(id.token) { refuse(.tokenNotAllowed) }
            // Draft §6.1 item 4: temporary or permanent revocation.
            if configuration.revocations.contains(where: { r in
                fold(r.type) == id.type && (r.token == nil || r.token == id.token) && (r.until.map { now < $0 } ?? true)
            }) {
                refuse(.revoked)
            }
            // Use case 6, D21: per-device limits, in addition to the per-IP ones above.
            // A shared registry counts them across servers: connections there are
            // authenticated sessions, held below (after every other rule passed).
            if shared == nil, deviceLimits.maxConnections > 0,
                deviceConnections + (registered?.device == device ? 0 : 1) > deviceLimits.maxConnections
            {
                refuse(.deviceConnectionLimit)
            }
            if deviceLimits.maxAuthFailures > 0 {
                let failures: Int
                if let shared {
                    do throws(DeviceRegistryError) {
                        failures = try shared.failureCount(device: device, since: now - deviceLimits.window)
                    } catch {
                        return unavailable(attempt, presented: presented, flags: flags, now: now)
                    }
                } else {
                    failures = deviceFailures
                }
                if failures >= deviceLimits.maxAuthFailures { refuse(.deviceFailureLimit) }
            }
        }

        // What the registry knows.
        var deviceRecords: [DeviceRecord] = []
        var accountRecords: [DeviceRecord] = []
        do throws(DeviceRegistryError) {
            if let device { deviceRecords = try registry.records(forDevice: device) }
            if configuration.devices.mode == .learn { accountRecords = try registry.records(forAccount: attempt.account) }
        } catch {
            return unavailable(attempt, presented: presented, flags: flags, now: now)
        }

        if device != nil {
            // Use case 2: one device, many accounts.
            let shared = configuration.sharedToken
            if shared.maxAccounts > 0 {
                var accounts = Set(deviceRecords.filter { $0.lastSeen >= now - shared.window }.map(\.account))
                accounts.insert(attempt.account)
                if accounts.count > shared.maxAccounts { refuse(.sharedToken) }
            }
            // Draft §6.2 item 4: one device cannot be on two distant networks at once.
            let distant = configuration.distantNetworks
            if distant.enabled, let last = deviceRecords.max(by: { $0.lastSeen < $1.lastSeen }),
                last.lastSeen >= now - distant.window, let lastNetwork = last.lastNetwork, lastNetwork != network
            {
                refuse(.distantNetworks)
            }
        }

        // Draft §6.1 item 5, use cases 1 and 3: the account's devices.
        var learnDevice = false
        let binding = configuration.devices
        let listed = binding.accounts[attempt.account].map { Set($0.map { keys.key(for: $0.identity) }) }
        switch binding.mode {
        case .off:
            break
        case .listed:
            if let listed, device.map({ !listed.contains($0) }) ?? true { refuse(.deviceNotListed) }
        case .learn:
            let trusted = accountRecords.filter(\.trusted)
            let known = device.map { d in listed?.contains(d) == true || trusted.contains { $0.device == d } } ?? false
            if !known {
                let belowCount = binding.maxDevices.map { trusted.count < $0 } ?? true
                let inPeriod =
                    binding.learningPeriod.map { period in
                        trusted.map(\.firstSeen).min().map { now < $0 + period } ?? true
                    } ?? true
                if belowCount && inPeriod {
                    learnDevice = device != nil
                } else {
                    refuse(.deviceNotLearned)
                }
            }
        }

        // A shared registry: take one of the device's sessions, atomically across servers,
        // only when everything else allows the attempt (a refused one holds nothing).
        var tookHold = false
        if rule == nil, let shared, let device, deviceLimits.maxConnections > 0, registered?.holdsSession != true {
            do throws(DeviceRegistryError) {
                if registered == nil {
                    // Not registered with connectionOpened: nothing would release a hold; only count.
                    if try shared.sessionCount(device: device) >= deviceLimits.maxConnections { refuse(.deviceConnectionLimit) }
                } else if try shared.holdSession(
                    device: device, connection: attempt.connection, limit: deviceLimits.maxConnections)
                {
                    state.withLock { $0.connections[attempt.connection]?.holdsSession = true }
                    tookHold = true
                } else {
                    refuse(.deviceConnectionLimit)
                }
            } catch {
                return unavailable(attempt, presented: presented, flags: flags, now: now)
            }
        }

        let allowed = rule == nil

        // Effects: failure windows, then the registry.
        if !allowed {
            state.withLock { state in
                state.ipFailures.add(attempt.address, at: now, keeping: max(ipLimits.maxAuthFailures, 1))
                if let device { state.deviceFailures.add(device, at: now, keeping: max(deviceLimits.maxAuthFailures, 1)) }
            }
            if let device {
                if let shared, deviceLimits.maxAuthFailures > 0 {
                    do throws(DeviceRegistryError) {
                        try shared.recordFailure(device: device, at: now, forgettingBefore: now - deviceLimits.window)
                    } catch {
                        return unavailable(attempt, presented: presented, flags: flags, now: now)
                    }
                }
            }
        }
        var learned = false
        if let device {
            var record =
                deviceRecords.first { $0.account == attempt.account }
                ?? DeviceRecord(
                    device: device, account: attempt.account, firstSeen: now, lastSeen: now, lastNetwork: network, trusted: false)
            record.lastSeen = now
            record.lastNetwork = network
            if allowed && learnDevice && !record.trusted {
                record.trusted = true
                learned = true
            }
            do throws(DeviceRegistryError) {
                try registry.save(record)
            } catch {
                // Not authenticated after all (454): the place it took is given back.
                if tookHold {
                    state.withLock { $0.connections[attempt.connection]?.holdsSession = false }
                    shared?.releaseSession(connection: attempt.connection)
                }
                return unavailable(attempt, presented: presented, flags: flags, now: now)
            }
        }

        var events: [AuditEvent] = []
        let kind: AuditEvent.Kind = allowed ? .authenticationSucceeded : .authenticationFailed
        let fingerprint = presented.map { keys.key(for: $0).fingerprint }
        func event(_ destination: AuditEvent.Destination, _ kind: AuditEvent.Kind, token: Bool, rule: PolicyRule?) -> AuditEvent {
            AuditEvent(
                destination: destination, kind: kind, time: now, account: attempt.account, address: attempt.address,
                identityType: presented?.type, token: token ? presented?.token : nil,
                deviceFingerprint: fingerprint, rule: rule)
        }
        events.append(event(.system, kind, token: flags.contains(.systemLog), rule: rule))
        if presented != nil {
            if flags.contains(.userLog) { events.append(event(.user, kind, token: true, rule: nil)) }
            if flags.contains(.debug) { events.append(event(.debug, kind, token: true, rule: rule)) }
            if !allowed && flags.contains(.alertOnFailure) { events.append(event(.alert, kind, token: false, rule: rule)) }
            if allowed && flags.contains(.alertOnSuccess) { events.append(event(.alert, kind, token: false, rule: nil)) }
        }
        if learned {
            events.append(event(.system, .deviceLearned, token: flags.contains(.systemLog), rule: nil))
            if flags.contains(.userLog) { events.append(event(.user, .deviceLearned, token: true, rule: nil)) }
        }
        return AuthenticationDecision(verdict: allowed ? .allow : .reject, rule: rule, events: events)
    }

    private func unavailable(
        _ attempt: AuthenticationAttempt, presented: ClientIdentity?, flags: ClientIDTypeFlags,
        now: Timestamp
    ) -> AuthenticationDecision {
        AuthenticationDecision(
            verdict: .temporaryFailure, rule: .registryUnavailable,
            events: [
                AuditEvent(
                    destination: .system, kind: .authenticationFailed, time: now, account: attempt.account,
                    address: attempt.address,
                    identityType: presented?.type, token: flags.contains(.systemLog) ? presented?.token : nil,
                    deviceFingerprint: presented.map { keys.key(for: $0).fingerprint }, rule: .registryUnavailable)
            ])
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
            state.ipFailures.prune(before: now - longestWindow)
            state.deviceFailures.prune(before: now - longestWindow)
        }
        return try registry.removeRecords(lastSeenBefore: now - maxAge)
    }
}

/// Recent failure times per key, bounded in keys and in times per key.
struct FailureLog<Key: Hashable & Sendable>: Sendable {
    private(set) var times: [Key: [Timestamp]] = [:]
    let maxKeys: Int

    init(maxKeys: Int = 65_536) { self.maxKeys = maxKeys }

    func count(_ key: Key, since: Timestamp) -> Int {
        times[key]?.reduce(0) { $0 + ($1 >= since ? 1 : 0) } ?? 0
    }

    /// Keeps the newest `keeping` times: enough to know whether a limit is reached.
    mutating func add(_ key: Key, at time: Timestamp, keeping: Int) {
        var list = times[key] ?? []
        list.append(time)
        if list.count > keeping { list.removeFirst(list.count - keeping) }
        times[key] = list
        if times.count > maxKeys {
            // Drop the keys whose last failure is oldest.
            let victims = times.sorted { ($0.value.last ?? time) < ($1.value.last ?? time) }.prefix(
                times.count - maxKeys + maxKeys / 8)
            for (k, _) in victims { times[k] = nil }
        }
    }

    mutating func prune(before cutoff: Timestamp) {
        times = times.compactMapValues { list in
            let kept = list.filter { $0 >= cutoff }
            return kept.isEmpty ? nil : kept
        }
    }
}
