// AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN: the command, the exchange of
// base64 lines, the request to the driver, and what its answer means. The
// password is checked by the driver; the session only counts this connection's
// failures (`maxAuthFailures`).

import ClientIDPolicy

extension SMTPSession {
    mutating func auth(mechanism: String, initialResponse: UnsafeRawBufferPointer?, _ out: inout [Action]) {
        facts.authCommandReceived = true  // D10: whatever happens next
        guard facts.authenticatedUser == nil else { return reject(.alreadyAuthenticated, &out) }
        guard facts.extended else { return reject(.sendEHLOFirst, &out) }
        guard facts.transaction == nil else { return reject(.authenticationDuringTransaction, &out) }
        guard facts.tls || configuration.allowAuthWithoutTLS else { return reject(.encryptionRequired, &out) }
        guard let sasl = SASLMechanism(rawValue: ClientIdentity.foldType(mechanism)), configuration.authMechanisms.contains(sasl)
        else {
            return reject(.unrecognizedAuthenticationType, &out)
        }
        // RFC 4954 §4: "=" is a present but empty initial response.
        var response: [UInt8]?
        if let initialResponse {
            guard let decoded = initialResponse.elementsEqual([UInt8(ascii: "=")]) ? [] : Base64.decode(initialResponse) else {
                return reject(.cannotDecode, &out)
            }
            response = decoded
        }
        switch (sasl, response) {
        case (.plain, let message?):
            plain(message, &out)
        case (.plain, nil):
            state = .authExchange(.plain)
            out.append(.send(.challenge("")))
        case (.login, let username?):
            // LOGIN's optional initial response is the user name.
            login(username: username, &out)
        case (.login, nil):
            state = .authExchange(.loginUsername)
            out.append(.send(.challenge(SASLExchange.usernameChallenge)))
        }
    }

    /// One line of the exchange, CRLF included.
    mutating func authenticationResponse(_ line: UnsafeRawBufferPointer, _ exchange: SASLExchange, _ out: inout [Action]) {
        state = .command
        let text = UnsafeRawBufferPointer(rebasing: line.dropLast(2))
        guard text.count <= configuration.maxAuthLineLength else { return reject(.authenticationLineTooLong, &out) }
        if text.elementsEqual([UInt8(ascii: "*")]) { return reject(.authenticationCanceled, &out) }
        guard let response = Base64.decode(text) else { return reject(.cannotDecode, &out) }
        switch exchange {
        case .plain:
            plain(response, &out)
        case .loginUsername:
            login(username: response, &out)
        case .loginPassword(let username):
            checkCredentials(
                AuthenticationRequest(
                    mechanism: .login, authorizationIdentity: nil, username: username, password: response,
                    clientIdentity: facts.clientIdentity, tls: facts.tls), &out)
        }
    }

    private mutating func plain(_ message: [UInt8], _ out: inout [Action]) {
        guard let plain = PlainMessage(message) else { return reject(.cannotDecode, &out) }
        checkCredentials(
            AuthenticationRequest(
                mechanism: .plain, authorizationIdentity: plain.authorizationIdentity, username: plain.authenticationIdentity,
                password: plain.password, clientIdentity: facts.clientIdentity, tls: facts.tls), &out)
    }

    private mutating func login(username: [UInt8], _ out: inout [Action]) {
        guard !username.isEmpty, !username.contains(0), let name = String(validating: username, as: UTF8.self) else {
            return reject(.cannotDecode, &out)
        }
        state = .authExchange(.loginPassword(username: name))
        out.append(.send(.challenge(SASLExchange.passwordChallenge)))
    }

    private mutating func checkCredentials(_ request: AuthenticationRequest, _ out: inout [Action]) {
        state = .awaitingCredentials(user: request.authorizationIdentity ?? request.username)
        out.append(.checkCredentials(request))
    }

    /// The driver's answer to `.checkCredentials` (the public event checked the state).
    mutating func authenticationChecked(
        _ outcome: AuthenticationOutcome, user: String, failureDelay: Duration, _ out: inout [Action]
    ) {
        state = .command
        switch outcome {
        case .accepted, .acceptedWithSecurityLayer:
            facts.authenticatedUser = user
            out.append(.send(.authenticationSucceeded))
            if outcome == .acceptedWithSecurityLayer { securityLayerTookEffect(&out) }
        case .rejected:
            // D18: one text and one delay for a wrong password and for every policy refusal.
            counters.authFailures += 1
            out.append(.delay(failureDelay))
            out.append(.send(.authenticationFailed))
            if counters.authFailures >= configuration.maxAuthFailures {
                out.append(.send(.tooManyAuthenticationFailures(hostname)))
                close(&out)
            }
        case .temporaryFailure:
            out.append(.send(.authenticationTemporaryFailure))
        case .tooManyFailures:
            // The same words as the per-session limit: nothing says which count was reached.
            out.append(.delay(failureDelay))
            out.append(.send(.tooManyAuthenticationFailures(hostname)))
            close(&out)
        }
    }

    /// RFC 4954 §4, draft §4, D14: a SASL security layer resets the session to
    /// just after the greeting and discards the client identity. Authentication stays.
    private mutating func securityLayerTookEffect(_ out: inout [Action]) {
        if facts.clientIdentity != nil { out.append(.clientIdentityDiscarded) }
        var fresh = Facts(tls: facts.tls)
        fresh.authCommandReceived = true
        fresh.authenticatedUser = facts.authenticatedUser
        facts = fresh
        discardInput()  // what follows is protected by the new layer, not readable here
    }
}
