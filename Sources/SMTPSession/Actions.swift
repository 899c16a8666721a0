// What the session asks its driver to do, and the answers the driver gives
// back. The session never blocks: anything slow is an action, and its result
// comes back as an event. Every action carries what the driver needs to perform
// it, so a driver never reads the session's state back.

import ClientIDPolicy
import SMTPCommandParser

/// One thing for the driver to do. Perform the actions of one call in order.
public enum Action: Sendable, Equatable {
    /// Write this reply.
    case send(Reply)
    /// Wait this long before performing the next action (D18: before every `535`).
    case delay(Duration)
    /// The `220` to STARTTLS has been queued: flush it, then start the TLS
    /// handshake and answer `tlsEstablished()` or `tlsFailed()`. Bytes already
    /// read are dropped by the session (D13); drop any the driver still holds.
    case startTLS
    /// Check these credentials (and the CLIENTID policy, D17) and answer
    /// `credentialsChecked(_:)`. Nothing else is processed until then.
    case checkCredentials(AuthenticationRequest)
    /// A CLIENTID was accepted (D17): the driver may tell the policy engine and
    /// log per the type's flags (D19).
    case clientIdentified(ClientIdentity)
    /// D14: the identity given earlier no longer applies to this session.
    case clientIdentityDiscarded
    /// A message starts (after `354`, or with the first accepted BDAT chunk). The
    /// envelope as it stands (its `size` is 0), for a trace header written before
    /// the content.
    case beginMessage(Envelope)
    /// Message content, dot-stuffing removed (DATA) or as sent (BDAT).
    case messageData([UInt8])
    /// The message is complete: store it durably and answer `deliveryFinished(_:)`.
    /// The `250` is only sent after a successful delivery.
    case deliver(Envelope)
    /// Discard the content given so far (RSET, size limit, failed transaction).
    case abortMessage
    /// Close the connection after writing the replies before this action.
    case close
    /// What the session reads next has changed: the driver's deadlines follow it
    /// (sent only on a change, and never after `.close`).
    case reading(ReadPhase)
}

/// What the session reads next, for the driver's deadlines (RFC 5321 §4.5.3.2).
public enum ReadPhase: Sendable, Equatable {
    /// The start of the next command: nothing of it has arrived (the idle timeout runs).
    case nextCommand
    /// The rest of a command or AUTH response line that has begun (a per-command deadline
    /// runs, against clients that send a byte now and then).
    case restOfLine
    /// Message content, after `354` or in a BDAT chunk (a minimum data rate applies).
    case content
    /// Nothing: the session waits for the driver's answer (credentials, delivery, TLS
    /// handshake), so no deadline of the client's runs.
    case driverAnswer
}

/// An event the session's state does not allow: a bug in the driver, never the
/// client's doing (the client's mistakes are replies). A closed session is not one:
/// it ignores every event but `start()` and `refuse(_:)` (the connection may close
/// while a request is out).
public struct SessionUsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The event that was called (`credentialsChecked`, ...).
    public let event: String
    /// What the session was doing (`reading commands`, `waiting for delivery`, ...).
    public let state: String

    public var description: String { "\(event) is not allowed while \(state)" }
}

/// What `checkCredentials` asks the driver to verify.
public struct AuthenticationRequest: Sendable, Equatable, CustomStringConvertible {
    public var mechanism: SASLMechanism
    /// RFC 4616 authzid; nil when empty or for LOGIN.
    public var authorizationIdentity: String?
    /// RFC 4616 authcid, or the LOGIN user name.
    public var username: String
    /// The password as sent. Never printed by `description`.
    public var password: [UInt8]
    /// The identity of a successful CLIENTID on this TLS session, if any (D17).
    public var clientIdentity: ClientIdentity?
    /// Whether the connection is encrypted (STARTTLS done, or implicit TLS, D16).
    public var tls: Bool

    public init(
        mechanism: SASLMechanism, authorizationIdentity: String?, username: String, password: [UInt8],
        clientIdentity: ClientIdentity?, tls: Bool
    ) {
        self.mechanism = mechanism
        self.authorizationIdentity = authorizationIdentity
        self.username = username
        self.password = password
        self.clientIdentity = clientIdentity
        self.tls = tls
    }

    public var description: String {
        "AUTH \(mechanism.rawValue) user=\(username) password=<\(password.count) octets withheld> clientID=\(clientIdentity?.description ?? "none")"
    }
}

/// The driver's answer to `checkCredentials`.
public enum AuthenticationOutcome: Sendable, Equatable {
    /// `235 2.7.0`.
    case accepted
    /// Accepted, and the mechanism negotiated a SASL security layer: the session
    /// is reset and the client identity discarded (RFC 4954 §4, draft §4, D14).
    /// PLAIN and LOGIN never do; the case exists so the rule is modelled and tested.
    case acceptedWithSecurityLayer
    /// Wrong credentials or a policy refusal: the same `535 5.7.8` after the same delay (D18).
    case rejected
    /// `454 4.7.0`: the check could not be made (backend down).
    case temporaryFailure
    /// Too many recent failures for this address, account or device (brute force): not
    /// checked at all; `421 4.7.0` after the failure delay, and close.
    case tooManyFailures
}

/// The driver's answer to `deliver`.
public enum DeliveryResult: Sendable, Equatable {
    /// Stored durably; `queueID` goes into the `250` text.
    case stored(queueID: String?)
    /// `451 4.3.0`: not stored, the client may retry.
    case temporaryFailure
    /// `554 5.3.0`: not stored, do not retry.
    case permanentFailure
}

/// The transaction handed over with `deliver`.
public struct Envelope: Sendable, Equatable {
    /// The reverse-path without brackets; empty for `<>`.
    public var sender: String
    public var recipients: [String]
    public var body: BodyType?
    public var smtputf8: Bool
    /// Octets of content handed out in `messageData`.
    public var size: Int
    public var authenticatedUser: String?
    public var clientIdentity: ClientIdentity?
    /// The EHLO or HELO argument.
    public var clientDomain: String?
    public var tls: Bool
    /// True when the content came with BDAT (RFC 3030), false for DATA.
    public var chunked: Bool

    public init(
        sender: String, recipients: [String], body: BodyType?, smtputf8: Bool, size: Int, authenticatedUser: String?,
        clientIdentity: ClientIdentity?, clientDomain: String?, tls: Bool, chunked: Bool
    ) {
        self.sender = sender
        self.recipients = recipients
        self.body = body
        self.smtputf8 = smtputf8
        self.size = size
        self.authenticatedUser = authenticatedUser
        self.clientIdentity = clientIdentity
        self.clientDomain = clientDomain
        self.tls = tls
        self.chunked = chunked
    }
}

extension AuthenticationOutcome {
    /// The session's answer for a policy decision: every refusal, whatever its rule,
    /// becomes the same `.rejected` as a wrong password (D18).
    public init(_ decision: AuthenticationDecision) {
        switch decision.verdict {
        case .allow: self = .accepted
        case .reject: self = .rejected
        case .tooManyFailures: self = .tooManyFailures
        case .temporaryFailure: self = .temporaryFailure
        }
    }
}
