import SMTPCommandParser
import XCTest

/// Paths, address literals, RFC 5321 length limits and the bytes a line may hold.
final class PathFixtureTests: XCTestCase {
    func testPathsSourceRoutesPostmasterAndNullPath() { check(Fixtures.paths) }
    func testAddressLiterals() { check(Fixtures.addressLiterals) }
    func testLengthLimitsOfLocalPartDomainAndPath() { check(Fixtures.lengthLimits) }
    func testBytesOutsideASCIINULAndBareCRLF() { check(Fixtures.bytesOutsideASCII) }

    // RFC 5321 §4.1.1.2: "<>" is an empty range just inside the brackets.
    func testNullReversePathIsAnEmptyRangeInsideTheBrackets() throws {
        for (text, options, offset) in [("MAIL FROM:<>\r\n", Options.strictMode, 11), ("MAIL FROM:  <>\r\n", .lenientMode, 13)] {
            guard case .mail(let mail) = try SMTPCommandParser(options: options).parse(bytes(text)) else { return XCTFail(text) }
            XCTAssertEqual(mail.path, offset..<offset, text)
            XCTAssertNil(mail.parameters, text)
        }
    }
}

/// `n` octets of domain: labels of at most 63 letters joined by dots.
func domain(_ n: Int) -> String {
    var labels: [String] = []
    var left = n
    while left > 0 {
        let take = min(63, left == 64 ? 62 : left)  // never leave a dot with nothing after it
        labels.append(String(repeating: "d", count: take))
        left -= take + 1
    }
    let result = labels.joined(separator: ".")
    precondition(result.utf8.count == n, "domain(\(n)) built \(result.utf8.count) octets")
    return result
}

extension Fixtures {
    static let local64 = String(repeating: "l", count: 64)
    /// A quoted local part of `n` octets with an "@" inside the quotes.
    static func quoted(_ n: Int) -> String {
        "\"" + String(repeating: "q", count: n - 34) + "@" + String(repeating: "q", count: 31) + "\""
    }

    // RFC 5321 §4.1.2 (Path, A-d-l source routes "MUST BE accepted ... SHOULD be ignored"), §4.1.1.3 (Postmaster)
    static let paths: [Fixture] = [
        ok("MAIL FROM:<@a.example,@b.example:user@c.example>", .mail("user@c.example")),
        ok("RCPT TO:<@relay.example:x@y.example>", .rcpt("x@y.example")),
        ok("RCPT TO:<Postmaster>", .rcpt("Postmaster")),
        ok("RCPT TO:<postmaster>", .rcpt("postmaster")),
        ok("RCPT TO:<Postmaster@example.com>", .rcpt("Postmaster@example.com")),
        bad("MAIL FROM:<Postmaster>", .invalidArguments, 501, at: 21),
        ok("MAIL FROM:<>", .mail("")),
        ok("MAIL FROM:<> SIZE=0", .mail("", "SIZE=0"), mail: MailFields(size: 0)),
        ok("MAIL FROM:<first.last@example.com>", .mail("first.last@example.com")),
        ok("MAIL FROM:<\"john smith\"@example.com>", .mail("\"john smith\"@example.com")),
        ok("MAIL FROM:<\"a@b\\\"c\"@example.com>", .mail("\"a@b\\\"c\"@example.com")),
        bad("MAIL FROM:<a..b@c>", .invalidArguments, 501, at: 13),
        bad("MAIL FROM:<a>", .invalidArguments, 501, at: 12),
        bad("MAIL FROM:<@a.example:>", .invalidArguments, 501, at: 22),
    ]

    // RFC 5321 §4.1.3; an "[IPv6:...]" literal must be an IPv6-addr even though
    // General-address-literal would take any dcontent (Grammar/README.md)
    static let addressLiterals: [Fixture] = [
        ok("MAIL FROM:<a@[192.0.2.1]>", .mail("a@[192.0.2.1]")),
        ok("EHLO [IPv6:::1]", .ehlo("[IPv6:::1]")),
        ok("EHLO [IPv6:2001:db8::1]", .ehlo("[IPv6:2001:db8::1]")),
        ok("EHLO [ipv6:2001:DB8:0:0:0:0:0:1]", .ehlo("[ipv6:2001:DB8:0:0:0:0:0:1]")),
        ok("EHLO [IPv6:::ffff:192.0.2.1]", .ehlo("[IPv6:::ffff:192.0.2.1]")),
        ok("RCPT TO:<a@[IPv6:::1]>", .rcpt("a@[IPv6:::1]")),
        ok("EHLO [x-tag:anything]", .ehlo("[x-tag:anything]")),
        // A General-address-literal with the tag "2001", not an IPv6 literal.
        ok("EHLO [2001:db8::1]", .ehlo("[2001:db8::1]")),
        bad("EHLO [IPv6:zz]", .invalidAddressLiteral, 501, at: 11),
        bad("EHLO [IPv6:1:2:3:4:5:6:7:8:9]", .invalidAddressLiteral, 501, at: 26),
        bad("EHLO [IPv6:1::2::3]", .invalidAddressLiteral, 501, at: 16),
        bad("EHLO [IPv6:1:2]", .invalidAddressLiteral, 501, at: 14),
        bad("MAIL FROM:<a@[IPv6:gg]>", .invalidAddressLiteral, 501, at: 19),
        bad("EHLO [IPv6:]", .invalidArguments, 501, at: 11),
        bad("EHLO [300.0.0.1]", .invalidArguments, 501, at: 9),
    ]

    // RFC 5321 §4.5.3.1.1 (local part 64), §4.5.3.1.2 (domain 255), §4.5.3.1.3 (path 256, brackets and route included)
    static let lengthLimits: [Fixture] = [
        ok("MAIL FROM:<\(local64)@example.com>", .mail("\(local64)@example.com")),
        bad("MAIL FROM:<\(local64)l@example.com>", .localPartTooLong, 501, at: 75),
        ok("RCPT TO:<\(quoted(64))@example.com>", .rcpt("\(quoted(64))@example.com")),
        bad("RCPT TO:<\(quoted(65))@example.com>", .localPartTooLong, 501, at: 73),
        ok("EHLO \(domain(255))", .ehlo(domain(255))),
        bad("EHLO \(domain(256))", .domainTooLong, 501, at: 260),
        ok("MAIL FROM:<\(local64)@\(domain(189))>", .mail("\(local64)@\(domain(189))")),
        bad("MAIL FROM:<\(local64)@\(domain(190))>", .pathTooLong, 501, at: 266),
        bad("RCPT TO:<\(local64)@\(domain(190))>", .pathTooLong, 501, at: 264),
        ok("MAIL FROM:<@\(domain(249)):a@b>", .mail("a@b")),
        bad("MAIL FROM:<@\(domain(250)):a@b>", .pathTooLong, 501, at: 266),
        // A 255-octet domain never fits in a 256-octet path: the path limit answers first.
        bad("MAIL FROM:<a@\(domain(255))>", .pathTooLong, 501, at: 266),
    ]

    // RFC 6531 §3.2 and D5 (non-ASCII only with SMTPUTF8), RFC 5321 §2.3.8 and D12 (bare CR/LF), D5 (NUL)
    static let bytesOutsideASCII: [Fixture] = [
        bad("MAIL FROM:<jörg@example.com>", .nonASCII, 501, at: 12),
        ok("MAIL FROM:<jörg@example.com>", .mail("jörg@example.com"), .utf8Mode),
        ok("RCPT TO:<用户@例子.广告>", .rcpt("用户@例子.广告"), .utf8Mode),
        ok("RCPT TO:<\"jö rg\"@example.com>", .rcpt("\"jö rg\"@example.com"), .utf8Mode),
        ok("EHLO bücher.example", .ehlo("bücher.example"), .utf8Mode),
        bad("EHLO bücher.example", .nonASCII, 501, at: 6),
        bad(whole: bytes("MAIL FROM:<") + [0xFF] + bytes("@b>\r\n"), .nonASCII, 501, at: 11),
        bad(whole: bytes("MAIL FROM:<") + [0xFF] + bytes("@b>\r\n"), .invalidArguments, 501, at: 11, .utf8Mode),
        bad(whole: bytes("MAIL FROM:<") + [0xC3, 0x28] + bytes("@b>\r\n"), .invalidArguments, 501, at: 12, .utf8Mode),
        bad(whole: bytes("MAIL FROM:<") + [0xED, 0xA0, 0x80] + bytes("@b>\r\n"), .invalidArguments, 501, at: 12, .utf8Mode),
        bad("MAIL FROM:<a\u{0}@b>", .nulByte, 501, at: 12),
        bad("MAIL FROM:<a\u{0}@b>", .nulByte, 501, at: 12, .utf8Mode),
        bad("NOOP a\rb", .bareCarriageReturn, 500, at: 6),
        bad("MAIL FROM:<a@b>\r SIZE=1", .bareCarriageReturn, 500, at: 15),
        bad(whole: bytes("NOOP\r\r\n"), .bareCarriageReturn, 500, at: 4),
        bad("NOOP a\nb", .bareLineFeed, 500, at: 6),
        bad(whole: bytes("QUIT\n"), .bareLineFeed, 500, at: 4),
    ]
}
