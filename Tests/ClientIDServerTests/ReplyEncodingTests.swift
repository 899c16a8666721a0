// The driver writes replies into its output buffer through the session's one
// encoder (no per-reply arrays): the bytes must be exactly the session's wire form.

import NIOCore
import SMTPSession
import XCTest

@testable import ClientIDServer

final class ReplyEncodingTests: XCTestCase {
    func testWriteIntoAByteBufferMatchesTheWireForm() {
        let replies = [
            Reply(220, nil, "server.example.com ESMTP ready"),
            Reply(250, nil, lines: ["server.example.com", "PIPELINING", "SIZE 26214400", "CLIENTID"]),
            Reply(334, nil, ""),  // RFC 4954 §4: "334 " and no text
            Reply(552, "5.3.4", "Message size exceeds fixed maximum message size"),
            Reply(421, "4.3.2", lines: ["first", "zweite Zeile \u{FC}"]),
            Reply(599, "5.9.9", "x"),
        ]
        var batch = ByteBufferAllocator().buffer(capacity: 8)
        var expected: [UInt8] = []
        for reply in replies {
            var one = ByteBufferAllocator().buffer(capacity: 0)
            reply.write(into: &one)
            XCTAssertEqual(Array(one.readableBytesView), reply.bytes, "\(reply)")
            reply.write(into: &batch)
            expected += reply.bytes
        }
        XCTAssertEqual(Array(batch.readableBytesView), expected, "replies of one batch follow each other")
        XCTAssertEqual(
            String(decoding: Reply(250, nil, lines: ["a", "b"]).bytes, as: UTF8.self), "250-a\r\n250 b\r\n",
            "the wire form itself (RFC 5321 §4.2.1)")
    }
}
