// The message being received, as bookkeeping: content gathers into chunks that
// go to the store one at a time, reading pauses while two chunks wait for the
// disk and resumes when at most one does, so a connection holds a bounded amount
// of content whatever the message's size. No I/O here: SpoolWriter performs the
// writes this decides.

struct MessageSpool: Sendable, Equatable {
    /// Content is written a chunk at a time.
    static let chunkSize = 64 * 1024

    let queueID: String
    /// Content not handed to the disk yet.
    private(set) var chunk: [UInt8] = []
    /// Octets handed to the disk and not written yet.
    private(set) var writing = 0
    /// A write failed: nothing more is kept, and the message gets `451` at its end.
    private(set) var failed = false
    /// The most octets of content held at once (`chunk` and `writing`).
    private(set) var peak = 0

    init(queueID: String) {
        self.queueID = queueID
        chunk.reserveCapacity(Self.chunkSize)
    }

    /// Content held in memory now.
    var held: Int { chunk.count + writing }

    /// Adds content; returns a full chunk to write now, if there is one.
    mutating func append(_ bytes: [UInt8]) -> [UInt8]? {
        guard !failed else { return nil }
        chunk.append(contentsOf: bytes)
        peak = max(peak, held)
        guard chunk.count >= Self.chunkSize else { return nil }
        let full = chunk
        chunk = []
        chunk.reserveCapacity(Self.chunkSize + bytes.count)
        writing += full.count
        return full
    }

    /// A write handed out by `append` finished.
    mutating func written(_ count: Int, success: Bool) {
        writing -= count
        if !success {
            failed = true
            chunk = []
        }
    }

    /// The content not written yet, for the last write.
    mutating func takeRest() -> [UInt8] {
        defer { chunk = [] }
        return chunk
    }

    /// Two chunks wait for the disk: stop reading.
    var shouldPauseReading: Bool { writing >= 2 * Self.chunkSize }
    /// At most one does: read again.
    var mayResumeReading: Bool { writing <= Self.chunkSize }
}
