// What policy tells the logs (draft §7 flags 2-4, 6, 7; D19, D20). The rule that
// refused an attempt appears here and nowhere a client can see it (D18).

/// Why an attempt was refused. For the audit log only: replies never name it (D18).
public enum PolicyRule: String, Sendable, Equatable, CaseIterable {
    case invalidCredentials = "invalid-credentials"
    /// Draft §6.1 item 1, use case 4.
    case clientIDRequired = "client-id-required"
    /// Draft §6.1 items 2-3.
    case typeDenied = "type-denied"
    case typeNotAllowed = "type-not-allowed"
    case tokenDenied = "token-denied"
    case tokenNotAllowed = "token-not-allowed"
    /// Draft §6.1 item 4.
    case revoked
    /// Draft §6.1 item 5, use case 1.
    case deviceNotListed = "device-not-listed"
    /// Use case 3.
    case deviceNotLearned = "device-not-learned"
    /// Use case 2.
    case sharedToken = "shared-token"
    /// Draft §6.2 item 4, use case 7.
    case distantNetworks = "distant-networks"
    /// Use case 6, D21.
    case deviceConnectionLimit = "device-connection-limit"
    case deviceFailureLimit = "device-failure-limit"
    case ipConnectionLimit = "ip-connection-limit"
    case ipFailureLimit = "ip-failure-limit"
    /// The registry could not be read or written: a temporary failure.
    case registryUnavailable = "registry-unavailable"
}

/// One line for a log.
public struct AuditEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Destination: String, Sendable, Equatable {
        /// The operator's log (with `privacy.logRawTokens`, flag 3 "system-log" puts the token in it).
        case system
        /// The account holder's history (flag 4 "user-log"): a destination of its own,
        /// never the operator's log (clientid-server writes one file per account).
        case user
        /// Debug output (flag 2 "debug").
        case debug
        /// Flag 6 / 7 alerts, to whoever watches them. Never with the token.
        case alert
    }

    public enum Kind: String, Sendable, Equatable {
        case clientIdentified = "client-identified"
        case authenticationSucceeded = "auth-succeeded"
        case authenticationFailed = "auth-failed"
        case deviceLearned = "device-learned"
    }

    public var destination: Destination
    public var kind: Kind
    public var time: Timestamp
    public var account: String?
    public var address: IPAddress?
    /// The client-id-type, when an identity was presented and not ignored.
    public var identityType: String?
    /// The raw token: only when the operator opted in (`privacy.logRawTokens`) and the
    /// type's flag for this destination asks for it (D19, D20); nil otherwise.
    public var token: String?
    /// `DeviceKey.fingerprint`: correlates events without the token.
    public var deviceFingerprint: String?
    /// Why the attempt was refused (audit only, D18).
    public var rule: PolicyRule?

    public var description: String {
        var parts = ["\(time)", destination.rawValue, kind.rawValue]
        if let account { parts.append("account=\(account)") }
        if let address { parts.append("address=\(address)") }
        if let identityType { parts.append("type=\(identityType)") }
        if let token { parts.append("token=\(token)") }
        if let deviceFingerprint { parts.append("device=\(deviceFingerprint)") }
        if let rule { parts.append("rule=\(rule.rawValue)") }
        return parts.joined(separator: " ")
    }
}
