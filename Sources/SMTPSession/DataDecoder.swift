// DATA content (RFC 5321 §4.1.1.4, §4.5.2): ends only at CRLF "." CRLF, and a
// leading "." of any other line is removed.
//
// Only CRLF starts a line. A bare LF or bare CR never does, so none of the
// SMTP smuggling sequences (`\n.\n`, `\r.\r`, `\r.\n`, `\n.\r`, `\n.\r\n`,
// `\r\n.\n`, `\r.\r\n`, `\r\n.\r`, `\r\n\0.\r\n`) ends the message; their bytes
// are content. The CRLF of the DATA command line counts as the CRLF before the
// first line, so ".\r\n" right after DATA is an empty message.

import SMTPCommandParser

struct DataDecoder: Sendable, Equatable {
    enum Position: Sendable, Equatable {
        /// Just after CRLF: a "." here is special.
        case lineStart
        /// "." at the start of a line, held back.
        case dot
        /// "." CR at the start of a line, both held back.
        case dotCR
        /// Inside a line, the last byte was CR.
        case afterCR
        /// Inside a line.
        case inLine
    }

    var position: Position = .lineStart
    /// RFC 5321 §4.5.3.1.6: octets of the current line, CRLF and any leading dot included.
    private var lineLength = 0
    let maxLineLength: Int
    /// A line longer than `maxLineLength` was seen (the message must not be stored).
    private(set) var sawOverlongLine = false

    init(maxLineLength: Int = .max) {
        self.maxLineLength = maxLineLength
    }

    /// Decodes `input` into `output` and returns how many bytes were consumed:
    /// all of them, or up to and including the end marker (`ended`).
    mutating func decode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) -> (consumed: Int, ended: Bool) {
        let count = input.count
        guard count > 0, let base = input.baseAddress else { return (0, false) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            if position == .inLine {
                // Inside a line only a CR can matter (a bare LF is content): copy the run
                // up to it in one piece instead of a byte at a time.
                let start = i
                i = ByteScan.firstIndex(of: 0x0D, in: bytes, from: i, to: count)
                let run = i &- start
                if run > 0 {
                    output.append(contentsOf: UnsafeRawBufferPointer(start: bytes + start, count: run))
                    // The line's length grows by the run: the same test as per byte, as it only grows.
                    lineLength &+= run
                    if lineLength > maxLineLength { sawOverlongLine = true }
                }
                guard i < count else { break }
            }
            let b = bytes[i]
            i &+= 1
            // Counted as it comes, so that a line without end is caught at the limit, not at its CRLF.
            lineLength &+= 1
            if lineLength > maxLineLength { sawOverlongLine = true }
            switch position {
            case .lineStart:
                if b == 0x2E {
                    position = .dot
                } else {
                    output.append(b)
                    position = b == 0x0D ? .afterCR : .inLine
                }
            case .dot:
                if b == 0x0D {
                    position = .dotCR
                } else {
                    // RFC 5321 §4.5.2: a line starting with "." and more: drop the first ".".
                    output.append(b)
                    position = .inLine
                }
            case .dotCR:
                if b == 0x0A {
                    position = .lineStart
                    lineLength = 0
                    return (i, true)
                }
                // "." CR then not LF: the "." is dropped as on any other line; the CR is content.
                output.append(0x0D)
                output.append(b)
                position = b == 0x0D ? .afterCR : .inLine
            case .afterCR:
                output.append(b)
                position = b == 0x0A ? .lineStart : b == 0x0D ? .afterCR : .inLine
                if b == 0x0A { lineLength = 0 }
            case .inLine:
                output.append(b)
                if b == 0x0D { position = .afterCR }
            }
        }
        return (i, false)
    }
}
