// The message a connection is receiving: the session's `.beginMessage`,
// `.messageData`, `.deliver` and `.abortMessage` performed with MessageSpool
// (what to write when, when to stop reading) and SpoolWriter (the writes).
// Nothing is acknowledged before Maildir has it on disk: the `250` follows the
// publish's fsyncs.

import NIOCore
import SMTPSession

extension ConnectionHandler {
    /// The `Received:` header is made now, from the envelope the action carries; the
    /// file in tmp/ is created with the first chunk of content, or at the end for a
    /// message smaller than a chunk (one trip to the thread pool).
    func beginMessage(_ envelope: Envelope, _ context: ChannelHandlerContext) {
        abortMessage()
        guard let maildir = services.maildir else { return }  // --sink
        let queueID = services.nextQueueID()
        let header = receivedHeader(
            envelope: envelope, remoteAddress: context.channel.remoteAddress?.ipAddress,
            hostname: session.configuration.hostname, queueID: queueID)
        spool = MessageSpool(queueID: queueID)
        writer = SpoolWriter(
            maildir: maildir, pool: services.threadPool, loop: context.eventLoop, queueID: queueID, header: header)
    }

    func messageData(_ bytes: [UInt8], _ context: ChannelHandlerContext) {
        guard spool != nil, let writer, let chunk = spool!.append(bytes) else { return }
        let queueID = spool!.queueID
        writer.append(chunk).assumeIsolated().whenComplete { result in
            // A later message may have replaced this one meanwhile: its count is its own.
            if self.spool?.queueID == queueID {
                let success = if case .success = result { true } else { false }
                self.spool!.written(chunk.count, success: success)
            }
            self.resumeReadingIfCaughtUp()
        }
        // Two chunks waiting for the disk: stop reading until one is written.
        if spool!.shouldPauseReading && !deadlines.readingPaused {
            deadlines.readingPaused = true
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        }
    }

    func resumeReadingIfCaughtUp() {
        guard deadlines.readingPaused, let context, spool?.mayResumeReading ?? true else { return }
        deadlines.readingPaused = false
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
    }

    /// Size limit, RSET, lost connection: the file in tmp/ is removed once the writes
    /// before it are done.
    func abortMessage() {
        guard let message = spool else { return }
        services.statistics.noteMessageBuffer(message.peak)
        writer?.discard()
        spool = nil
        writer = nil
        resumeReadingIfCaughtUp()
    }

    /// fsync, rename into new/, fsync new/; only then `250`. A failed write or sync
    /// leaves nothing in new/ (the file is removed from tmp/) and answers `451`.
    func deliver(_ envelope: Envelope, _ context: ChannelHandlerContext) {
        guard services.maildir != nil else {
            logger.debug("message discarded (--sink)", metadata: ["size": "\(envelope.size)"])
            return perform(deliveryAnswer(.stored(queueID: nil)))
        }
        guard var message = spool, let writer else {
            // The session always begins a message before delivering it.
            logger.error("delivery without a message")
            return perform(deliveryAnswer(.temporaryFailure))
        }
        spool = nil
        self.writer = nil
        services.statistics.noteMessageBuffer(message.peak)
        let queueID = message.queueID
        writer.publish(rest: message.takeRest()).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let file):
                self.logger.info(
                    "delivered",
                    metadata: [
                        "id": "\(queueID)", "file": "\(file)", "size": "\(envelope.size)", "from": "<\(envelope.sender)>",
                        "nrcpt": "\(envelope.recipients.count)", "user": "\(envelope.authenticatedUser ?? "-")",
                    ])
                self.perform(self.deliveryAnswer(.stored(queueID: queueID)))
            case .failure(let error):
                self.logger.error("delivery failed", metadata: ["id": "\(queueID)", "error": "\(error)"])
                self.perform(self.deliveryAnswer(.temporaryFailure))
            }
        }
        resumeReadingIfCaughtUp()
    }

    /// The session's answer to a delivery, or nothing once it has closed.
    private func deliveryAnswer(_ result: DeliveryResult) -> [Action] {
        do throws(SessionUsageError) {
            return try session.deliveryFinished(result)
        } catch {
            logger.error("driver error", metadata: ["event": "deliveryFinished", "error": "\(error)"])
            return [.close]
        }
    }
}
