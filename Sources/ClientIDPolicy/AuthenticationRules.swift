// One AUTH decision: the rules of draft §6.1 and §6.2 in order, the per-address,
// per-account and per-device counts, and what the registry learns from it.

extension ClientIDPolicyEngine {
    /// Called with `decisions` held; takes `state` only for short in-memory reads and writes.
    func evaluate(_ attempt: AuthenticationAttempt, now: Timestamp) -> AuthenticationDecision {
        let configuration = state.withLock { $0.configuration }
        let flags = attempt.identity.map { configuration.types.flags(for: $0.type) } ?? []
        // Draft §7 flag 1: an ignored identity is as if never presented, even in logs.
        let presented = flags.contains(.ignore) ? nil : attempt.identity
        // Flags 1, 2 and 5: only these identities take part in decisions.
        let used = flags.usedForPolicy ? attempt.identity : nil
        let device = used.map { keys.key(for: $0) }
        // What one account did with the device: the key of per-device failures (D21).
        let accountDevice = used.map { keys.key(for: $0, account: attempt.account) }
        let network = attempt.address.network(
            ipv4PrefixLength: configuration.distantNetworks.ipv4PrefixLength,
            ipv6PrefixLength: configuration.distantNetworks.ipv6PrefixLength)
        let needsRegistry = configuration.dependsOnRegistry(sharedSessions: sessions is any SharedDeviceState)
        let deviceLimits = configuration.limits.perDevice

        var rule: PolicyRule?
        func refuse(_ r: PolicyRule) { if rule == nil { rule = r } }
        // D3: types compare after folding; configurations built in code may not be folded.
        let fold = ClientIdentity.foldType
        func unavailable() -> AuthenticationDecision {
            decision(
                .temporaryFailure, rule: .registryUnavailable, attempt, presented, flags, configuration.privacy, now,
                learned: false)
        }

        if !attempt.credentialsValid { refuse(.invalidCredentials) }
        // D21: the address's failure limit applies whatever the device (the server asks
        // `admission` first, to save the hash; this holds for attempts that raced it).
        let ipLimits = configuration.limits.perIP
        let lockedOutAlready = state.withLock { state in
            ipLimits.maxAuthFailures > 0
                && state.addressFailures.count(attempt.address, since: now - ipLimits.window) >= ipLimits.maxAuthFailures
        }
        if lockedOutAlready { refuse(.ipFailureLimit) }

        // Draft §6.1 item 1 (use case 4 with allowTokens, use case 5).
        let requirement = configuration.requireClientID
        if requirement.enabled,
            used == nil || (!requirement.types.isEmpty && !requirement.types.contains { fold($0) == used!.type })
        {
            refuse(.clientIDRequired)
        }

        if let id = used {
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
            // Use case 6, D21: this account's recent failures with this device.
            if deviceLimits.maxAuthFailures > 0, let accountDevice {
                do throws(DeviceRegistryError) {
                    let failures = try sessions.failureCount(device: accountDevice, since: now - deviceLimits.window)
                    if failures >= deviceLimits.maxAuthFailures { refuse(.deviceFailureLimit) }
                } catch {
                    return unavailable()
                }
            }
        }

        // What the registry knows: read only for the rules that need it.
        var deviceRecords: [DeviceRecord] = []
        var accountRecords: [DeviceRecord] = []
        do throws(DeviceRegistryError) {
            if let device, configuration.sharedToken.maxAccounts > 0 || configuration.distantNetworks.enabled {
                deviceRecords = try registry.records(forDevice: device)
            }
            if configuration.devices.mode == .learn { accountRecords = try registry.records(forAccount: attempt.account) }
        } catch {
            return unavailable()
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

        // Use case 6, D21: one of the device's sessions, taken atomically (across servers
        // for a shared store) and only when everything else allows the attempt: a refused
        // or unauthenticated client holds nothing.
        let holder = state.withLock { $0.connections[attempt.connection] }
        var tookHold = false
        if rule == nil, let device, deviceLimits.maxConnections > 0, holder?.heldDevice != device {
            do throws(DeviceRegistryError) {
                if holder == nil {
                    // Not registered with connectionOpened: nothing would release a hold; only count.
                    if try sessions.sessionCount(device: device) >= deviceLimits.maxConnections { refuse(.deviceConnectionLimit) }
                } else if try sessions.holdSession(
                    device: device, connection: attempt.connection, limit: deviceLimits.maxConnections)
                {
                    state.withLock { $0.connections[attempt.connection]?.heldDevice = device }
                    tookHold = true
                } else {
                    refuse(.deviceConnectionLimit)
                }
            } catch {
                return unavailable()
            }
        }
        let allowed = rule == nil

        // The counts: failures of the address and the account (the throttle), and of this
        // account with this device.
        if !allowed, let accountDevice, deviceLimits.maxAuthFailures > 0 {
            do throws(DeviceRegistryError) {
                try sessions.recordFailure(device: accountDevice, at: now, forgettingBefore: now - deviceLimits.window)
            } catch {
                return unavailable()
            }
        }
        let failures = state.withLock { state -> Int in
            guard !allowed else {
                state.accountFailures.forget(attempt.account)  // a user who mistyped is not slowed down later
                return 0
            }
            let keep = max(ipLimits.maxAuthFailures, 16) + 1  // the lockout and 16 doublings of the delay
            state.addressFailures.add(attempt.address, at: now, keeping: keep)
            state.accountFailures.add(attempt.account, at: now, keeping: keep)
            let since = now - ipLimits.window
            return max(
                state.addressFailures.count(attempt.address, since: since),
                state.accountFailures.count(attempt.account, since: since))
        }
        let addressLockedOut = state.withLock { state in
            ipLimits.maxAuthFailures > 0
                && state.addressFailures.count(attempt.address, since: now - ipLimits.window) >= ipLimits.maxAuthFailures
        }

        // The registry remembers the device for the account (lastSeen, network, learned trust).
        var learned = false
        var registryFailure: DeviceRegistryError?
        if let device {
            do throws(DeviceRegistryError) {
                var record =
                    try registry.record(device: device, account: attempt.account)
                    ?? DeviceRecord(
                        device: device, account: attempt.account, firstSeen: now, lastSeen: now, lastNetwork: network,
                        trusted: false)
                record.lastSeen = now
                record.lastNetwork = network
                if allowed && learnDevice && !record.trusted {
                    record.trusted = true
                    learned = true
                }
                try registry.save(record)
            } catch {
                guard !needsRegistry else {
                    // Not authenticated after all (454): the place it took is given back.
                    if tookHold {
                        state.withLock { $0.connections[attempt.connection]?.heldDevice = nil }
                        sessions.releaseSession(connection: attempt.connection)
                    }
                    return unavailable()
                }
                // No rule of this policy needs the registry: the attempt is decided without it.
                registryFailure = error
                learned = false
            }
        }

        let verdict: AuthenticationDecision.Verdict = allowed ? .allow : addressLockedOut ? .tooManyFailures : .reject
        var result = decision(verdict, rule: rule, attempt, presented, flags, configuration.privacy, now, learned: learned)
        result.delay = throttle.delay(afterFailures: failures)
        result.registryFailure = registryFailure
        return result
    }

    /// The decision with its audit events (D19, D20: the token only where the privacy setting and the flags allow).
    private func decision(
        _ verdict: AuthenticationDecision.Verdict, rule: PolicyRule?, _ attempt: AuthenticationAttempt,
        _ presented: ClientIdentity?, _ flags: ClientIDTypeFlags, _ privacy: PolicyConfiguration.Privacy, _ now: Timestamp,
        learned: Bool
    ) -> AuthenticationDecision {
        let allowed = verdict == .allow
        let kind: AuditEvent.Kind = allowed ? .authenticationSucceeded : .authenticationFailed
        let fingerprint = presented.map { keys.key(for: $0).fingerprint }
        func event(_ destination: AuditEvent.Destination, _ kind: AuditEvent.Kind, rule: PolicyRule?) -> AuditEvent {
            AuditEvent(
                destination: destination, kind: kind, time: now, account: attempt.account, address: attempt.address,
                identityType: presented?.type,
                token: privacy.logsToken(destination, flags: flags) ? presented?.token : nil,
                deviceFingerprint: fingerprint, rule: rule)
        }
        var events = [event(.system, kind, rule: rule)]
        if presented != nil && verdict != .temporaryFailure {
            if flags.contains(.userLog) { events.append(event(.user, kind, rule: nil)) }
            if flags.contains(.debug) { events.append(event(.debug, kind, rule: rule)) }
            if !allowed && flags.contains(.alertOnFailure) { events.append(event(.alert, kind, rule: rule)) }
            if allowed && flags.contains(.alertOnSuccess) { events.append(event(.alert, kind, rule: nil)) }
        }
        if learned {
            events.append(event(.system, .deviceLearned, rule: nil))
            if flags.contains(.userLog) { events.append(event(.user, .deviceLearned, rule: nil)) }
        }
        return AuthenticationDecision(verdict: verdict, rule: rule, events: events)
    }
}

extension PolicyConfiguration {
    /// Whether a decision under this policy needs the device registry: rules that read
    /// what it remembers (listed and learned devices, one token for many accounts,
    /// distant networks) or per-device limits kept in a shared store. When it does, a
    /// registry that fails makes AUTH a temporary failure (`454`); when it does not (the
    /// default policy), AUTH is decided without it and the failure is only logged.
    public func dependsOnRegistry(sharedSessions: Bool) -> Bool {
        devices.mode != .off || sharedToken.maxAccounts > 0 || distantNetworks.enabled
            || (sharedSessions && (limits.perDevice.maxConnections > 0 || limits.perDevice.maxAuthFailures > 0))
    }
}
