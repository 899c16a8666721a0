// One SMTP reply (RFC 5321 §4.2): a code, an optional RFC 3463 enhanced status
// code, and one or more lines of text.

/// A reply the session wants sent. `bytes` is the wire form; `description`
/// is the transcript form (`250-first`, `250 last`), one line per reply line.
public struct Reply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    /// RFC 3463 `class.subject.detail`. RFC 2034 §3: present in every 2xx, 4xx and
    /// 5xx reply except the greeting and the replies to EHLO and HELO; never in 3xx.
    public var enhancedStatus: String?
    public var lines: [String]

    public init(_ code: Int, _ enhancedStatus: String?, _ text: String) {
        self.init(code, enhancedStatus, lines: [text])
    }

    public init(_ code: Int, _ enhancedStatus: String?, lines: [String]) {
        precondition((200...599).contains(code), "reply codes are three digits, 2xx to 5xx")
        precondition(!lines.isEmpty, "a reply has at least one line")
        self.code = code
        self.enhancedStatus = enhancedStatus
        self.lines = lines
    }

    /// The reply lines without CRLF, as they appear on the wire.
    public var textLines: [String] {
        lines.indices.map { i in
            var line: [UInt8] = []
            writeLine(i, into: &line)
            return String(decoding: line.dropLast(2), as: UTF8.self)
        }
    }

    /// The wire form: each line ends in CRLF (RFC 5321 §4.2).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// Writes the wire form into `sink` (a driver's own buffer type): the one encoder
    /// of replies, so every driver sends the same bytes as `bytes`.
    public func write<Sink: ReplySink>(into sink: inout Sink) {
        for i in lines.indices { writeLine(i, into: &sink) }
    }

    /// `250-first` / `250 last`: code, "-" on every line but the last, the enhanced
    /// status, the text, CRLF. RFC 4954 §4: an empty challenge is "334 " (a space and no text).
    private func writeLine<Sink: ReplySink>(_ i: Int, into sink: inout Sink) {
        // 200...599 (the initialiser's precondition): three digits.
        sink.appendByte(UInt8(truncatingIfNeeded: 0x30 + code / 100))
        sink.appendByte(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
        sink.appendByte(UInt8(truncatingIfNeeded: 0x30 + code % 10))
        sink.appendByte(i == lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-"))
        if let enhancedStatus {
            sink.appendText(enhancedStatus)
            sink.appendByte(UInt8(ascii: " "))
        }
        sink.appendText(lines[i])
        sink.appendByte(0x0D)
        sink.appendByte(0x0A)
    }

    public var description: String { textLines.joined(separator: "\n") }

    /// True for 4xx and 5xx replies.
    public var isNegative: Bool { code >= 400 }
}

/// Where `Reply.write(into:)` puts a reply's bytes: an array here, a driver's
/// buffer (a NIO `ByteBuffer` in the server) there.
public protocol ReplySink {
    mutating func appendByte(_ byte: UInt8)
    mutating func appendText(_ text: String)
}

extension Array: ReplySink where Element == UInt8 {
    public mutating func appendByte(_ byte: UInt8) { append(byte) }
    public mutating func appendText(_ text: String) { append(contentsOf: text.utf8) }
}
