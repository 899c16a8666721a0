// Session settings. Every limit has its own default (an RFC minimum or a common
// value) and its own reply when it is reached.

/// SASL mechanisms the session implements. Neither negotiates a security layer.
public enum SASLMechanism: String, Sendable, Equatable, CaseIterable {
    /// RFC 4616.
    case plain = "PLAIN"
    /// draft-murchison-sasl-login (never an RFC; every client sends it).
    case login = "LOGIN"
}

extension SMTPSession {
    /// Session settings (`SMTPSession.Configuration`).
    public struct Configuration: Sendable, Equatable {
        /// The name in the greeting, the EHLO reply and the QUIT reply.
        public var hostname: String = "localhost"

        /// RFC 5321 §4.5.3.1.4: 512 octets including CRLF. Longer lines get `500 5.5.6` (D12).
        public var maxCommandLineLength: Int = 512
        /// RFC 4954 §4: 12,288 octets of base64 per AUTH response line (CRLF not counted).
        /// Longer lines end the exchange with `500 5.5.6`.
        public var maxAuthLineLength: Int = 12_288
        /// RFC 1870: advertised as `SIZE n`; a larger MAIL SIZE= or message gets `552 5.3.4`.
        /// Content past the limit is discarded, never buffered.
        public var maxMessageSize: Int = 25 * 1024 * 1024
        /// RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; more get `452 4.5.3`.
        public var maxRecipients: Int = 100
        /// Errors (4xx/5xx replies to bad commands) before the session answers `421 4.7.0` and closes.
        public var maxErrors: Int = 10
        /// Failed AUTH exchanges (`535`) before `421 4.7.0` and close.
        public var maxAuthFailures: Int = 3
        /// D18: the wait before every `535 5.7.8`, whether the password was wrong or a policy refused.
        public var authFailureDelay: Duration = .seconds(2)
        /// Input held while the session waits for the driver (credentials, delivery).
        /// More than this closes the session with `421 4.7.0` once the wait ends.
        public var maxBufferedInput: Int = 256 * 1024

        /// RFC 5321 §4.5.3.1.6: a text line of DATA content is at most 1,000 octets with its
        /// CRLF. A message with a longer line is not stored: `500 5.5.6` after the final dot.
        public var maxTextLineLength: Int = 1_000
        /// Postfix `smtpd_junk_command_limit` (100): NOOP, RSET, VRFY and HELP beyond this
        /// many in one session each count as an error (`maxErrors`), so a client cannot
        /// keep a connection busy with them forever.
        public var maxJunkCommands: Int = 100
        /// Exim's `smtp_enforce_sync`: input before the greeting, a command with more input
        /// behind it before PIPELINING was offered (RFC 2920 §3.1: before an EHLO reply,
        /// or after HELO), and input behind DATA before its `354` get
        /// `554 5.5.0 SMTP synchronization error` and close. A BDAT whose size cannot be
        /// read gets its syntax reply and a close (its chunk cannot be skipped). Off by default so that tests
        /// can feed whole transcripts; the server turns it on.
        public var enforceSynchronization: Bool = false

        /// D6: when false the keyword is never advertised and the verb is unknown (`500`).
        public var clientIDEnabled: Bool = true
        /// D16: the connection is TLS from its first byte (port 465 style); no STARTTLS.
        public var implicitTLS: Bool = false
        /// Advertise and accept STARTTLS (RFC 3207) on a plaintext connection.
        public var startTLSAvailable: Bool = true
        /// RFC 4954 §4 note: plaintext password mechanisms only over TLS unless this is set.
        public var allowAuthWithoutTLS: Bool = false
        /// RFC 6409 §4.3: MAIL needs a successful AUTH first (`530 5.7.0`).
        public var requireAuthentication: Bool = true
        public var authMechanisms: [SASLMechanism] = [.plain, .login]
        /// RFC 6531: advertise SMTPUTF8 and parse with its grammar.
        public var smtputf8: Bool = false
        /// Accept the parser's lenient profile (Grammar/lenient.abnf, L1–L4).
        public var lenientParser: Bool = false

        public init() {}

        /// Why a configuration cannot be used.
        public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
            public let description: String
        }

        /// Checks the limits against their RFC minimums.
        public func validate() throws(Problem) {
            if maxCommandLineLength < 512 { throw Problem(description: "maxCommandLineLength below RFC 5321's 512") }
            if maxAuthLineLength < 12_288 { throw Problem(description: "maxAuthLineLength below RFC 4954's 12,288") }
            if maxRecipients < 100 { throw Problem(description: "maxRecipients below RFC 5321's 100") }
            if maxMessageSize < 1 { throw Problem(description: "maxMessageSize must be positive") }
            if maxErrors < 1 || maxAuthFailures < 1 { throw Problem(description: "error limits must be positive") }
            if maxTextLineLength < 1_000 { throw Problem(description: "maxTextLineLength below RFC 5321's 1,000") }
            if maxJunkCommands < 0 { throw Problem(description: "maxJunkCommands must not be negative") }
            if maxBufferedInput < maxAuthLineLength + 2 { throw Problem(description: "maxBufferedInput below one AUTH line") }
            if hostname.isEmpty || hostname.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                throw Problem(description: "hostname must be printable ASCII without spaces")
            }
        }
    }
}
