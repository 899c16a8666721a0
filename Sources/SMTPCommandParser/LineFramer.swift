// Incremental command-line framing: bytes in, whole CRLF lines out, fed in
// chunks of any size.
//
// - Only CRLF ends a line (RFC 5321 §2.3.8). A bare LF or bare CR never ends
//   one; the line that contains it is refused when its CRLF arrives (D12).
// - A line longer than the limit (512 octets with CRLF, RFC 5321 §4.5.3.1.4)
//   yields one error as soon as it is too long; its remaining bytes are
//   skipped up to the next CRLF without being buffered, and the next line
//   parses normally.
// - A line with a NUL byte is refused (D5).
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
    /// The previous byte was CR (it may end a line when LF follows).
    private var afterCR = false
    private var bareLF = -1
    private var bareCR = -1
    private var nul = -1
    /// Length of the current line so far (also while discarding).
    private var length = 0

    static let hint: StaticString = "command lines end with CRLF and are at most 512 octets"

    public init(maxLineLength: Int = 512) {
        precondition(maxLineLength >= 3, "a line holds at least one byte and CRLF")
        self.maxLineLength = maxLineLength
        pending.reserveCapacity(maxLineLength)
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { pending.count }

    /// Whether a line has started but not ended.
    public var hasPartialLine: Bool { length > 0 }

    /// Feeds a chunk; `handle` receives each complete line or error in order.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) rethrows {
        var lineStart = 0  // start of the current line within `chunk` when nothing is pending
        var i = 0
        let count = chunk.count
        while i < count {
            let b = chunk[i]
            i += 1
            length += 1
            if b > 0x0D {
                afterCR = false
            } else if b == 0x0A {
                if afterCR {
                    let ended = finishLine(chunk, lineStart, i)
                    afterCR = false
                    switch ended {
                    case .none: break
                    case .inChunk(let range): try handle(.line(UnsafeRawBufferPointer(rebasing: chunk[range])))
                    case .error(let error): try handle(.error(error))
                    case .pending:
                        try pending.withUnsafeBytes { try handle(.line($0)) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    lineStart = i
                    continue
                }
                if bareLF < 0 { bareLF = length - 1 }
            } else {
                if afterCR && bareCR < 0 { bareCR = length - 2 }
                afterCR = b == 0x0D
                if b == 0 && nul < 0 { nul = length - 1 }
            }
            if !discarding && length > maxLineLength {
                // One error per overlong line, then skip to its CRLF without buffering.
                discarding = true
                pending.removeAll(keepingCapacity: true)
                try handle(.error(SMTPSyntaxError(.lineTooLong, offset: maxLineLength, rule: "command-line", hint: Self.hint)))
            }
        }
        // Keep the unfinished tail (bounded by the limit).
        if !discarding && lineStart < count && length > 0 {
            pending.append(contentsOf: chunk[lineStart..<count])
        }
    }

    /// Feeds bytes held in an array.
    public mutating func feed(_ bytes: [UInt8], _ handle: (Event) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { try feed($0, handle) }
    }

    private enum Ended {
        case inChunk(Range<Int>)
        case pending
        case error(SMTPSyntaxError)
    }

    /// Ends the current line at `end` (just past its LF). Returns what to report.
    private mutating func finishLine(_ chunk: UnsafeRawBufferPointer, _ lineStart: Int, _ end: Int) -> Ended? {
        defer {
            length = 0
            bareLF = -1
            bareCR = -1
            nul = -1
        }
        if discarding {
            discarding = false
            return nil  // its error was reported when it grew too long
        }
        let error: SMTPSyntaxError.Kind? = bareLF >= 0 ? .bareLineFeed : bareCR >= 0 ? .bareCarriageReturn : nul >= 0 ? .nulByte : nil
        if let error {
            let offset = error == .bareLineFeed ? bareLF : error == .bareCarriageReturn ? bareCR : nul
            pending.removeAll(keepingCapacity: true)
            return .error(SMTPSyntaxError(error, offset: offset, rule: "command-line", hint: Self.hint))
        }
        if pending.isEmpty { return .inChunk(lineStart..<end) }
        pending.append(contentsOf: chunk[lineStart..<end])
        return .pending
    }
}
