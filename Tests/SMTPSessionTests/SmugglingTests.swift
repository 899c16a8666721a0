// SMTP smuggling: only CRLF "." CRLF ends DATA. None of these sequences may end
// the message, whole or trickled byte by byte, and the commands hidden behind
// them are content, never executed.

import SMTPSession
import XCTest

final class SmugglingTests: XCTestCase {
    static let sequences: [(name: String, bytes: String)] = [
        ("\\n.\\n", "\n.\n"),
        ("\\r.\\r", "\r.\r"),
        ("\\r.\\n", "\r.\n"),
        ("\\n.\\r", "\n.\r"),
        ("\\n.\\r\\n", "\n.\r\n"),
        ("\\r\\n.\\n", "\r\n.\n"),
        ("\\r.\\r\\n", "\r.\r\n"),
        ("\\r\\n.\\r", "\r\n.\r"),
        ("\\r\\n\\0.\\r\\n", "\r\n\0.\r\n"),
        ("\\n\\n.\\n\\n", "\n\n.\n\n"),
        ("\\r\\n.\\r\\r\\n", "\r\n.\r\r\n"),
    ]

    /// Runs one DATA transaction whose content is `content` followed by the real end.
    private func run(_ content: [UInt8], trickle: Bool) -> (replies: [Int], delivered: [UInt8], deliveries: Int) {
        var h = Harness()
        h.startTLSAndEHLO()
        h.authPlain(outcome: .accepted)
        h.send("MAIL FROM:<a@example.net>")
        h.send("RCPT TO:<b@example.com>")
        h.send("DATA")
        _ = h.takeActions()
        let stream = content + Array("\r\n.\r\n".utf8)
        if trickle {
            for b in stream { h.sendRaw([b]) }
        } else {
            h.sendRaw(stream)
        }
        let actions = h.takeActions()
        let deliveries = actions.filter { if case .deliver = $0 { true } else { false } }.count
        let replies = actions.compactMap { if case .send(let r) = $0 { r.code } else { nil } }
        return (replies, messageContent(actions), deliveries)
    }

    func testNoSmugglingSequenceEndsDATA() {
        for (name, sequence) in Self.sequences {
            // The classic attack: a second transaction hidden behind the false end.
            let hidden =
                "Subject: one\r\n\r\nbody" + sequence
                + "MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n\r\nforged"
            for trickle in [false, true] {
                let result = run(Array(hidden.utf8), trickle: trickle)
                XCTAssertEqual(result.replies, [], "\(name): nothing was answered as a command (trickle: \(trickle))")
                XCTAssertEqual(result.deliveries, 1, "\(name): one message only")
                let text = String(decoding: result.delivered, as: UTF8.self)
                XCTAssertTrue(text.contains("MAIL FROM:<evil@example.net>"), "\(name): the hidden commands are content")
                XCTAssertTrue(text.hasSuffix("forged\r\n"), "\(name)")
            }
        }
    }

    /// The bytes of each sequence reach the message (apart from RFC 5321 §4.5.2's
    /// removal of a line's leading "."), so nothing downstream sees a different message.
    func testSequencesAreKeptAsContent() {
        let expected: [String: String] = [
            "\n.\n": "\n.\n", "\r.\r": "\r.\r", "\r.\n": "\r.\n", "\n.\r": "\n.\r", "\n.\r\n": "\n.\r\n",
            "\r\n.\n": "\r\n\n", "\r.\r\n": "\r.\r\n", "\r\n.\r": "\r\n\rX", "\r\n\0.\r\n": "\r\n\0.\r\n",
        ]
        for (sequence, kept) in expected {
            let content = "a" + sequence + "X"
            let result = run(Array(content.utf8), trickle: false)
            let want = sequence == "\r\n.\r" ? "a" + kept + "\r\n" : "a" + kept + "X\r\n"
            XCTAssertEqual(escape(result.delivered), escape(Array(want.utf8)), "content after \(escape(Array(sequence.utf8)))")
        }
    }

    func testOnlyCRLFDotCRLFEnds() {
        XCTAssertEqual(run(Array("line".utf8), trickle: true).deliveries, 1)
        // An empty message: the DATA line's CRLF is the CRLF before the ".".
        var h = Harness()
        h.startTLSAndEHLO()
        h.authPlain(outcome: .accepted)
        h.sendRaw(Array("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n.\r\n".utf8))
        let actions = h.takeActions()
        XCTAssertEqual(messageContent(actions), [])
        XCTAssertTrue(actions.contains { if case .deliver(let e) = $0 { e.size == 0 } else { false } })
    }

    func testDotStuffingIsRemoved() {
        let result = run(Array("..\r\n...x\r\n.y".utf8), trickle: true)
        XCTAssertEqual(String(decoding: result.delivered, as: UTF8.self), ".\r\n..x\r\ny\r\n")
    }
}
