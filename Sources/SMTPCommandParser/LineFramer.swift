// Incremental command-line framing: bytes in, whole CRLF lines out, fed in
// chunks of any size.
//
// - Only CRLF ends a line (RFC 5321 §2.3.8). A bare LF or bare CR never ends
//   one; the line that contains it is refused when its CRLF arrives (D12).
// - A line longer than the limit (512 octets with CRLF, RFC 5321 §4.5.3.1.4)
//   yields one error as soon as it is too long; its remaining bytes are
//   skipped up to the next CRLF without being buffered, and the next line
//   parses normally.
// - NUL is not a framing matter: a line with one is handed out, and the
//   parser refuses it (500 inside the first token, 501 after a known verb, D5).
// - Memory is bounded by the limit: only the unfinished tail of a chunk is
//   copied; whole lines inside a chunk are handed out in place.

public struct LineFramer: Sendable {
    /// A complete line (CRLF included) or a framing error.
    public enum Event {
        /// Valid only during the callback: it may point into the caller's chunk.
        case line(UnsafeRawBufferPointer)
        case error(SMTPSyntaxError)
    }

    public let maxLineLength: Int
    /// The unfinished line carried between chunks (never more than the limit).
    private var pending: [UInt8] = []
    /// Skipping the rest of an overlong line.
    private var discarding = false
    /// The previous chunk ended in CR (it ends a line if this one starts with LF).
    private var afterCR = false
    /// First offsets (within the current line) of a bare LF and a bare CR; -1: none.
    private var bareLF = -1
    private var bareCR = -1
    /// `pending` holds a whole line that `nextLine` reported as `.heldLine`.
    private var heldLineReady = false

    static let hint: StaticString =
        "command lines end with CRLF and fit the line limit (512 octets by default, RFC 5321 §4.5.3.1.4)"

    public init(maxLineLength: Int = 512) {
        precondition(maxLineLength >= 3, "a line holds at least one byte and CRLF")
        self.maxLineLength = maxLineLength
        // No capacity up front: a session's limit is sized for AUTH lines (12 KB), and an
        // idle connection should not hold that. The buffer grows with the longest line
        // that spans chunks, up to the limit, and keeps its capacity after.
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { heldLineReady ? 0 : pending.count }

    /// Whether a line has started but not ended.
    public var hasPartialLine: Bool { (!pending.isEmpty && !heldLineReady) || discarding || afterCR }

    /// What `nextLine(in:from:)` found.
    public enum NextLine: Sendable, Equatable {
        /// A whole line, CRLF included, at these offsets of the chunk: nothing was copied.
        case line(Range<Int>)
        /// A whole line that began in an earlier chunk. The framer holds it: read it with
        /// `takeHeldLine()` before the next call.
        case heldLine
        case error(SMTPSyntaxError)
        /// The chunk ended inside a line: its bytes are held (or skipped, when overlong).
        case needMore
    }

    /// Frames one line (or one error) from `chunk[start...]` and returns it with the
    /// offset just past the bytes it consumed, so that a caller can stop after a line:
    /// a session stops after `DATA` and reads the rest of the chunk as message content,
    /// which must never be framed as command lines.
    @inline(__always)
    public mutating func nextLine(in chunk: UnsafeRawBufferPointer, from start: Int) -> (NextLine, end: Int) {
        let (found, end) = nextFound(in: chunk, from: start)
        switch found {
        case .line(let range): return (.line(range), end)
        case .heldLine: return (.heldLine, end)
        case .error(let kind, let offset): return (.error(Self.error(kind, at: offset)), end)
        case .needMore: return (.needMore, end)
        }
    }

    /// What the framing found, as `NextLine` but trivially copyable: a `NextLine`
    /// holds an `SMTPSyntaxError`, whose rule name is a `String`, so every one
    /// handed along and dropped cost an outlined destroy through the enum's value
    /// witness, about 50 instructions a line. Errors are built where they are
    /// handed out (all the framer's share the rule and hint).
    enum Found {
        case line(Range<Int>)
        case heldLine
        case error(SMTPSyntaxError.Kind, offset: Int)
        case needMore
    }

    static func error(_ kind: SMTPSyntaxError.Kind, at offset: Int) -> SMTPSyntaxError {
        SMTPSyntaxError(kind, offset: offset, rule: "command-line", hint: hint)
    }

    /// `nextLine(in:from:)`'s work (see `Found`).
    @inline(__always)
    mutating func nextFound(in chunk: UnsafeRawBufferPointer, from start: Int) -> (Found, end: Int) {
        if heldLineReady {
            heldLineReady = false
            pending.removeAll(keepingCapacity: true)
        }
        var start = start
        while true {
            let (found, end) = scanLine(chunk, from: start)
            if let found { return (found, end) }
            start = end  // the end of an overlong line, reported when it grew too long
        }
    }

    /// One line from `start`, or nil at the end of an overlong line being skipped.
    @inline(__always)
    private mutating func scanLine(_ chunk: UnsafeRawBufferPointer, from start: Int) -> (Found?, end: Int) {
        let count = chunk.count
        guard start < count, let base = chunk.baseAddress else { return (.needMore, count) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let lineStart = start
        var i = start
        // Bytes of the current line that came in earlier chunks.
        let carried = pending.count
        if afterCR {
            afterCR = false
            if bytes[i] == 0x0A {
                i &+= 1
                return (endLine(chunk, lineStart: lineStart, end: i, carried: carried), i)
            } else if bareCR < 0 {
                bareCR = carried - 1
            }
        }
        while i < count {
            // Skip eight bytes at a time while none is below 0x0E (CR, LF, and
            // the controls below them, which the byte loop passes over).
            // When a word has such a byte, jump straight to the first one:
            // the lowest flagged byte is exact (a borrow only spreads upwards),
            // and the byte loop below looks at it.
            while i &+ 8 <= count {
                // Little-endian order, so the first byte is the lowest (for the jump below).
                let word = UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self).littleEndian
                let low = (word &- 0x0E0E_0E0E_0E0E_0E0E) & ~word & 0x8080_8080_8080_8080
                if low != 0 {
                    i &+= low.trailingZeroBitCount &>> 3
                    break
                }
                i &+= 8
            }
            if !discarding && carried &+ (i &- lineStart) > maxLineLength {
                return (tooLong(), i)
            }
            guard i < count else { break }
            let b = bytes[i]
            i &+= 1
            if b > 0x0D { continue }
            let offset = carried &+ (i &- 1 &- lineStart)
            if b == 0x0D {
                guard i < count else {
                    afterCR = true
                    break
                }
                if bytes[i] == 0x0A {
                    i &+= 1
                    // The common line: whole in this chunk, nothing odd in it, short enough.
                    if carried == 0 && (bareLF & bareCR) < 0 && !discarding && i &- lineStart <= maxLineLength {
                        return (.line(lineStart..<i), i)
                    }
                    return (endLine(chunk, lineStart: lineStart, end: i, carried: carried), i)
                }
                if bareCR < 0 { bareCR = offset }
            } else if b == 0x0A {
                if bareLF < 0 { bareLF = offset }
            }
        }
        if !discarding && carried &+ (count &- lineStart) > maxLineLength {
            return (tooLong(), count)
        }
        // Keep the unfinished tail (bounded by the limit).
        if !discarding {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[lineStart..<count]))
        }
        return (.needMore, count)
    }

    /// The line `nextLine` reported as `.heldLine`, moved out of the framer (no copy).
    /// Give the array back with `reuse(_:)` to keep its capacity for the next long line.
    public mutating func takeHeldLine() -> [UInt8] {
        precondition(heldLineReady, "takeHeldLine() after nextLine returned .heldLine")
        heldLineReady = false
        defer { pending = [] }
        return pending
    }

    /// Hands back the storage of a line taken with `takeHeldLine()`.
    public mutating func reuse(_ storage: [UInt8]) {
        guard pending.isEmpty, !heldLineReady, storage.capacity > pending.capacity else { return }
        pending = storage
        pending.removeAll(keepingCapacity: true)
    }

    /// Feeds a chunk; `handle` receives each complete line or error in order.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) rethrows {
        var start = 0
        while true {
            let (found, end) = nextFound(in: chunk, from: start)
            start = end
            switch found {
            case .line(let range):
                try handle(.line(UnsafeRawBufferPointer(rebasing: chunk[range])))
            case .heldLine:
                heldLineReady = false
                // Cleared even when the handler throws, so no stale bytes start the next line.
                defer { pending.removeAll(keepingCapacity: true) }
                try pending.withUnsafeBytes { try handle(.line($0)) }
            case .error(let kind, let offset):
                try handle(.error(Self.error(kind, at: offset)))
            case .needMore:
                return
            }
        }
    }

    /// Feeds bytes held in an array.
    public mutating func feed(_ bytes: [UInt8], _ handle: (Event) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { try feed($0, handle) }
    }

    /// One error per overlong line, then skip to its CRLF without buffering.
    private mutating func tooLong() -> Found {
        discarding = true
        pending.removeAll(keepingCapacity: true)
        return .error(.lineTooLong, offset: maxLineLength)
    }

    /// Ends the current line at `end` (just past its LF): the line, its error, or nil
    /// for the end of an overlong line (already reported).
    private mutating func endLine(_ chunk: UnsafeRawBufferPointer, lineStart: Int, end: Int, carried: Int) -> Found? {
        let lf = bareLF
        let cr = bareCR
        bareLF = -1
        bareCR = -1
        if discarding {
            discarding = false
            return nil  // its error was reported when it grew too long
        }
        if carried + (end - lineStart) > maxLineLength {
            pending.removeAll(keepingCapacity: true)
            return .error(.lineTooLong, offset: maxLineLength)
        }
        if lf >= 0 || cr >= 0 {
            pending.removeAll(keepingCapacity: true)
            let kind: SMTPSyntaxError.Kind = lf >= 0 ? .bareLineFeed : .bareCarriageReturn
            return .error(kind, offset: lf >= 0 ? lf : cr)
        }
        if pending.isEmpty {
            return .line(lineStart..<end)
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[lineStart..<end]))
        heldLineReady = true
        return .heldLine
    }
}
