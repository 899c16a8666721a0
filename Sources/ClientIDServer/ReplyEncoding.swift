// Replies go out through the session's one encoder (`Reply.write(into:)`), written
// in place into the connection's buffer: no intermediate strings or arrays per reply.

import NIOCore
import SMTPSession

extension ByteBuffer: ReplySink {
    public mutating func appendByte(_ byte: UInt8) { writeInteger(byte) }
    public mutating func appendText(_ text: String) { writeString(text) }
}
