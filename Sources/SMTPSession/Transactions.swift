// Mail transactions: MAIL, RCPT, DATA, BDAT, the message content they carry,
// its limits, and delivery (RFC 5321 §4.1.1.2–4.1.1.5, §4.5.3.1; RFC 1870;
// RFC 3030; RFC 6409 §4.3).

import ClientIDPolicy
import SMTPCommandParser

extension SMTPSession {
    /// RFC 5321 §4.1.1.2; RFC 6409 §4.3 (authentication first); RFC 1870 (SIZE).
    mutating func mail(_ mail: MailCommand, _ line: UnsafeRawBufferPointer, _ out: inout [Action]) {
        guard facts.clientDomain != nil else { return reject(.sendGreetingFirst, &out) }
        if configuration.requireAuthentication && facts.authenticatedUser == nil {
            return reject(.authenticationRequired, &out)
        }
        guard facts.transaction == nil else { return reject(.senderAlreadySpecified, &out) }
        if let unsupported = unsupportedParameter(mail.parameters, line, supported: mailParameters) {
            return reject(.parameterNotSupported(unsupported), &out)
        }
        if mail.body == .binaryMIME { return reject(.binaryMIMENotSupported, &out) }
        if let size = mail.size, size > UInt64(configuration.maxMessageSize) {
            return out.append(.send(.messageTooBig))
        }
        addresses.start(sender: UnsafeRawBufferPointer(rebasing: line[mail.path]))
        facts.transaction = Transaction(body: mail.body, smtputf8: mail.smtputf8)
        out.append(.send(.senderOK))
    }

    /// The MAIL parameters of the extensions advertised (RFC 1870, RFC 6152, RFC 4954 §5, RFC 6531).
    private var mailParameters: [[UInt8]] { configuration.smtputf8 ? Self.mailParametersUTF8 : Self.mailParametersASCII }
    private static let mailParametersASCII = ["SIZE", "BODY", "AUTH"].map { Array($0.utf8) }
    private static let mailParametersUTF8 = mailParametersASCII + [Array("SMTPUTF8".utf8)]

    /// RFC 5321 §4.1.1.11: a parameter of an extension not advertised gets 555. Returns
    /// its keyword, upper case; compares without making a string per parameter.
    private func unsupportedParameter(_ range: Range<Int>?, _ line: UnsafeRawBufferPointer, supported: [[UInt8]]) -> String? {
        guard let range else { return nil }
        for parameter in ESMTPParameterIterator(line: line, range: range) {
            let keyword = UnsafeRawBufferPointer(rebasing: line[parameter.keyword])
            let known = supported.contains { name in
                name.count == keyword.count && zip(name, keyword).allSatisfy { $0 == ($1 >= 0x61 && $1 <= 0x7A ? $1 - 0x20 : $1) }
            }
            if !known { return ClientIdentity.foldType(String(decoding: keyword, as: UTF8.self)) }
        }
        return nil
    }

    /// RFC 5321 §4.1.1.3, §4.5.3.1.8 (recipient limit: 452).
    mutating func rcpt(_ rcpt: RcptCommand, _ line: UnsafeRawBufferPointer, _ out: inout [Action]) {
        guard var transaction = facts.transaction else { return reject(.needMail, &out) }
        guard !transaction.chunked else { return reject(.recipientAfterBDAT, &out) }
        if let unsupported = unsupportedParameter(rcpt.parameters, line, supported: []) {
            return reject(.parameterNotSupported(unsupported), &out)
        }
        guard transaction.recipientCount < configuration.maxRecipients else {
            return out.append(.send(.tooManyRecipients))
        }
        addresses.add(UnsafeRawBufferPointer(rebasing: line[rcpt.path]))
        transaction.recipientCount += 1
        facts.transaction = transaction
        out.append(.send(.recipientOK))
    }

    /// RFC 5321 §4.1.1.4; RFC 3030 §2 (no DATA after BDAT in one transaction).
    mutating func data(_ out: inout [Action]) {
        guard var transaction = facts.transaction else { return reject(.needMail, &out) }
        guard !transaction.chunked else { return reject(.dataAfterBDAT, &out) }
        guard transaction.recipientCount > 0 else { return reject(.noValidRecipients, &out) }
        transaction.content = .open
        facts.transaction = transaction
        out.append(.send(.startMailInput))
        out.append(.beginMessage(envelope(transaction, chunked: false)))
        state = .data(DataDecoder(maxLineLength: configuration.maxTextLineLength))
    }

    /// RFC 3030 §2: the chunk is always read, even when the command fails.
    mutating func bdat(size: UInt64, last: Bool, _ out: inout [Action]) {
        var chunk = BDATChunk(size: size, remaining: size, last: last)
        if var transaction = facts.transaction {
            if transaction.recipientCount == 0 {
                chunk.refusal = .noValidRecipients
            } else {
                transaction.chunked = true
                if transaction.content == .none {
                    transaction.content = .open
                    out.append(.beginMessage(envelope(transaction, chunked: true)))
                }
                if transaction.content == .open, UInt64(transaction.size) + size > UInt64(configuration.maxMessageSize) {
                    transaction.content = .discarded  // stop buffering at the limit
                    out.append(.abortMessage)
                }
                facts.transaction = transaction
            }
        } else {
            // Also any BDAT after BDAT LAST (RFC 3030 §2).
            chunk.refusal = .needMail
        }
        state = .chunk(chunk)
        if size == 0 { finishChunk(chunk, &out) }
    }

    mutating func addContent(_ bytes: [UInt8], _ out: inout [Action]) {
        guard !bytes.isEmpty, var transaction = facts.transaction, transaction.content == .open else { return }
        if transaction.size + bytes.count > configuration.maxMessageSize {
            transaction.content = .discarded  // stop buffering at the limit (RFC 1870 §6)
            out.append(.abortMessage)
        } else {
            transaction.size += bytes.count
            out.append(.messageData(bytes))
        }
        facts.transaction = transaction
    }

    /// RFC 5321 §4.5.3.1.6: the content is dropped at once; the reply waits for the final dot.
    mutating func refuseOverlongLine(_ out: inout [Action]) {
        // Whichever limit is passed first names the reply: a message already over the size stays 552.
        guard var transaction = facts.transaction, !transaction.overlongLine, transaction.content != .discarded else { return }
        if transaction.content == .open { out.append(.abortMessage) }
        transaction.content = .discarded
        transaction.overlongLine = true
        facts.transaction = transaction
    }

    mutating func finishData(_ out: inout [Action]) {
        state = .command
        guard let transaction = facts.transaction else { return }
        if transaction.overlongLine {
            facts.transaction = nil
            out.append(.send(.textLineTooLong))
        } else if transaction.content == .discarded {
            facts.transaction = nil
            out.append(.send(.messageTooBig))
        } else {
            deliver(transaction, chunked: false, &out)
        }
    }

    mutating func finishChunk(_ chunk: BDATChunk, _ out: inout [Action]) {
        state = .command
        if let refusal = chunk.refusal { return reject(refusal, &out) }
        guard let transaction = facts.transaction else { return }
        if transaction.content == .discarded {
            if chunk.last { facts.transaction = nil }
            out.append(.send(.messageTooBig))
        } else if chunk.last {
            deliver(transaction, chunked: true, &out)
        } else {
            out.append(.send(.chunkReceived(chunk.size)))
        }
    }

    private mutating func deliver(_ transaction: Transaction, chunked: Bool, _ out: inout [Action]) {
        state = .awaitingDelivery
        out.append(.deliver(envelope(transaction, chunked: chunked)))
    }

    /// The answer to `.deliver` (the public event checked the state).
    mutating func delivered(_ result: DeliveryResult, _ out: inout [Action]) {
        state = .command
        facts.transaction = nil
        switch result {
        case .stored(let queueID): out.append(.send(queueID.map(Reply.queued) ?? .messageAccepted))
        case .temporaryFailure: out.append(.send(.messageNotStoredTemporarily))
        case .permanentFailure: out.append(.send(.messageNotStored))
        }
    }

    private func envelope(_ transaction: Transaction, chunked: Bool) -> Envelope {
        Envelope(
            sender: addresses.sender, recipients: addresses.recipients, body: transaction.body,
            smtputf8: transaction.smtputf8, size: transaction.size, authenticatedUser: facts.authenticatedUser,
            clientIdentity: facts.clientIdentity, clientDomain: facts.clientDomain, tls: facts.tls, chunked: chunked)
    }

    mutating func resetTransaction(_ out: inout [Action]) {
        if messageInProgress { out.append(.abortMessage) }
        facts.transaction = nil
    }
}
