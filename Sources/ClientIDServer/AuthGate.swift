// The AUTH gate: whether an attempt is checked at all (the brute-force lockout),
// the password check, and the policy decision, as the driver runs them. The
// counts behind the lockout and the delays belong to the policy engine; this
// only puts the steps in order. No NIO here: `check` blocks (a slow hash, a
// registry), so the driver runs it on its thread pool.

import ClientIDPolicy
import SMTPSession

struct AuthGate: Sendable {
    let policy: ClientIDPolicyEngine
    let users: UserStore
    /// The decision's `user` events are written here, on the thread pool with the check.
    var userLog: UserLog?

    /// What the driver tells the session, and what it logs.
    struct Verdict: Sendable, Equatable {
        var outcome: AuthenticationOutcome
        /// The wait before a `535` or `421` (D18: the same whatever made it fail).
        var delay: Duration
        var events: [AuditEvent] = []
        /// The registry failed but the policy did not need it (logged, not a refusal).
        var registryFailure: DeviceRegistryError?
    }

    /// Before anything costly, on the event loop: a locked-out address is answered
    /// `421` without hashing a password.
    func admit(address: IPAddress?) -> Verdict? {
        guard let address, case .lockedOut(let delay) = policy.admission(address: address) else { return nil }
        return Verdict(outcome: .tooManyFailures, delay: delay)
    }

    /// The password and the policy, and the user log of an account that exists. Blocking.
    func check(_ request: AuthenticationRequest, connection: ConnectionID, address: IPAddress) -> Verdict {
        // No proxy authorization: an authzid must name the account itself (RFC 4616 §2).
        let sameIdentity = request.authorizationIdentity.map { $0 == request.username } ?? true
        // Always hashed, so that every refusal takes the same time (D18).
        let valid = users.verify(username: request.username, password: request.password) && sameIdentity
        let decision = policy.authenticate(
            AuthenticationAttempt(
                connection: connection, account: request.username, credentialsValid: valid,
                identity: request.clientIdentity, address: address))
        userLog?.record(decision.events) { users.accounts[$0] != nil }
        return Verdict(
            outcome: AuthenticationOutcome(decision), delay: decision.delay, events: decision.events,
            registryFailure: decision.registryFailure)
    }
}
