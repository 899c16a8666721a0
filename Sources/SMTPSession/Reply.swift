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
        let status = enhancedStatus.map { "\($0) " } ?? ""
        return lines.indices.map { i in
            let separator = i == lines.count - 1 ? " " : "-"
            // RFC 4954 §4: an empty challenge is "334 " (a space and no text).
            return "\(code)\(separator)\(status)\(lines[i])"
        }
    }

    /// The wire form: each line ends in CRLF (RFC 5321 §4.2).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for line in textLines {
            out += line.utf8
            out += [0x0D, 0x0A]
        }
        return out
    }

    public var description: String { textLines.joined(separator: "\n") }

    /// True for 4xx and 5xx replies.
    public var isNegative: Bool { code >= 400 }
}
