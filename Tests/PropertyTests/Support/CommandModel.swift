// What the parser should answer for a line, worked out independently of its
// code: the grammar decides membership (the generated derivation, or the
// reference interpreter), the `;@capture` rules of the derivation give the
// fields, and the checks the RFCs state in prose (CommandParser.swift's
// header lists them) are applied here from the derivation, each explicitly:
//
//   RFC 5321 §4.5.3.1.3  path (with "<", ">") at most 256 octets      -> pathTooLong
//   RFC 5321 §4.5.3.1.1  local part at most 64 octets                 -> localPartTooLong
//   RFC 5321 §4.5.3.1.2  domain at most 255 octets                    -> domainTooLong
//   RFC 5321 §4.1.3      "[IPv6:" literals must hold an IPv6-addr     -> invalidAddressLiteral
//   RFC 5321 §4.1.1.11   a known parameter on the other command       -> parameterNotAllowed
//   (each keyword once)  a known parameter twice                      -> duplicateParameter
//   esmtp-parameters.abnf  a known parameter's value grammar          -> invalidParameter
//   RFC 1870 §6, RFC 3030 §2  SIZE / BDAT size above 2^64 - 1          -> sizeTooLarge
//
// in the parser's documented order: path length, local part, domain, then
// the parameters left to right (not allowed, duplicate, value, size).

import ABNF
import PropertyTesting
import SMTPCommandParser

enum Expected: CustomStringConvertible {
    case command(SMTPCommand)
    /// A prose check fails: this kind, why, and where (offset and rule) for the report.
    case error(SMTPSyntaxError.Kind, why: String, offset: Int, rule: String)
    /// Not in the command's language (the interpreter says no): any error but "incomplete"
    /// when the line ends in CRLF.
    case rejected(why: String)
    /// The first token is no verb (D5, RFC 5321 §4.2.4): a 500 whatever the line holds.
    case unrecognized(why: String)
    /// An alphabetic verb the parser does not know, on a complete line.
    case unknownVerb(Range<Int>)
    case incomplete

    var description: String {
        switch self {
        case .command(let c): "\(c)"
        case .error(let kind, let why, let offset, let rule): "\(kind.replyCode) \(kind) at \(offset) in \(rule) (\(why))"
        case .rejected(let why): "a syntax error (\(why))"
        case .unrecognized(let why): "500, no verb (\(why))"
        case .unknownVerb(let r): "unknown verb \(r)"
        case .incomplete: "incomplete"
        }
    }
}

struct CommandModel {
    let profile: Profile

    var interpreter: Interpreter { profile.interpreter }

    // MARK: Any bytes

    /// The verdict for arbitrary bytes: the verb picks the command rule (RFC 5321
    /// §2.4: verbs are case-insensitive), the interpreter decides membership.
    func expected(line: [UInt8]) -> Expected {
        var length = 0
        // D5: the verb is the first token, letters up to SP or CR, in lenient mode also
        // HTAB (L3 "DATA\t"), or the end. Any other byte in it, LF, NUL and 8-bit bytes
        // included, makes the line no command.
        let lenient = profile.options.lenient
        while length < line.count, line[length] != 0x20, line[length] != 0x0D, !(lenient && line[length] == 0x09) {
            let b = line[length] | 0x20
            guard b >= 0x61 && b <= 0x7A else { return .unrecognized(why: "the first token has a byte that is not a letter") }
            length += 1
        }
        if line.isEmpty { return .incomplete }
        if length == 0 { return .unrecognized(why: "the first token is empty") }
        let endsInCRLF = line.count >= 2 && line[line.count - 2] == 0x0D && line[line.count - 1] == 0x0A
        let verb = String(decoding: line[..<length].map { $0 & ~0x20 }, as: UTF8.self)
        guard let rule = commandRules.first(where: { $0.verb == verb })?.rule else {
            return endsInCRLF ? .unknownVerb(0..<length) : .incomplete
        }
        guard let tree = interpreter.parse(rule, line) else {
            return .rejected(why: "the \(profile.name) grammar's \(rule) rule does not match")
        }
        return expected(rule: rule, text: GrammarText(bytes: line, trees: [tree]), membership: .known)
    }

    // MARK: A derivation of a command rule

    /// How sure we are that `text` is in the profile's language.
    enum Membership {
        /// Known (the interpreter derived it).
        case known
        /// Generated from the profile grammar plus Grammar/known-parameters.abnf.
        case generated
        /// Built from pieces: ask the interpreter about the whole line.
        case unknown
    }

    /// The verdict for `text`, derived from `rule`.
    func expected(rule: String, text: GrammarText, membership: Membership = .generated) -> Expected {
        if membership == .unknown && !interpreter.matches(rule, text.bytes) {
            return .rejected(why: "the \(profile.name) grammar's \(rule) rule does not match")
        }
        if membership == .generated {
            // The derivation uses only the profile's rules except where the test overlay
            // put a known parameter's rule under esmtp-param: the line is in the language
            // exactly when each of those texts is an esmtp-param (a small match, not the line's).
            for node in text.allNodes where node.rule == "esmtp-param" {
                guard let child = node.children.first, child.range == node.range, child.rule.hasSuffix("-param") else { continue }
                if !interpreter.matches("esmtp-param", text.bytes[node.range]) {
                    return .rejected(
                        why:
                            "\(child.rule) \"\(escaped(text.bytes[node.range]))\" from Grammar/known-parameters.abnf is no esmtp-param"
                    )
                }
            }
        }
        let line = text.bytes
        let fields = captures(text)
        func field(_ name: String) -> Range<Int>? { fields[name] }
        switch rule {
        case "ehlo", "helo":
            let domain = field("domain")!
            if let problem = domainProblem(domain, line) { return problem }
            return .command(rule == "ehlo" ? .ehlo(domain: domain) : .helo(domain: domain))
        case "mail", "rcpt":
            return pathCommand(rcpt: rule == "rcpt", text: text, fields: fields)
        case "data": return .command(.data)
        case "rset": return .command(.rset)
        case "quit": return .command(.quit)
        case "starttls": return .command(.startTLS)
        case "bdat":
            let size = field("size")!
            guard let value = decimal(line[size]) else {
                return .error(
                    .sizeTooLarge, why: "RFC 3030 §2 chunk-size above 2^64 - 1", offset: size.lowerBound, rule: "chunk-size")
            }
            return .command(.bdat(size: value, last: field("last") != nil))
        case "vrfy", "expn":
            let argument = field("argument")!
            // RFC 6531 §3.7.4.2: the flag is the keyword after the String, not any byte there.
            let rest = line[argument.upperBound...].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            // " SMTPUTF8" then CRLF, after white space in lenient mode (L3).
            let smtputf8 =
                rest.starts(with: Array(" SMTPUTF8".utf8))
                && rest.dropFirst(9).allSatisfy { [0x20, 0x09, 0x0D, 0x0A].contains($0) }
            return .command(
                rule == "vrfy" ? .vrfy(argument: argument, smtputf8: smtputf8) : .expn(argument: argument, smtputf8: smtputf8))
        case "help": return .command(.help(argument: field("argument")))
        case "noop": return .command(.noop(argument: field("argument")))
        case "auth": return .command(.auth(mechanism: field("mechanism")!, initialResponse: field("initialResponse")))
        case "clientid": return .command(.clientID(type: field("type")!, token: field("token")!))
        default:
            return .rejected(why: "\(rule) is not a command rule")
        }
    }

    /// The first match of `rule` in the command itself, outside its parameters (see `captures`).
    func command(_ text: GrammarText, _ rule: String) -> ParseTree? {
        func find(_ node: ParseTree) -> ParseTree? {
            guard node.rule != "esmtp-param" else { return nil }
            if node.rule.lowercased() == rule.lowercased() { return node }
            for child in node.children { if let found = find(child) { return found } }
            return nil
        }
        for tree in text.trees { if let found = find(tree) { return found } }
        return nil
    }

    /// The first match of each `;@capture NAME` rule (README.md: captures are outside repetitions).
    /// Not inside an esmtp-param: only the overlay puts a rule there whose parts capture
    /// (`auth-mailbox`'s Mailbox), and the command's automaton never sees them.
    func captures(_ text: GrammarText) -> [String: Range<Int>] {
        var fields: [String: Range<Int>] = [:]
        func visit(_ node: ParseTree) {
            guard node.rule != "esmtp-param" else { return }
            if let name = profile.grammar[node.rule]?.captureName, fields[name] == nil { fields[name] = node.range }
            node.children.forEach(visit)
        }
        text.trees.forEach(visit)
        return fields
    }

    func pathCommand(rcpt: Bool, text: GrammarText, fields: [String: Range<Int>]) -> Expected {
        let line = text.bytes
        // RFC 5321 §4.5.3.1.3 counts the path with its punctuation: "<", the
        // source route, the mailbox and ">". A lenient L2 path has no brackets;
        // it counts as its canonical form, with them (so it serialises within the limit).
        let postmaster = command(text, "Postmaster-path")
        let mailbox = command(text, "Mailbox")
        let bracketed = command(text, "Path")?.range ?? postmaster.map { ($0.range.lowerBound - 1)..<($0.range.upperBound + 1) }
        if let span = bracketed, span.count > 256 {
            return .error(
                .pathTooLong, why: "RFC 5321 §4.5.3.1.3: path of \(span.count) octets", offset: span.lowerBound + 256,
                rule: "Path")
        }
        if bracketed == nil, let span = mailbox?.range, span.count + 2 > 256 {
            return .error(
                .pathTooLong, why: "RFC 5321 §4.5.3.1.3: L2 path of \(span.count) octets without its brackets",
                offset: span.lowerBound + 254, rule: "Path")
        }
        if let mailbox {
            let local = mailbox.children.first { $0.rule == "Local-part" }!
            if local.range.count > 64 {
                return .error(
                    .localPartTooLong, why: "RFC 5321 §4.5.3.1.1: local part of \(local.range.count) octets",
                    offset: local.range.lowerBound + 64, rule: "Local-part")
            }
            let domain = (local.range.upperBound + 1)..<mailbox.range.upperBound
            if let problem = domainProblem(domain, line) { return problem }
        } else if let postmaster, let domain = postmaster.children.first(where: { $0.rule == "Domain" }) {
            if let problem = domainProblem(domain.range, line) { return problem }
        }
        // "<>": an empty range just inside the brackets.
        let path = fields["path"] ?? command(text, "Reverse-path").map { ($0.range.lowerBound + 1)..<($0.range.lowerBound + 1) }!
        // Lenient parameters end in the L3 white space, which is not part of them.
        var parameters = fields["parameters"]
        while let p = parameters, !p.isEmpty, line[p.upperBound - 1] == 0x20 || line[p.upperBound - 1] == 0x09 {
            parameters = p.lowerBound..<(p.upperBound - 1)
        }
        var mail = MailCommand(path: path, parameters: parameters)
        var rcptCommand = RcptCommand(path: path, parameters: parameters)
        if let parameters {
            var seen = Set<String>()
            for (keyword, value) in split(parameters, line) {
                let name = String(decoding: line[keyword].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
                guard let known = Self.knownParameters[name] else { continue }
                let whole = keyword.lowerBound..<(value?.upperBound ?? keyword.upperBound)
                if known.rcpt != rcpt {
                    return .error(
                        .parameterNotAllowed, why: "RFC 5321 §4.1.1.11: \(name) is not a \(rcpt ? "RCPT" : "MAIL") parameter",
                        offset: whole.lowerBound, rule: known.rule)
                }
                if !seen.insert(name).inserted {
                    return .error(.duplicateParameter, why: "\(name) given twice", offset: whole.lowerBound, rule: known.rule)
                }
                if !interpreter.matches(known.rule, line[whole]) {
                    return .error(
                        .invalidParameter, why: "\(line[whole].count) octets do not match \(known.rule)",
                        offset: whole.lowerBound, rule: known.rule)
                }
                let v = value ?? keyword.upperBound..<keyword.upperBound
                let upper = String(decoding: line[v].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
                switch name {
                case "SIZE":
                    guard let size = decimal(line[v]) else {
                        return .error(
                            .sizeTooLarge, why: "RFC 1870 §6: SIZE above 2^64 - 1", offset: v.lowerBound, rule: "size-value")
                    }
                    mail.size = size
                case "BODY": mail.body = upper == "7BIT" ? .sevenBit : upper == "8BITMIME" ? .eightBitMIME : .binaryMIME
                case "SMTPUTF8": mail.smtputf8 = true
                case "REQUIRETLS": mail.requireTLS = true
                case "AUTH":
                    // RFC 4954 §5: the xtext decodes to a Mailbox or "<>" (auth-mailbox); XText.decode
                    // has its own table (ParameterFixtureTests), the parser's check decodes as it goes.
                    if !interpreter.matches("auth-mailbox", XText.decode(line[v])) {
                        return .error(
                            .invalidParameter, why: "RFC 4954 §5: AUTH= decodes to no Mailbox", offset: v.lowerBound,
                            rule: "auth-mailbox")
                    }
                    mail.auth = v
                case "RET": mail.ret = upper == "FULL" ? .full : .headers
                case "ENVID": mail.envelopeID = v
                case "MT-PRIORITY": mail.priority = Int8(upper)!
                case "NOTIFY":
                    var notify = DSNNotify()
                    for word in upper.split(separator: ",") {
                        switch word {
                        case "SUCCESS": notify.insert(.success)
                        case "FAILURE": notify.insert(.failure)
                        case "DELAY": notify.insert(.delay)
                        default: break  // NEVER: the empty set
                        }
                    }
                    rcptCommand.notify = notify
                case "ORCPT":
                    let semicolon = line[v].firstIndex(of: UInt8(ascii: ";"))!
                    rcptCommand.originalRecipientType = v.lowerBound..<semicolon
                    rcptCommand.originalRecipient = (semicolon + 1)..<v.upperBound
                default: break
                }
            }
        }
        return .command(rcpt ? .rcpt(rcptCommand) : .mail(mail))
    }

    /// The parameters the typed layer knows (esmtp-parameters.abnf), by upper-case keyword.
    static let knownParameters: [String: (rule: String, rcpt: Bool)] = [
        "SIZE": ("size-param", false), "BODY": ("body-param", false), "SMTPUTF8": ("smtputf8-param", false),
        "AUTH": ("auth-param", false), "RET": ("ret-param", false), "ENVID": ("envid-param", false),
        "REQUIRETLS": ("requiretls-param", false), "MT-PRIORITY": ("mt-priority-param", false),
        "NOTIFY": ("notify-param", true), "ORCPT": ("orcpt-param", true),
    ]

    /// `keyword[=value]` pairs of a parameter text (single SPs between them, RFC 5321 §4.1.2).
    func split(_ range: Range<Int>, _ line: [UInt8]) -> [(keyword: Range<Int>, value: Range<Int>?)] {
        var pairs: [(Range<Int>, Range<Int>?)] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let end = line[start..<range.upperBound].firstIndex(of: 0x20) ?? range.upperBound
            if let equals = line[start..<end].firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((start..<equals, (equals + 1)..<end))
            } else {
                pairs.append((start..<end, nil))
            }
            start = end + 1
        }
        return pairs
    }

    /// RFC 5321 §4.5.3.1.2 length and the §4.1.3 IPv6 literal syntax.
    func domainProblem(_ domain: Range<Int>, _ line: [UInt8]) -> Expected? {
        if domain.count > 255 {
            return .error(
                .domainTooLong, why: "RFC 5321 §4.5.3.1.2: domain of \(domain.count) octets", offset: domain.lowerBound + 255,
                rule: "Domain")
        }
        let tag = Array("[IPV6:".utf8)
        let text = line[domain].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        if text.count > tag.count, Array(text.prefix(tag.count)) == tag, text.last == UInt8(ascii: "]") {
            let inner = line[(domain.lowerBound + tag.count)..<(domain.upperBound - 1)]
            if !interpreter.matches("IPv6-addr", inner) {
                return .error(
                    .invalidAddressLiteral, why: "RFC 5321 §4.1.3: \"IPv6:\" literal without an IPv6-addr",
                    offset: domain.lowerBound + tag.count, rule: "IPv6-addr")
            }
        }
        return nil
    }

    func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for d in digits {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(d - 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    // MARK: Judging the parser

    /// Compares the parser's answer for `line` with `expected`.
    func judge(_ expected: Expected, _ line: [UInt8]) -> Verdict {
        let result = profile.parser.result(line)
        let endsInCRLF = line.count >= 2 && line[line.count - 2] == 0x0D && line[line.count - 1] == 0x0A
        switch (expected, result) {
        case (.command(let want), .success(let got)):
            if want == got { return .pass(as: "accepted") }
            return .fail(
                "fields differ: expected \(show(want, line)), parser gave \(show(got, line))", at: firstDifference(want, got))
        case (.command(let want), .failure(let error)):
            return .fail("expected \(show(want, line)), parser threw \(show(error))", at: error.offset, rule: error.rule)
        case (.error(let kind, let why, let offset, let rule), .failure(let error)):
            if error.kind == kind { return .pass(as: "\(kind.replyCode) \(kind)") }
            return .fail("expected \(kind.replyCode) \(kind) (\(why)), parser threw \(show(error))", at: offset, rule: rule)
        case (.error(let kind, let why, let offset, let rule), .success(let got)):
            return .fail(
                "expected \(kind.replyCode) \(kind) (\(why)), parser accepted \(show(got, line))", at: offset, rule: rule)
        case (.rejected(let why), .failure(let error)):
            if endsInCRLF && error.kind == .incomplete {
                return .fail(
                    "a line ending in CRLF is reported incomplete: \(show(error)) (\(why))", at: error.offset, rule: error.rule)
            }
            return .pass(as: "rejected: \(error.kind)")
        case (.rejected(let why), .success(let got)):
            return .fail("the reference interpreter rejects (\(why)), parser accepted \(show(got, line))")
        case (.unrecognized(let why), .failure(let error)):
            if error.replyCode != 500 || (endsInCRLF && error.kind == .incomplete) {
                return .fail("expected 500 (\(why)), parser threw \(show(error))", at: error.offset, rule: error.rule)
            }
            return .pass(as: "unrecognized: \(error.kind)")
        case (.unrecognized(let why), .success(let got)):
            return .fail("expected 500 (\(why)), parser gave \(show(got, line))")
        case (.unknownVerb(let verb), .success(.unknown(let got))) where got == verb:
            return .pass(as: "unknown verb")
        case (.unknownVerb, .success(let got)):
            return .fail("expected an unknown verb, parser gave \(show(got, line))")
        case (.unknownVerb, .failure(let error)):
            return .fail("expected an unknown verb, parser threw \(show(error))", at: error.offset, rule: error.rule)
        case (.incomplete, .failure(let error)) where error.kind == .incomplete:
            return .pass(as: "incomplete")
        case (.incomplete, .failure(let error)):
            return .fail("expected incomplete, parser threw \(show(error))", at: error.offset, rule: error.rule)
        case (.incomplete, .success(let got)):
            return .fail("expected incomplete, parser gave \(show(got, line))")
        }
    }

    /// The start of the first field that differs, for the rule path.
    func firstDifference(_ a: SMTPCommand, _ b: SMTPCommand) -> Int? {
        func ranges(_ c: SMTPCommand) -> [Range<Int>?] {
            switch c {
            case .ehlo(let d), .helo(let d): [d]
            case .mail(let m): [m.path, m.parameters, m.auth, m.envelopeID]
            case .rcpt(let r): [r.path, r.parameters, r.originalRecipientType, r.originalRecipient]
            case .vrfy(let a, _), .expn(let a, _): [a]
            case .help(let a), .noop(let a): [a]
            case .auth(let m, let r): [m, r]
            case .clientID(let t, let k): [t, k]
            case .unknown(let v): [v]
            case .data, .rset, .quit, .startTLS, .bdat: []
            }
        }
        for (x, y) in zip(ranges(a), ranges(b)) where x != y { return x?.lowerBound ?? y?.lowerBound }
        return ranges(a).compactMap { $0?.lowerBound }.first
    }
}
