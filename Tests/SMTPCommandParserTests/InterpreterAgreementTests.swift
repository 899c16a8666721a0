import ABNF
import ABNFCompiler
import SMTPCommandParser
import XCTest

/// The parser against an independent reading of the same grammar: the ABNF
/// reference interpreter (Sources/ABNF/Interpreter.swift) on generated lines.
///
/// - The interpreter rejects a line of command rule R: the parser throws, or
///   reads another verb (a mutated verb) that the interpreter accepts under
///   that verb's rule, or an unknown verb.
/// - The interpreter accepts: the parser accepts with the fields of the
///   interpreter's derivation (the ranges of the `;@capture` rules), unless the
///   line breaks a rule the RFCs give in prose (lengths, IPv6 literal, the
///   parameter rules); those are verified here independently, and the parser
///   must refuse exactly when one is broken, naming the first.
/// - Every accepted line round-trips through `OwnedSMTPCommand.serialized()`.
///
/// Seeds are fixed; set ABNF_SEED to replay a failure with the seed it prints.
final class InterpreterAgreementTests: XCTestCase {
    func testStrictParserAgreesWithTheInterpreterOnBaseProfile() throws {
        try agree(profile: "base", options: .strictMode, seed: testSeed(0xC11E_0001))
    }

    func testSMTPUTF8ParserAgreesWithTheInterpreterOnSMTPUTF8Profile() throws {
        try agree(profile: "smtputf8", options: .utf8Mode, seed: testSeed(0xC11E_0002))
    }

    func testLenientParserAgreesWithTheInterpreterOnLenientProfile() throws {
        try agree(profile: "lenient", options: .lenientMode, seed: testSeed(0xC11E_0003))
    }

    func testLenientSMTPUTF8ParserAgreesWithTheInterpreterOnLenientSMTPUTF8Profile() throws {
        try agree(profile: "lenient-smtputf8", options: .lenientUTF8Mode, seed: testSeed(0xC11E_0004))
    }

    static let commandRules = [
        "ehlo", "helo", "mail", "rcpt", "data", "rset", "vrfy", "expn", "help", "noop", "quit",
        "starttls", "auth", "bdat", "clientid",
    ]

    func agree(profile: String, options: Options, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let grammar = try profileGrammar(profile)
        var agreement = Agreement(grammar: grammar, options: options, seed: seed)
        let generator = StringGenerator(agreement.interpreter)
        var rng = SplitMix64(seed: seed)

        for rule in Self.commandRules {
            for string in generator.covering(rule, seed: rng.next(), limit: 30) { agreement.check(rule, string.bytes, "valid") }
            for _ in 0..<30 {
                if let miss = generator.nearMiss(rule, rng: &rng) { agreement.check(rule, miss.bytes, miss.mutation) }
            }
            // D5: HTAB, NUL and 8-bit bytes before, inside and after the verb.
            for string in generator.covering(rule, seed: rng.next(), limit: 3) {
                for variant in SMTPParseContractTests.aroundTheVerb(string.bytes, verbLength: rule.utf8.count).dropFirst() {
                    agreement.check(rule, variant, "around the verb")
                }
            }
        }
        // Known parameters are rare in random esmtp-keywords: splice each
        // parameter rule's strings (valid and near misses) into MAIL and RCPT.
        for (_, parameter) in Agreement.knownParameters.sorted(by: { $0.key < $1.key }) {
            var values = generator.covering(parameter.rule, seed: rng.next(), limit: 6).map(\.bytes)
            for _ in 0..<6 { if let miss = generator.nearMiss(parameter.rule, rng: &rng) { values.append(miss.bytes) } }
            for p in values {
                agreement.check("mail", bytes("MAIL FROM:<a@b> ") + p + bytes("\r\n"), "spliced parameter")
                agreement.check("rcpt", bytes("RCPT TO:<a@b> ") + p + bytes("\r\n"), "spliced parameter")
                agreement.check("mail", bytes("MAIL FROM:<a@b> X-1=y ") + p + bytes(" ") + p + bytes("\r\n"), "spliced twice")
                agreement.check("rcpt", bytes("RCPT TO:<a@b> ") + p + bytes(" ") + p + bytes("\r\n"), "spliced twice")
            }
        }
        // "[IPv6:...]" literals: the grammar's General-address-literal takes any of them.
        var literals = generator.covering("IPv6-addr", seed: rng.next(), limit: 20).map(\.bytes)
        for _ in 0..<20 { if let miss = generator.nearMiss("IPv6-addr", rng: &rng) { literals.append(miss.bytes) } }
        for literal in literals {
            agreement.check("ehlo", bytes("EHLO [IPv6:") + literal + bytes("]\r\n"), "spliced IPv6")
            agreement.check("mail", bytes("MAIL FROM:<a@[ipv6:") + literal + bytes("]>\r\n"), "spliced IPv6")
        }
        // Around the length limits of RFC 5321 §4.5.3.1.
        for n in [63, 64, 65] {
            agreement.check("mail", bytes("MAIL FROM:<" + String(repeating: "a", count: n) + "@b>\r\n"), "local part \(n)")
        }
        for n in [254, 255, 256] { agreement.check("ehlo", bytes("EHLO " + domain(n) + "\r\n"), "domain \(n)") }
        agreement.check("mail", bytes("MAIL FROM:<a@b> SIZE=18446744073709551616\r\n"), "SIZE overflow")
        agreement.check("bdat", bytes("BDAT 18446744073709551616 LAST\r\n"), "chunk-size overflow")
        for n in [188, 189, 190] {
            agreement.check("rcpt", bytes("RCPT TO:<" + String(repeating: "a", count: 64) + "@" + domain(n) + ">\r\n"), "path")
        }

        for failure in agreement.failures { XCTFail(failure, file: file, line: line) }
        XCTAssertGreaterThan(agreement.compared, 1000, file: file, line: line)
        XCTAssertGreaterThan(agreement.accepted, 500, "too few lines the interpreter accepts", file: file, line: line)
        for kind in Agreement.proseKinds {
            XCTAssertNotNil(agreement.proseKindsSeen[kind.description], "no line refused with \(kind)", file: file, line: line)
        }
        print(
            "\(profile): \(agreement.compared) lines, \(agreement.accepted) accepted by the interpreter, "
                + "\(agreement.proseRefusals) refused by a prose check (\(agreement.proseKindsSeen.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))) (seed \(seed))"
        )
    }
}

struct Agreement {
    let grammar: Grammar
    let interpreter: Interpreter
    let options: Options
    let seed: UInt64
    var compared = 0
    var accepted = 0
    var proseRefusals = 0
    var proseKindsSeen: [String: Int] = [:]
    var failures: [String] = []

    /// Known parameter keywords, their entry rule (esmtp-parameters.abnf) and
    /// whether they belong to RCPT (RFC 3461 §4.1, §4.2) or MAIL (all others).
    static let knownParameters: [String: (rule: String, rcpt: Bool)] = [
        "SIZE": ("size-param", false), "BODY": ("body-param", false), "SMTPUTF8": ("smtputf8-param", false),
        "AUTH": ("auth-param", false), "RET": ("ret-param", false), "ENVID": ("envid-param", false),
        "REQUIRETLS": ("requiretls-param", false), "MT-PRIORITY": ("mt-priority-param", false),
        "NOTIFY": ("notify-param", true), "ORCPT": ("orcpt-param", true),
    ]

    static let proseKinds: [Kind] = [
        .pathTooLong, .localPartTooLong, .domainTooLong, .invalidAddressLiteral, .invalidParameter,
        .duplicateParameter, .parameterNotAllowed, .sizeTooLarge,
    ]

    init(grammar: Grammar, options: Options, seed: UInt64) {
        self.grammar = grammar
        interpreter = Interpreter(grammar)
        self.options = options
        self.seed = seed
    }

    mutating func fail(_ message: String, _ line: [UInt8], _ how: String) {
        guard failures.count < 25 else { return }
        failures.append("[\(options.name)] \(show(line)) (\(how)): \(message); replay with ABNF_SEED=\(seed)")
    }

    mutating func check(_ rule: String, _ line: [UInt8], _ how: String) {
        compared += 1
        let result = parseResult(line, options)
        guard let tree = interpreter.parse(rule, line) else {
            // Rejected under `rule`: the parser must not accept it as that command.
            guard case .success(let command) = result else {
                if case .failure(let error) = result { checkRefusal(error, line, how) }
                return
            }
            let other = entryRule(command)
            if other == rule {
                fail("the interpreter rejects it under \(rule), the parser accepts \(owned(command, line).rendered)", line, how)
            } else if case .unknown(let verb) = command {
                let name = String(decoding: line[verb], as: UTF8.self).lowercased()
                if InterpreterAgreementTests.commandRules.contains(name) {
                    fail("known verb \(name) reported unknown", line, how)
                }
            } else if let otherTree = interpreter.parse(other, line) {
                compareAccepted(other, command, otherTree, line, how)
            } else {
                fail("the parser reads a \(other), which the interpreter rejects", line, how)
            }
            return
        }
        accepted += 1
        switch result {
        case .success(let command):
            guard entryRule(command) == rule else { return fail("parsed as \(entryRule(command)), not \(rule)", line, how) }
            compareAccepted(rule, command, tree, line, how)
        case .failure(let error):
            let broken = proseViolations(rule, tree, line)
            guard Self.proseKinds.contains(error.kind) else {
                return fail("the interpreter accepts it under \(rule), the parser refuses: \(error)", line, how)
            }
            guard let first = broken.first else {
                return fail("parser refuses with \(error) but no prose rule is broken", line, how)
            }
            guard first.kind == error.kind else {
                return fail(
                    "parser refuses with \(error), the first prose rule broken is \(first.kind) (\(first.detail))", line, how)
            }
            if let at = first.at, !at.contains(error.offset) {
                fail("parser refuses with \(error) outside \(at), where \(first.detail)", line, how)
            }
            proseRefusals += 1
            proseKindsSeen[error.kind.description, default: 0] += 1
        }
    }

    /// D5, RFC 5321 §4.2.4: a line whose first token is no known verb is a 500 whatever
    /// it holds; one whose verb is known is never refused as an unknown command.
    mutating func checkRefusal(_ error: SMTPSyntaxError, _ line: [UInt8], _ how: String) {
        let name = firstTokenAsSpecified(line, lenient: options.lenient).name
        if !InterpreterAgreementTests.commandRules.contains(name) {
            if error.replyCode != 500 { fail("the first token \(show(name.utf8)) is no verb, yet \(error)", line, how) }
        } else if error.kind == .unknownCommand {
            fail("the verb \(name) is known, yet \(error)", line, how)
        }
    }

    /// The fields of an accepted command are the interpreter's captures, and no prose rule is broken.
    mutating func compareAccepted(_ rule: String, _ command: SMTPCommand, _ tree: ParseTree, _ line: [UInt8], _ how: String) {
        let broken = proseViolations(rule, tree, line)
        if let first = broken.first { fail("accepted although \(first.detail) (\(first.kind))", line, how) }
        var captures: [String: Range<Int>] = [:]
        for node in tree.children.flatMap(\.allNodes) {
            if let name = grammar[node.rule]?.captureName { captures[name] = node.range }
        }
        func same(_ field: String, _ got: Range<Int>?, _ expected: Range<Int>?) {
            if got != expected {
                fail(
                    "\(field) is \(got.map { show(line[$0]) } ?? "nil"), the interpreter's is \(expected.map { show(line[$0]) } ?? "nil")",
                    line, how)
            }
        }
        switch command {
        case .ehlo(let d), .helo(let d):
            same("domain", d, captures["domain"])
        case .mail(let m):
            if let path = captures["path"] {
                same("path", m.path, path)
            } else if !(m.path.isEmpty && m.path.lowerBound > 0 && line[m.path.lowerBound - 1] == UInt8(ascii: "<")
                && line[m.path.lowerBound] == UInt8(ascii: ">"))
            {
                fail("null path reported as \(m.path)", line, how)
            }
            same("parameters", m.parameters, trimmed(captures["parameters"], line))
        case .rcpt(let r):
            same("path", r.path, captures["path"])
            same("parameters", r.parameters, trimmed(captures["parameters"], line))
        case .vrfy(let a, let smtputf8), .expn(let a, let smtputf8):
            same("argument", a, captures["argument"])
            let rest = String(decoding: line[a.upperBound...], as: UTF8.self).uppercased()
            // " SMTPUTF8" then CRLF, after white space in lenient mode (L3).
            let keyword = rest.hasPrefix(" SMTPUTF8") && rest.dropFirst(9).allSatisfy { " \t\r\n".contains($0) }
            if smtputf8 != keyword {
                fail("smtputf8 is \(smtputf8) with \(show(bytes(rest))) after the argument", line, how)
            }
        case .help(let a), .noop(let a):
            same("argument", a, captures["argument"])
        case .auth(let mechanism, let initialResponse):
            same("mechanism", mechanism, captures["mechanism"])
            same("initialResponse", initialResponse, captures["initialResponse"])
        case .bdat(let size, let last):
            if let digits = captures["size"], String(size) != canonicalDecimal(line[digits]) {
                fail("size \(size) for \(show(line[digits]))", line, how)
            }
            if last != (captures["last"] != nil) { fail("last is \(last)", line, how) }
        case .clientID(let type, let token):
            same("type", type, captures["type"])
            same("token", token, captures["token"])
        case .data, .rset, .quit, .startTLS:
            break
        case .unknown:
            fail("accepted as an unknown verb", line, how)
        }
        if let problem = roundTripProblem(line, options) { fail(problem, line, how) }
    }

    struct Violation {
        var kind: Kind
        var detail: String
        /// Where the parser's error offset must be, when that is defined.
        var at: ClosedRange<Int>?
    }

    /// The prose rules the line breaks, in the order a server checks them:
    /// path length, local-part length, domain length, IPv6 literal (RFC 5321
    /// §4.5.3.1, §4.1.3), then each parameter in order; BDAT's chunk size.
    func proseViolations(_ rule: String, _ tree: ParseTree, _ line: [UInt8]) -> [Violation] {
        let nodes = tree.children.flatMap(\.allNodes)
        func node(_ name: String) -> ParseTree? { nodes.first { $0.rule.lowercased() == name } }
        var result: [Violation] = []
        var domain: Range<Int>?
        switch rule {
        case "ehlo", "helo":
            domain = nodes.last { grammar[$0.rule]?.captureName == "domain" }?.range
        case "mail", "rcpt":
            let pathLength: Int
            if let path = node("path") {
                pathLength = path.range.count
            } else if let postmaster = node("postmaster-path") {
                pathLength = postmaster.range.count + 2
            } else if let mailbox = node("mailbox") {
                pathLength = mailbox.range.count  // L2: no brackets
            } else {
                pathLength = 2  // "<>"
            }
            if pathLength > 256 { result.append(Violation(kind: .pathTooLong, detail: "the path has \(pathLength) octets")) }
            if let local = node("local-part"), local.range.count > 64 {
                result.append(Violation(kind: .localPartTooLong, detail: "the local part has \(local.range.count) octets"))
            }
            let mailbox = nodes.last { grammar[$0.rule]?.captureName == "path" }
            domain = mailbox?.children.last { ["domain", "address-literal"].contains($0.rule.lowercased()) }?.range
        case "bdat":
            if let size = node("chunk-size"), exceedsUInt64(line[size.range]) {
                result.append(Violation(kind: .sizeTooLarge, detail: "chunk size \(show(line[size.range]))"))
            }
        default:
            break
        }
        if let domain {
            if domain.count > 255 {
                result.append(Violation(kind: .domainTooLong, detail: "the domain has \(domain.count) octets"))
            }
            let text = Array(line[domain])
            if text.count >= 7, text.prefix(6).map(asciiUpper) == bytes("[IPV6:"), text.last == UInt8(ascii: "]"),
                !interpreter.matches("IPv6-addr", text[6..<(text.count - 1)])
            {
                result.append(
                    Violation(
                        kind: .invalidAddressLiteral, detail: "\(show(text)) is no IPv6-addr",
                        at: (domain.lowerBound + 6)...(domain.upperBound - 1)))
            }
        }
        if rule == "mail" || rule == "rcpt",
            let parameters = trimmed(nodes.last { grammar[$0.rule]?.captureName == "parameters" }?.range, line)
        {
            result += parameterViolations(Array(line[parameters]), offset: parameters.lowerBound, rcpt: rule == "rcpt")
        }
        return result
    }

    /// Each known keyword once, on its own command, with a value its rule accepts; SIZE within UInt64.
    func parameterViolations(_ text: [UInt8], offset: Int, rcpt: Bool) -> [Violation] {
        var result: [Violation] = []
        var seen = Set<String>()
        for parameter in text.split(separator: 0x20, omittingEmptySubsequences: true) {
            let whole = (offset + parameter.startIndex)...(offset + parameter.endIndex)
            let keyword = String(decoding: parameter.prefix { $0 != UInt8(ascii: "=") }.map(asciiUpper), as: UTF8.self)
            guard let known = Self.knownParameters[keyword] else { continue }
            defer { seen.insert(keyword) }
            let name = show(parameter)
            if known.rcpt != rcpt {
                result.append(Violation(kind: .parameterNotAllowed, detail: "\(name) on \(rcpt ? "RCPT" : "MAIL")", at: whole))
            } else if seen.contains(keyword) {
                result.append(Violation(kind: .duplicateParameter, detail: "\(name) repeated", at: whole))
            } else if !interpreter.matches(known.rule, parameter) {
                result.append(Violation(kind: .invalidParameter, detail: "\(name) does not match \(known.rule)", at: whole))
            } else if keyword == "AUTH", !interpreter.matches("auth-mailbox", XText.decode(parameter.dropFirst(5))) {
                // RFC 4954 §5: the xtext decodes to a Mailbox or "<>".
                result.append(Violation(kind: .invalidParameter, detail: "\(name) decodes to no Mailbox", at: whole))
            } else if keyword == "SIZE", exceedsUInt64(parameter.dropFirst(5)) {
                result.append(Violation(kind: .sizeTooLarge, detail: "\(name) exceeds 2^64-1", at: whole))
            }
        }
        return result
    }
}

/// D5 as written: the first token ends at SP or CR, in lenient mode also at HTAB
/// (L3); `name` is it with ASCII letters lower case (a command rule's name when it
/// is a verb).
func firstTokenAsSpecified(_ line: [UInt8], lenient: Bool) -> (token: ArraySlice<UInt8>, name: String) {
    let token = line.prefix { $0 != 0x20 && $0 != 0x0D && !(lenient && $0 == 0x09) }
    return (token, String(decoding: token.map(asciiLower), as: UTF8.self))
}

/// Trailing SP/HTAB removed (lenient captures include them, L3).
func trimmed(_ range: Range<Int>?, _ line: [UInt8]) -> Range<Int>? {
    guard var range else { return nil }
    while let last = range.last, line[last] == 0x20 || line[last] == 0x09 { range = range.lowerBound..<last }
    return range
}

func asciiUpper(_ b: UInt8) -> UInt8 { b >= 0x61 && b <= 0x7A ? b - 0x20 : b }

func asciiLower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

/// Decimal digits without leading zeros ("0" for zero).
func canonicalDecimal(_ digits: some Collection<UInt8>) -> String {
    let text = String(decoding: digits.drop { $0 == UInt8(ascii: "0") }, as: UTF8.self)
    return text.isEmpty ? "0" : text
}

/// Whether decimal digits exceed 2^64 - 1, compared as text.
func exceedsUInt64(_ digits: some Collection<UInt8>) -> Bool {
    let text = canonicalDecimal(digits)
    let max = String(UInt64.max)
    return text.count > max.count || (text.count == max.count && text > max)
}
