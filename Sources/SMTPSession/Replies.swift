// Every reply the session sends, in one place: its code, its RFC 3463 status
// and its text are written once here, and the concern files name them. Fixed
// replies are made once (a `Reply` made per command costs an array of lines);
// those that name the host or a value are functions.

import SMTPCommandParser

extension Reply {
    // MARK: Connection (RFC 5321 §3.1, §3.8, §4.2; RFC 2034: no enhanced code in 220/221)

    static func greeting(_ host: String) -> Reply { Reply(220, nil, "\(host) ESMTP ready") }
    static func closingChannel(_ host: String) -> Reply { Reply(221, "2.0.0", "\(host) Service closing transmission channel") }
    static func timeout(_ host: String) -> Reply { Reply(421, "4.4.2", "\(host) Timeout, closing connection") }
    static func shuttingDown(_ host: String) -> Reply { Reply(421, "4.3.2", "\(host) Service shutting down, closing connection") }
    static func tooManyErrors(_ host: String) -> Reply { Reply(421, "4.7.0", "\(host) Too many errors, closing connection") }
    static func tooManyAuthenticationFailures(_ host: String) -> Reply {
        Reply(421, "4.7.0", "\(host) Too many authentication failures, closing connection")
    }
    static func tooMuchPipelinedInput(_ host: String) -> Reply {
        Reply(421, "4.7.0", "\(host) Too much pipelined input, closing connection")
    }
    /// Exim's `smtp_enforce_sync`: the client did not wait for a reply (RFC 2920 §3.1).
    static func synchronizationError(_ host: String) -> Reply {
        Reply(554, "5.5.0", "\(host) SMTP synchronization error, closing connection")
    }
    /// An HTTP request line or header: a browser or a proxy scanner.
    static func notHTTP(_ host: String) -> Reply { Reply(554, "5.5.1", "\(host) This is an SMTP server, closing connection") }

    /// Instead of the greeting (RFC 5321 §3.1): `554` when the client should not retry, else `421`.
    static func refusal(_ reason: SMTPSession.Refusal, _ host: String) -> Reply {
        switch reason {
        case .shuttingDown: Reply(421, "4.3.2", "\(host) Service shutting down")
        case .tooManyConnections: Reply(421, "4.3.2", "\(host) Too many connections, try again later")
        case .tooManyConnectionsFromAddress: Reply(421, "4.7.0", "\(host) Too many connections from your address")
        case .noService: Reply(554, "5.3.2", "\(host) No SMTP service here")
        }
    }

    // MARK: Commands (RFC 5321 §4.1.1, §4.2.2, §4.2.4)

    static let ok = Reply(250, "2.0.0", "OK")
    static let unknownCommand = Reply(500, "5.5.1", "Syntax error, command unrecognized")
    /// RFC 5321 §4.5.3.1.4 (D12).
    static let lineTooLong = Reply(
        SMTPSyntaxError.Kind.lineTooLong.replyCode, "\(SMTPSyntaxError.Kind.lineTooLong.enhancedStatus)", "Line too long")
    /// RFC 5321 §3.5.3: 252 when the server will not verify.
    static let cannotVerify = Reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
    static let expandNotImplemented = Reply(502, "5.5.1", "EXPN not implemented")
    static let help = Reply(214, "2.0.0", "See RFC 5321 and draft-storey-smtp-client-id")
    static func greets(_ host: String, _ domain: String, keywords: [String]) -> Reply {
        Reply(250, nil, lines: ["\(host) greets \(domain)"] + keywords)
    }

    /// The parser's reply code and enhanced status for a syntax error.
    static func syntax(_ error: SMTPSyntaxError) -> Reply {
        Reply(error.replyCode, "\(error.kind.enhancedStatus)", "Syntax: \(error.hint)")
    }

    // MARK: STARTTLS (RFC 3207 §4)

    static let readyToStartTLS = Reply(220, "2.0.0", "Ready to start TLS")
    static let tlsAlreadyActive = Reply(503, "5.5.1", "TLS already active")
    static let tlsNotAvailable = Reply(454, "4.7.0", "TLS not available")

    // MARK: Transactions (RFC 5321 §4.1.1.2–4.1.1.4, §4.5.3.1; RFC 1870; RFC 3030)

    static let sendGreetingFirst = Reply(503, "5.5.1", "Send EHLO or HELO first")
    static let authenticationRequired = Reply(530, "5.7.0", "Authentication required")
    static let senderAlreadySpecified = Reply(503, "5.5.1", "Sender already specified")
    static let binaryMIMENotSupported = Reply(555, "5.5.4", "BINARYMIME not supported")
    static func parameterNotSupported(_ keyword: String) -> Reply { Reply(555, "5.5.4", "Parameter not supported: \(keyword)") }
    static let senderOK = Reply(250, "2.1.0", "Sender OK")
    static let needMail = Reply(503, "5.5.1", "Need MAIL command")
    static let recipientAfterBDAT = Reply(503, "5.5.1", "RCPT not allowed after BDAT")
    /// RFC 5321 §4.5.3.1.8.
    static let tooManyRecipients = Reply(452, "4.5.3", "Too many recipients")
    static let recipientOK = Reply(250, "2.1.5", "Recipient OK")
    static let dataAfterBDAT = Reply(503, "5.5.1", "DATA not allowed after BDAT")
    static let noValidRecipients = Reply(554, "5.5.1", "No valid recipients")
    static let startMailInput = Reply(354, nil, "End data with <CR><LF>.<CR><LF>")
    static func chunkReceived(_ size: UInt64) -> Reply { Reply(250, "2.0.0", "\(size) octets received") }
    static let messageTooBig = Reply(552, "5.3.4", "Message size exceeds fixed maximum message size")
    /// RFC 5321 §4.5.3.1: "500 Line too long" (and the enhanced code used for command lines).
    static let textLineTooLong = Reply(500, "5.5.6", "Line too long in message content")
    static let messageAccepted = Reply(250, "2.0.0", "OK message accepted")
    static func queued(_ queueID: String) -> Reply { Reply(250, "2.0.0", "OK queued as \(queueID)") }
    static let messageNotStoredTemporarily = Reply(451, "4.3.0", "Temporary failure, message not stored")
    static let messageNotStored = Reply(554, "5.3.0", "Message not stored")

    // MARK: AUTH (RFC 4954 §4, §6)

    static let alreadyAuthenticated = Reply(503, "5.5.1", "Already authenticated")
    static let sendEHLOFirst = Reply(503, "5.5.1", "Send EHLO first")
    static let authenticationDuringTransaction = Reply(503, "5.5.1", "AUTH not permitted during a mail transaction")
    static let encryptionRequired = Reply(538, "5.7.11", "Encryption required for requested authentication mechanism")
    static let unrecognizedAuthenticationType = Reply(504, "5.5.4", "Unrecognized authentication type")
    static let cannotDecode = Reply(501, "5.5.2", "Cannot decode response")
    static let authenticationLineTooLong = Reply(500, "5.5.6", "Authentication exchange line is too long")
    static let authenticationCanceled = Reply(501, "5.7.0", "Authentication canceled")
    static func challenge(_ text: String) -> Reply { Reply(334, nil, text) }
    static let authenticationSucceeded = Reply(235, "2.7.0", "Authentication successful")
    static let authenticationTemporaryFailure = Reply(454, "4.7.0", "Temporary authentication failure")
    /// D18: the one reply for a wrong password and for every policy refusal.
    static let authenticationFailed = Reply(535, "5.7.8", "Authentication credentials invalid")

    // MARK: CLIENTID (draft §4; D8–D10)

    static let clientIDNeedsEHLO = Reply(503, "5.5.1", "Bad sequence of commands: send EHLO first")
    static let clientIDAlreadyGiven = Reply(503, "5.5.1", "Bad sequence of commands: CLIENTID already given")
    static let clientIDAfterAuthentication = Reply(503, "5.5.1", "Bad sequence of commands: CLIENTID must come before AUTH")
}

extension SMTPSession {
    /// D18: the one reply for a wrong password and for every policy refusal.
    public static var authenticationFailed: Reply { .authenticationFailed }

    /// Why a connection is refused before its greeting (`refuse(_:)`).
    public enum Refusal: Sendable, Equatable {
        /// The server is stopping: `421 4.3.2`.
        case shuttingDown
        /// The server's connection limit: `421 4.3.2`.
        case tooManyConnections
        /// The per-address connection limit (D21): `421 4.7.0`.
        case tooManyConnectionsFromAddress
        /// No service for this client at all: `554 5.3.2`, do not retry.
        case noService
    }
}
