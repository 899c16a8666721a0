import ABNF
import PropertyTesting
import SMTPCommandParser
import XCTest

/// The RFC 5321 §4.5.3.1 limits at their edges, with everything around the
/// measured part generated from the grammar: one below the limit, at it, and
/// one above. Random grammar strings reach exactly 64 octets of local part
/// only about once in 400 lines; these reach every edge in every run.
final class ProseLimitProperties: XCTestCase {
    /// `count` characters of `rule`, as one match of each of `wrappers` (innermost first).
    func run(_ profile: Profile, _ rule: String, _ count: Int, as wrappers: [String]) throws -> Gen<GrammarText> {
        var gen = try profile.shortStrings(rule).repeated(count: count...count)
        for wrapper in wrappers { gen = gen.tagged(wrapper) }
        return gen
    }

    /// A domain of exactly `length` octets: labels of Let-dig from the grammar, a dot after every 63.
    func domain(_ profile: Profile, length: Int) throws -> Gen<GrammarText> {
        var parts: [Gen<GrammarText>] = []
        var left = length
        while left > 0 {
            let label = min(63, left)
            if !parts.isEmpty { parts.append(.literal(".")) }
            parts.append(try run(profile, "Let-dig", label, as: ["sub-domain"]))
            left -= label + 1
            if left == 0 {
                // One octet short of the length: make the last label one longer (labels are not limited here).
                parts.append(try run(profile, "Let-dig", 1, as: []))
            }
        }
        return Gen.concat(parts).tagged("Domain")
    }

    /// "MAIL FROM:<" local "@" domain ">" [SP parameters] CRLF, shaped like a `mail` derivation.
    func mailLine(_ profile: Profile, local: Gen<GrammarText>, domain: Gen<GrammarText>) throws -> Gen<GrammarText> {
        let mailbox = Gen.concat(local.tagged("Local-part"), .literal("@"), domain).tagged("Mailbox")
        let path = Gen.concat(.literal("<"), mailbox, .literal(">")).tagged("Path").tagged("Reverse-path")
        let parameters = Gen.concat(.literal(" "), try profile.shortStrings("Mail-parameters")).orEmpty()
        return Gen.concat(.literal("MAIL FROM:"), path, parameters, .literal("\r\n")).tagged("mail")
    }

    func check(
        _ profile: Profile, _ name: String, _ lines: Gen<GrammarText>, rule: String, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let model = profile.model
        forAll(name, lines, iterations: 30, file: file, line: line) { text in
            model.judge(model.expected(rule: rule, text: text, membership: .unknown), text.bytes)
        }
    }

    /// RFC 5321 §4.5.3.1.1: a local part of at most 64 octets.
    func testLocalPartLimit() throws {
        // Base profile: its atext is one octet (in SMTPUTF8 a character may be four).
        for profile in [try Profile.base.get(), try Profile.lenient.get()] {
            for length in [63, 64, 65] {
                let local = try run(profile, "atext", length, as: ["Atom", "Dot-string"])
                check(
                    profile, "a local part of \(length) octets (\(profile.name))",
                    try mailLine(profile, local: local, domain: try profile.shortStrings("Domain")), rule: "mail")
            }
        }
    }

    /// RFC 5321 §4.5.3.1.2: a domain of at most 255 octets (EHLO and a mailbox's domain).
    func testDomainLimit() throws {
        let profile = try Profile.base.get()
        for length in [254, 255, 256] {
            let ehlo = Gen.concat(.literal("EHLO "), try domain(profile, length: length).tagged("ehlo-domain"), .literal("\r\n"))
                .tagged("ehlo")
            check(profile, "an EHLO domain of \(length) octets", ehlo, rule: "ehlo")
        }
    }

    /// RFC 5321 §4.5.3.1.3: a path of at most 256 octets, "<" and ">" included.
    func testPathLimit() throws {
        let profile = try Profile.base.get()
        for length in [255, 256, 257] {
            // "<" local "@" domain ">": the domain takes what the local part leaves
            // (a local part of 1 octet is the simplest).
            let lines = Gen.oneOf(
                try (1...20).map { localLength in
                    try mailLine(
                        profile, local: try run(profile, "atext", localLength, as: ["Atom", "Dot-string"]),
                        domain: try domain(profile, length: length - 3 - localLength))
                })
            check(profile, "a path of \(length) octets", lines, rule: "mail")
        }
    }
}
