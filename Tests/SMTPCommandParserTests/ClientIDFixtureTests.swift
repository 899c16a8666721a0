import SMTPCommandParser
import XCTest

/// CLIENTID syntax as docs/decisions.md reads draft-storey-smtp-client-id-08 §4–§5.
final class ClientIDFixtureTests: XCTestCase {
    func testClientIDSyntaxDecisionsD1ToD5() { check(Fixtures.clientID) }

    // D12: an overlong CLIENTID line is refused by the framer (500) before any parsing,
    // and the next line parses.
    func testOverlongClientIDLineIsRefusedByTheFramerD12() throws {
        let long = bytes("CLIENTID UUID " + String(repeating: "t", count: 600) + "\r\n")
        let next = bytes("CLIENTID UUID x\r\n")
        for (how, chunks) in [("whole", [long + next]), ("trickled", (long + next).map { [$0] })] {
            let events = frame(chunks)
            XCTAssertEqual(events, [.error(.lineTooLong, offset: 512), .line(next)], how)
        }
        XCTAssertEqual(Kind.lineTooLong.replyCode, 500)
        XCTAssertEqual(owned(try SMTPCommandParser().parse(next), next), .clientID("UUID", "x"))
    }
}

extension Fixtures {
    static let token128 = String(repeating: "t", count: 128)

    static let clientID: [Fixture] = [
        ok("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f", .clientID("UUID", "23bf83be-aad7-46aa-9e0f-39191ccf402f")),
        ok("CLIENTID LICENSE ABCD-1234", .clientID("LICENSE", "ABCD-1234")),
        // D1: exactly one SP between the fields, nothing after the token
        bad("CLIENTID  UUID x", .invalidArguments, 501, at: 9),
        bad("CLIENTID UUID  x", .invalidArguments, 501, at: 14),
        bad("CLIENTID UUID x ", .invalidArguments, 501, at: 15),
        // D5: strictly, HTAB does not end the verb: "CLIENTID" HTAB "UUID" is one token, no verb
        bad("CLIENTID\tUUID x", .unknownCommand, 500, at: 8),
        bad("CLIENTID\tUUID x", .invalidArguments, 501, at: 8, .lenientMode),
        bad("CLIENTID UUID x y", .invalidArguments, 501, at: 15),
        bad("CLIENTID UUID", .invalidArguments, 501, at: 13),
        bad("CLIENTID", .invalidArguments, 501, at: 8),
        // D2: type 1*16(ALPHA / DIGIT / "-"), token 1*128VCHAR (so no SP)
        ok("CLIENTID U x", .clientID("U", "x")),
        ok("CLIENTID ABCDEFGHIJKLMN-5 t", .clientID("ABCDEFGHIJKLMN-5", "t")),
        bad("CLIENTID ABCDEFGHIJKLMNOP- t", .invalidArguments, 501, at: 25),
        bad("CLIENTID U.U x", .invalidArguments, 501, at: 10),
        ok("CLIENTID UUID " + token128, .clientID("UUID", token128)),
        bad("CLIENTID UUID " + token128 + "t", .invalidArguments, 501, at: 142),
        ok("CLIENTID COOKIE !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", .clientID("COOKIE", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")),
        bad("CLIENTID UUID a b", .invalidArguments, 501, at: 15),
        // D3: verb and type in any case, as written; the token keeps its case
        ok("clientid uuid AbC", .clientID("uuid", "AbC")),
        ok("ClientID Uuid aBc", .clientID("Uuid", "aBc")),
        // D4: the draft's §7 examples break its own ABNF
        bad("CLIENTID DEVICE_ID x", .invalidArguments, 501, at: 15),
        bad("CLIENTID <product_short_code>UUID x", .invalidArguments, 501, at: 9),
        // D5: non-ASCII and NUL after the verb are 501 (in it, 500: VerbFixtureTests), bare CR /
        // bare LF are framing errors (500, D12)
        bad("CLIENTID UUID tök", .nonASCII, 501, at: 15),
        bad("CLIENTID UUID tök", .invalidArguments, 501, at: 15, .utf8Mode),
        bad("CLIENTID ÜUID x", .nonASCII, 501, at: 9),
        bad("CLIENTID UUID a\u{0}b", .nulByte, 501, at: 15),
        bad("CLIENTID UUID a\rb", .bareCarriageReturn, 500, at: 15),
        bad("CLIENTID UUID a\nb", .bareLineFeed, 500, at: 15),
    ]
}
