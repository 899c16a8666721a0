// What a session knows: what it reads next or waits for (`State`), what the
// client has established (`Facts`, replaced whole by STARTTLS, D13) and the
// open mail transaction. Plain values; the events that change them live in
// SMTPSession.swift and the files named after each concern.

import ClientIDPolicy
import SMTPCommandParser

extension SMTPSession {
    /// What the session reads next, or what it waits for.
    enum State: Sendable, Equatable {
        /// Before `start()` or `refuse(_:)`: input is held.
        case notStarted
        /// Command lines.
        case command
        /// AUTH response lines (RFC 4954 §4).
        case authExchange(SASLExchange)
        /// DATA content up to CRLF "." CRLF.
        case data(DataDecoder)
        /// Exactly `remaining` octets of a BDAT chunk (RFC 3030 §2).
        case chunk(BDATChunk)
        /// `checkCredentials` is out; `credentialsChecked` answers it. Holds the
        /// identity to record on success (not the password).
        case awaitingCredentials(user: String)
        /// `deliver` is out; `deliveryFinished` answers it.
        case awaitingDelivery
        /// `startTLS` is out; `tlsEstablished` or `tlsFailed` answers it.
        case awaitingTLSHandshake
        case closed

        /// The request the driver has not answered yet.
        var awaiting: Awaiting? {
            switch self {
            case .awaitingCredentials: .credentials
            case .awaitingDelivery: .delivery
            case .awaitingTLSHandshake: .tlsHandshake
            default: nil
            }
        }

        /// Input that arrives now is held until the wait ends (not dropped, not read).
        var holdsInput: Bool {
            switch self {
            case .notStarted, .awaitingCredentials, .awaitingDelivery: true
            default: false
            }
        }
    }

    /// What the session waits for from its driver, if anything.
    public enum Awaiting: Sendable, Equatable {
        case credentials, delivery, tlsHandshake
    }

    struct BDATChunk: Sendable, Equatable {
        var size: UInt64
        var remaining: UInt64
        var last: Bool
        /// The chunk is read and discarded, then this reply is sent (RFC 3030 §2:
        /// the data of a failed BDAT is still consumed).
        var refusal: Reply?
    }

    /// What the client has established in this session. STARTTLS discards all of it (D13).
    struct Facts: Sendable, Equatable {
        var tls: Bool
        /// The EHLO or HELO argument; nil before either.
        var clientDomain: String?
        /// The last greeting was EHLO (extensions are in use).
        var extended = false
        /// D8: an EHLO on this TLS session advertised CLIENTID.
        var clientIDAdvertised = false
        /// D9: a CLIENTID got 250 in this session.
        var clientIDAccepted = false
        /// The accepted identity; discarded by a SASL security layer (D14).
        var clientIdentity: ClientIdentity?
        /// D10: an AUTH command was received, whatever its outcome.
        var authCommandReceived = false
        var authenticatedUser: String?
        var transaction: Transaction?

        init(tls: Bool) { self.tls = tls }
    }

    struct Transaction: Sendable, Equatable {
        enum Content: Sendable, Equatable {
            case none, open, discarded
        }
        /// Recipients accepted (their addresses are in `EnvelopeAddresses`).
        var recipientCount = 0
        var body: BodyType?
        var smtputf8: Bool
        /// BDAT was used in this transaction (RFC 3030 §2: then DATA is 503).
        var chunked = false
        var content: Content = .none
        /// Content octets handed out so far.
        var size = 0
        /// RFC 5321 §4.5.3.1.6: the DATA content had a line over `maxTextLineLength`.
        var overlongLine = false
    }

    /// The open transaction's addresses in one buffer kept across transactions, so that
    /// MAIL and RCPT allocate nothing once it has grown: the sender, then each recipient.
    /// Strings are made once per message, for the envelope a driver gets.
    struct EnvelopeAddresses: Sendable, Equatable {
        private var bytes: [UInt8] = []
        /// Where each address ends in `bytes`: the sender's first.
        private var ends: [Int] = []

        mutating func start(sender: UnsafeRawBufferPointer) {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            add(sender)
        }

        mutating func add(_ address: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: address)
            ends.append(bytes.count)
        }

        var sender: String { address(0) }
        var recipients: [String] { ends.indices.dropFirst().map(address) }

        private func address(_ i: Int) -> String {
            String(decoding: bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]], as: UTF8.self)
        }
    }

    /// Counts against the session's own limits. They belong to this connection only;
    /// counts across connections (per address, account, device) belong to the policy
    /// engine (docs/server.md, "Who counts what").
    struct Counters: Sendable, Equatable {
        /// Replies counted against `maxErrors`.
        var errors = 0
        /// `535` replies counted against `maxAuthFailures`. Kept across STARTTLS on
        /// purpose: they are the server's knowledge, not the client's.
        var authFailures = 0
        /// NOOP, RSET, VRFY and HELP so far (`maxJunkCommands`).
        var junkCommands = 0
    }
}
