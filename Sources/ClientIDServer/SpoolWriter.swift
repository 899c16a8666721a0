// The writes of one message into Maildir's tmp/, in order, on the thread pool:
// the file is created with the message's `Received:` header by the first write,
// each chunk MessageSpool hands out is appended after the one before, and the
// message is published into new/ (fsync, rename, fsync) or discarded. A failed
// write skips everything after it.

import NIOCore
import NIOPosix

/// Event loop only (its futures chain on the connection's loop).
final class SpoolWriter {
    private let maildir: Maildir
    private let pool: NIOThreadPool
    private let loop: any EventLoop
    private let queueID: String
    private let header: [UInt8]
    /// The file after every write handed out so far (nil before the first).
    private var file: EventLoopFuture<Maildir.TemporaryFile>?

    init(maildir: Maildir, pool: NIOThreadPool, loop: any EventLoop, queueID: String, header: [UInt8]) {
        self.maildir = maildir
        self.pool = pool
        self.loop = loop
        self.queueID = queueID
        self.header = header
    }

    /// Appends `chunk` after the writes before it; the future tells when it is on disk.
    func append(_ chunk: [UInt8]) -> EventLoopFuture<Void> {
        let maildir = self.maildir
        let written = afterWrites { file in
            try maildir.append(file, chunk)
            return file
        }
        file = written
        return written.map { _ in () }
    }

    /// The rest of the content, then into new/. The future gives the file's name.
    func publish(rest: [UInt8]) -> EventLoopFuture<String> {
        let maildir = self.maildir
        return afterWrites { file in
            if !rest.isEmpty { try maildir.append(file, rest) }
            return try maildir.publish(file)
        }
    }

    /// Size limit, RSET, lost connection: the file in tmp/ goes once the writes before it are done.
    func discard() {
        let maildir = self.maildir
        let pool = self.pool
        file?.whenSuccess { file in pool.submit { _ in maildir.discard(file) } }
    }

    /// Runs `body` on the thread pool after the earlier writes, with the file (created
    /// with the header by the first of them).
    private func afterWrites<Result: Sendable>(
        _ body: @escaping @Sendable (Maildir.TemporaryFile) throws -> Result
    ) -> EventLoopFuture<Result> {
        let pool = self.pool
        let loop = self.loop
        if let file {
            return file.flatMap { file in pool.runIfActive(eventLoop: loop) { try body(file) } }
        }
        let maildir = self.maildir
        let queueID = self.queueID
        let header = self.header
        return pool.runIfActive(eventLoop: loop) {
            let file = try maildir.create(queueID: queueID)
            try maildir.append(file, header)
            return try body(file)
        }
    }
}
