// The CLIENTID rules of docs/decisions.md (D6–D11, D17) as a client can follow
// them from the replies it gets, written from the decisions and not from the
// session's code. One model for every check that needs it: the `session` fuzz
// target (FuzzProperties), the property suites (PropertyTests) and the random
// conversations of SMTPSessionTests, so that a change of reading changes them
// all at once.

/// What decides the reply to a CLIENTID line at a point of a conversation.
public struct ClientIDRuleModel: Sendable, Equatable, CustomStringConvertible {
    /// D6: CLIENTID support is on.
    public let enabled: Bool
    /// STARTTLS completed, or implicit TLS (D7, D16).
    public private(set) var tls: Bool
    /// D8: an EHLO on this TLS session advertised CLIENTID (D15).
    public private(set) var advertised = false
    /// D9: a CLIENTID got 250 on this TLS session.
    public private(set) var accepted = false
    /// D10: a line whose verb is AUTH was received, whatever its reply.
    public private(set) var authSeen = false

    public init(enabled: Bool, tls: Bool) {
        self.enabled = enabled
        self.tls = tls
    }

    /// The rule that answers a CLIENTID line: the first of D6–D11 that applies, else D17.
    public enum Verdict: String, Sendable, Equatable {
        case disabled = "D6"
        case beforeTLS = "D7"
        case notAdvertised = "D8"
        case alreadyAccepted = "D9"
        case afterAuth = "D10"
        case malformed = "D11"
        case accepted = "D17"

        /// The reply code the decision gives (D11: the parser's code for bad arguments).
        public var replyCode: Int {
            switch self {
            case .disabled, .beforeTLS: 500
            case .notAdvertised, .alreadyAccepted, .afterAuth: 503
            case .malformed: 501
            case .accepted: 250
            }
        }
    }

    /// The verdict for a CLIENTID line now; `wellFormed`: its arguments match D1–D2.
    public func verdict(wellFormed: Bool) -> Verdict {
        if !enabled { return .disabled }
        if !tls { return .beforeTLS }
        if !advertised { return .notAdvertised }
        if accepted { return .alreadyAccepted }
        if authSeen { return .afterAuth }
        return wellFormed ? .accepted : .malformed
    }

    // MARK: What the client saw happen

    /// A 250 to EHLO: D15 advertises CLIENTID on every EHLO over TLS while enabled.
    public mutating func ehloAccepted() { advertised = tls && enabled }
    /// A 250 to HELO: no extensions, so nothing advertised (D8).
    public mutating func heloAccepted() { advertised = false }
    /// D10 read literally: any line whose verb is AUTH, whatever its reply.
    public mutating func authLineReceived() { authSeen = true }
    /// A 250 to CLIENTID (D9).
    public mutating func clientIDAccepted() { accepted = true }
    /// The TLS handshake after STARTTLS: everything starts over (D13).
    public mutating func tlsEstablished() { self = ClientIDRuleModel(enabled: enabled, tls: true) }
    /// A SASL security layer: the session starts over, the identity is gone (D14), and
    /// since an AUTH was received every later CLIENTID is refused (D10).
    public mutating func securityLayerTookEffect() {
        self = ClientIDRuleModel(enabled: enabled, tls: tls)
        authSeen = true
    }

    public var description: String {
        "enabled=\(enabled) tls=\(tls) advertised=\(advertised) accepted=\(accepted) authSeen=\(authSeen)"
    }
}
