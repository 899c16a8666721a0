import ABNF
import PropertyTesting
import SMTPCommandParser
import XCTest

/// The edges of the CLIENTID syntax (D1–D3) and of the RFC 5321 prose limits,
/// with the bytes around them generated from the grammar.
final class BoundaryProperties: XCTestCase {
    /// "CLIENTID" SP type SP token CRLF from pieces (D1), the verb in any letter case.
    func clientIDLine(type: Gen<GrammarText>, token: Gen<GrammarText>) -> Gen<GrammarText> {
        .concat(
            .literal("CLIENTID "), type.tagged("client-id-type"), .literal(" "), token.tagged("client-id-token"), .literal("\r\n")
        )
    }

    func characters(_ profile: Profile, _ rule: String, count: Int) throws -> Gen<GrammarText> {
        try profile.shortStrings(rule).repeated(count: count...count)
    }

    /// D2: client-id-type is 1*16 of ALPHA / DIGIT / "-".
    func testClientIDTypeLengths() throws {
        for profile in try Profile.all() {
            let model = profile.model
            for length in [1, 16, 17] {
                let line = clientIDLine(
                    type: try characters(profile, "client-id-type-char", count: length),
                    token: try profile.shortStrings("client-id-token"))
                forAll(
                    "a client-id-type of \(length) characters is \(length <= 16 ? "accepted" : "refused") (\(profile.name))",
                    line, iterations: 30
                ) { text in
                    guard length <= 16 else { return self.rejected(profile, text.bytes, as: .invalidArguments) }
                    return model.judge(model.expected(rule: "clientid", text: text, membership: .unknown), text.bytes)
                }
            }
        }
    }

    /// D2: client-id-token is 1*128 VCHAR.
    func testClientIDTokenLengths() throws {
        for profile in try Profile.all() {
            let model = profile.model
            for length in [1, 128, 129] {
                let line = clientIDLine(
                    type: try profile.shortStrings("client-id-type"),
                    token: try characters(profile, "VCHAR", count: length))
                forAll(
                    "a client-id-token of \(length) characters is \(length <= 128 ? "accepted" : "refused") (\(profile.name))",
                    line, iterations: 30
                ) { text in
                    guard length <= 128 else { return self.rejected(profile, text.bytes, as: .invalidArguments) }
                    return model.judge(model.expected(rule: "clientid", text: text, membership: .unknown), text.bytes)
                }
            }
        }
    }

    /// D2, D5: inside a token every VCHAR (0x21–0x7E) is accepted and every other
    /// byte refused, in every profile (SMTPUTF8 does not extend VCHAR).
    func testEveryByteInsideAToken() throws {
        for profile in try Profile.all() {
            let model = profile.model
            let base = clientIDLine(
                type: try profile.shortStrings("client-id-type"),
                token: try profile.shortStrings("VCHAR").repeated(count: 2...127))
            for byte in UInt8.min...UInt8.max {
                let vchar = (0x21...0x7E).contains(byte)
                // The byte goes between two token characters, so it can never be taken as the line's end.
                let line = base.map { text -> GrammarText in
                    let token = text.first("client-id-token")!.range
                    var bytes = text.bytes
                    bytes.insert(byte, at: token.lowerBound + 1)
                    return vchar
                        ? GrammarText(bytes: bytes, trees: text.trees.map { Self.widen($0, at: token.lowerBound + 1) })
                        : GrammarText(bytes: bytes)
                }
                forAll(
                    "0x\(hex(byte)) inside a token is \(vchar ? "accepted" : "refused") (\(profile.name))", line, iterations: 2
                ) { text in
                    guard vchar else { return self.rejected(profile, text.bytes, as: nil) }
                    return model.judge(model.expected(rule: "clientid", text: text, membership: .unknown), text.bytes)
                }
            }
        }
    }

    /// The derivation after one byte was inserted at `offset` inside the token.
    static func widen(_ tree: ParseTree, at offset: Int) -> ParseTree {
        var range = tree.range
        if range.contains(offset) || (range.lowerBound < offset && range.upperBound == offset) {
            range = range.lowerBound..<(range.upperBound + 1)
        } else if range.lowerBound >= offset {
            range = (range.lowerBound + 1)..<(range.upperBound + 1)
        }
        return ParseTree(rule: tree.rule, range: range, children: tree.children.map { widen($0, at: offset) })
    }

    /// The line is refused (with `kind` when given, never as "incomplete").
    func rejected(_ profile: Profile, _ line: [UInt8], as kind: SMTPSyntaxError.Kind?) -> Verdict {
        switch profile.parser.result(line) {
        case .success(let command):
            return .fail("accepted as \(show(command, line))")
        case .failure(let error):
            if let kind, error.kind != kind {
                return .fail("expected \(kind), got \(show(error))", at: error.offset, rule: error.rule)
            }
            if error.kind == .incomplete {
                return .fail("a complete line is reported incomplete: \(show(error))", at: error.offset)
            }
            return .pass(as: "\(error.kind)")
        }
    }

    /// Flips the letter case of the bytes in `ranges`, one decision per letter.
    static func caseVariant(_ text: GrammarText, _ ranges: [Range<Int>]) -> Gen<GrammarText> {
        let letters = ranges.flatMap { $0 }.filter { (text.bytes[$0] | 0x20) >= 0x61 && (text.bytes[$0] | 0x20) <= 0x7A }
        return Gen<Bool>.bool.array(count: letters.count...letters.count).map { flips in
            var out = text
            for (i, flip) in zip(letters, flips) where flip { out.bytes[i] ^= 0x20 }
            return out
        }
    }

    /// D3: verb and type in any letter case are accepted; the token is kept byte for byte.
    func testCaseOfVerbTypeAndToken() throws {
        for profile in try Profile.all() {
            let model = profile.model
            let lines = try profile.shortStrings("clientid").flatMap { text -> Gen<GrammarText> in
                let type = text.first("client-id-type")!.range
                let token = text.first("client-id-token")!.range
                return Self.caseVariant(text, [0..<8, type, token])
            }
            forAll("CLIENTID in any letter case keeps the type's and the token's bytes (\(profile.name))", lines, iterations: 100)
            { text in
                // The model's fields are the generated ranges: the parser must not fold them.
                model.judge(model.expected(rule: "clientid", text: text, membership: .unknown), text.bytes)
            }
        }
    }

    /// RFC 5321 §2.4: verbs (and "FROM:"/"TO:") are case-insensitive for every command.
    func testVerbCaseForEveryCommand() throws {
        let profile = try Profile.base.get()
        let parser = profile.parser
        for (verb, rule) in commandRules {
            let prefix = rule == "mail" ? 10 : rule == "rcpt" ? 8 : verb.utf8.count
            let pairs = try profile.shortStrings(rule).flatMap { text in Self.caseVariant(text, [0..<prefix]).map { (text, $0) } }
            forAll(
                "\(verb) in any letter case is the same command", pairs.map { VariantPair(original: $0.0, variant: $0.1) },
                iterations: 40
            ) { pair in
                switch (parser.result(pair.original.bytes), parser.result(pair.variant.bytes)) {
                case (.success(let a), .success(let b)):
                    return .require(a == b, "\(show(a, pair.original.bytes)) became \(show(b, pair.variant.bytes))")
                case (.failure(let a), .failure(let b)):
                    return .require(a == b, "the error \(show(a)) became \(show(b))")
                case (.success(let a), .failure(let b)):
                    return .fail("\(show(a, pair.original.bytes)) became an error: \(show(b))", at: b.offset, rule: b.rule)
                case (.failure(let a), .success(let b)):
                    return .fail("the error \(show(a)) became \(show(b, pair.variant.bytes))")
                }
            }
        }
    }

    struct VariantPair: PropertyInput {
        var original: GrammarText
        var variant: GrammarText
        var reportText: String { "\(variant.reportText) (of \(original))" }
        func rulePath(at offset: Int?, through rule: String?) -> String? { variant.rulePath(at: offset, through: rule) as String }
    }

    /// RFC 5321 §4.5.3.1.1–3, RFC 1870 §6, RFC 3030 §2: each limit accepted at its
    /// value and refused one above, with its own error.
    func testProseLimits() throws {
        let parser = try Profile.base.get().parser
        func domain(_ length: Int) -> String {
            // Labels of 63 octets joined by dots (RFC 5321 §4.5.3.1.2 counts the dots too).
            String((0..<length).map { i in i % 64 == 63 && i != length - 1 ? "." : "d" })
        }
        let local64 = String(repeating: "l", count: 64)
        let rows: [(text: String, kind: SMTPSyntaxError.Kind?, line: UInt)] = [
            ("MAIL FROM:<\(local64)@x>\r\n", nil, #line),
            ("MAIL FROM:<\(local64)l@x>\r\n", .localPartTooLong, #line),
            ("RCPT TO:<\"\(String(repeating: "q", count: 62))\"@x>\r\n", nil, #line),
            ("RCPT TO:<\"\(String(repeating: "q", count: 63))\"@x>\r\n", .localPartTooLong, #line),
            ("EHLO \(domain(255))\r\n", nil, #line),
            ("EHLO \(domain(256))\r\n", .domainTooLong, #line),
            ("MAIL FROM:<a@\(domain(252))>\r\n", nil, #line),  // path of 256 octets
            ("MAIL FROM:<a@\(domain(253))>\r\n", .pathTooLong, #line),
            ("RCPT TO:<@\(domain(100)),@\(domain(100)):a@\(domain(48))>\r\n", nil, #line),  // 256 with a source route
            ("RCPT TO:<@\(domain(100)),@\(domain(100)):a@\(domain(49))>\r\n", .pathTooLong, #line),
            ("MAIL FROM:<> SIZE=18446744073709551615\r\n", nil, #line),
            ("MAIL FROM:<> SIZE=18446744073709551616\r\n", .sizeTooLarge, #line),
            ("BDAT 18446744073709551615 LAST\r\n", nil, #line),
            ("BDAT 18446744073709551616\r\n", .sizeTooLarge, #line),
            ("EHLO [IPv6:::1]\r\n", nil, #line),
            ("EHLO [IPv6:1::2::3]\r\n", .invalidAddressLiteral, #line),
        ]
        for row in rows {
            let bytes = Array(row.text.utf8)
            switch (parser.result(bytes), row.kind) {
            case (.success, nil): break
            case (.failure(let error), let kind?) where error.kind == kind: break
            case (.success(let command), let kind?):
                XCTFail("\"\(escaped(bytes))\" (\(bytes.count) bytes): expected \(kind), accepted \(command)", line: row.line)
            case (.failure(let error), let kind):
                XCTFail(
                    "\"\(escaped(bytes))\" (\(bytes.count) bytes): expected \(kind.map { "\($0)" } ?? "acceptance"), got \(show(error))",
                    line: row.line)
            }
        }
    }
}
