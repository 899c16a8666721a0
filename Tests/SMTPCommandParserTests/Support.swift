// Shared helpers: fixture rows (file:line each), readable expected commands,
// and the parse/frame/replay helpers every test file uses.

import ABNF
import ABNFCompiler
import Foundation
import SMTPCommandParser
import XCTest

typealias Options = SMTPCommandParser.Options
typealias Kind = SMTPSyntaxError.Kind

extension SMTPCommandParser.Options {
    static let strictMode = Options()
    static let utf8Mode = Options(smtputf8: true)
    static let lenientMode = Options(lenient: true)
    static let lenientUTF8Mode = Options(lenient: true, smtputf8: true)

    var name: String {
        switch (lenient, smtputf8) {
        case (false, false): "strict"
        case (false, true): "smtputf8"
        case (true, false): "lenient"
        case (true, true): "lenient+smtputf8"
        }
    }
}

/// The package root, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    url.deleteLastPathComponent()  // SMTPCommandParserTests
    url.deleteLastPathComponent()  // Tests
    url.deleteLastPathComponent()
    return url.path
}()

/// The checked grammar of a profile of Sources/SMTPCommandParser/Grammar/abnfc.conf.
func profileGrammar(_ profile: String) throws -> Grammar {
    try PackageGenerator(packagePath: packageRoot).grammar(module: "Sources/SMTPCommandParser", profile: profile)
}

/// The seed of a randomised test: `ABNF_SEED` when set (to replay a failure), else `fallback`.
func testSeed(_ fallback: UInt64) -> UInt64 {
    ProcessInfo.processInfo.environment["ABNF_SEED"].flatMap { UInt64($0) } ?? fallback
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Bytes on one line for messages: printable ASCII as is, others escaped.
func show(_ bytes: some Collection<UInt8>) -> String { "\"" + escapedLine(Array(bytes)) + "\"" }

func text(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
}

// MARK: Parsing

/// Parses `line` (any options) and returns the result; never throws. Every
/// line is parsed twice, with the SIMD kernel this CPU has and with the table
/// automata alone, and a difference fails the running test: so every fixture
/// and replay here also holds the two paths to the same command or error.
func parseResult(_ line: [UInt8], _ options: Options) -> Result<SMTPCommand, SMTPSyntaxError> {
    line.withUnsafeBytes { parseResult($0, options) }
}

func parseResult(_ line: UnsafeRawBufferPointer, _ options: Options) -> Result<SMTPCommand, SMTPSyntaxError> {
    func parse(_ parser: SMTPCommandParser) -> Result<SMTPCommand, SMTPSyntaxError> {
        do throws(SMTPSyntaxError) { return .success(try parser.parse(line)) } catch { return .failure(error) }
    }
    let tables = parse(SMTPCommandParser(options: options, kernel: nil))
    for kernel in ShuffleKernel.allCases where kernel.isSupported {
        let fast = parse(SMTPCommandParser(options: options, kernel: kernel))
        if fast != tables {
            XCTFail("[\(options.name)] \(show(Array(line))): the \(kernel) kernel gives \(fast), the table automata \(tables)")
        }
    }
    return tables
}

func owned(_ command: SMTPCommand, _ line: [UInt8]) -> OwnedSMTPCommand {
    line.withUnsafeBytes { OwnedSMTPCommand(command, line: $0) }
}

/// Every byte range a command reports, typed parameter ranges included.
func allRanges(_ command: SMTPCommand) -> [Range<Int>] {
    switch command {
    case .ehlo(let d), .helo(let d): return [d]
    case .mail(let m): return [m.path] + [m.parameters, m.auth, m.envelopeID].compactMap { $0 }
    case .rcpt(let r): return [r.path] + [r.parameters, r.originalRecipientType, r.originalRecipient].compactMap { $0 }
    case .vrfy(let a, _), .expn(let a, _): return [a]
    case .help(let a), .noop(let a): return a.map { [$0] } ?? []
    case .auth(let m, let r): return [m] + (r.map { [$0] } ?? [])
    case .clientID(let t, let k): return [t, k]
    case .unknown(let v): return [v]
    case .data, .rset, .quit, .startTLS, .bdat: return []
    }
}

/// The verb of a command as the rule name of its grammar entry ("clientid", "starttls", ...).
func entryRule(_ command: SMTPCommand) -> String {
    command.verb.description.lowercased()
}

// MARK: Typed parameter fields, as text

/// The decoded MAIL parameters, with ranges shown as text.
struct MailFields: Equatable, CustomStringConvertible {
    var size: UInt64? = nil
    var body: BodyType? = nil
    var smtputf8 = false
    var requireTLS = false
    var auth: String? = nil
    var ret: DSNReturn? = nil
    var envelopeID: String? = nil
    var priority: Int8? = nil

    init(
        size: UInt64? = nil, body: BodyType? = nil, smtputf8: Bool = false, requireTLS: Bool = false, auth: String? = nil,
        ret: DSNReturn? = nil, envelopeID: String? = nil, priority: Int8? = nil
    ) {
        self.size = size
        self.body = body
        self.smtputf8 = smtputf8
        self.requireTLS = requireTLS
        self.auth = auth
        self.ret = ret
        self.envelopeID = envelopeID
        self.priority = priority
    }

    init(_ m: MailCommand, _ line: UnsafeRawBufferPointer) {
        self.init(
            size: m.size, body: m.body, smtputf8: m.smtputf8, requireTLS: m.requireTLS,
            auth: m.auth.map { text(line, $0) }, ret: m.ret, envelopeID: m.envelopeID.map { text(line, $0) },
            priority: m.priority)
    }

    var description: String {
        "size=\(size.map(String.init) ?? "-") body=\(body.map { "\($0)" } ?? "-") smtputf8=\(smtputf8) requireTLS=\(requireTLS) "
            + "auth=\(auth ?? "-") ret=\(ret.map { "\($0)" } ?? "-") envid=\(envelopeID ?? "-") priority=\(priority.map(String.init) ?? "-")"
    }
}

/// The decoded RCPT parameters, with ranges shown as text.
struct RcptFields: Equatable, CustomStringConvertible {
    var notify: DSNNotify? = nil
    var orcptType: String? = nil
    var orcpt: String? = nil

    init(notify: DSNNotify? = nil, orcptType: String? = nil, orcpt: String? = nil) {
        self.notify = notify
        self.orcptType = orcptType
        self.orcpt = orcpt
    }

    init(_ r: RcptCommand, _ line: UnsafeRawBufferPointer) {
        self.init(
            notify: r.notify, orcptType: r.originalRecipientType.map { text(line, $0) },
            orcpt: r.originalRecipient.map { text(line, $0) })
    }

    var description: String {
        "notify=\(notify.map { String($0.rawValue) } ?? "-") orcpt=\(orcptType ?? "-");\(orcpt ?? "-")"
    }
}

// MARK: Expected commands, written as text

extension OwnedSMTPCommand {
    static func ehlo(_ domain: String) -> Self { .ehlo(domain: bytes(domain)) }
    static func helo(_ domain: String) -> Self { .helo(domain: bytes(domain)) }
    /// `parameters` as written, e.g. "SIZE=10", "SMTPUTF8".
    static func mail(_ path: String, _ parameters: String...) -> Self { .mail(path: bytes(path), parameters: pairs(parameters)) }
    static func rcpt(_ path: String, _ parameters: String...) -> Self { .rcpt(path: bytes(path), parameters: pairs(parameters)) }
    static func bdat(_ size: UInt64, last: Bool = false) -> Self { .bdat(size: size, last: last) }
    static func vrfy(_ argument: String, smtputf8: Bool = false) -> Self { .vrfy(argument: bytes(argument), smtputf8: smtputf8) }
    static func expn(_ argument: String, smtputf8: Bool = false) -> Self { .expn(argument: bytes(argument), smtputf8: smtputf8) }
    static func help(_ argument: String? = nil) -> Self { .help(argument: argument.map(bytes)) }
    static func noop(_ argument: String? = nil) -> Self { .noop(argument: argument.map(bytes)) }
    static func auth(_ mechanism: String, _ initialResponse: String? = nil) -> Self {
        .auth(mechanism: bytes(mechanism), initialResponse: initialResponse.map(bytes))
    }
    static func clientID(_ type: String, _ token: String) -> Self { .clientID(type: bytes(type), token: bytes(token)) }
    static func unknown(_ verb: String) -> Self { .unknown(verb: bytes(verb)) }

    static func pairs(_ parameters: [String]) -> [ESMTPPair] {
        parameters.map { p in
            let b = bytes(p)
            guard let eq = b.firstIndex(of: UInt8(ascii: "=")) else { return ESMTPPair(keyword: b, value: nil) }
            return ESMTPPair(keyword: Array(b[..<eq]), value: Array(b[(eq + 1)...]))
        }
    }

    /// Readable form for failure messages.
    var rendered: String {
        func s(_ b: [UInt8]) -> String { show(b) }
        func o(_ b: [UInt8]?) -> String { b.map(s) ?? "nil" }
        func p(_ list: [ESMTPPair]) -> String {
            "[" + list.map { s($0.keyword) + ($0.value.map { "=" + s($0) } ?? "") }.joined(separator: " ") + "]"
        }
        switch self {
        case .ehlo(let d): return "EHLO \(s(d))"
        case .helo(let d): return "HELO \(s(d))"
        case .mail(let path, let params): return "MAIL path=\(s(path)) \(p(params))"
        case .rcpt(let path, let params): return "RCPT path=\(s(path)) \(p(params))"
        case .data: return "DATA"
        case .bdat(let size, let last): return "BDAT \(size) last=\(last)"
        case .rset: return "RSET"
        case .vrfy(let a, let u): return "VRFY \(s(a)) smtputf8=\(u)"
        case .expn(let a, let u): return "EXPN \(s(a)) smtputf8=\(u)"
        case .help(let a): return "HELP \(o(a))"
        case .noop(let a): return "NOOP \(o(a))"
        case .quit: return "QUIT"
        case .startTLS: return "STARTTLS"
        case .auth(let m, let r): return "AUTH \(s(m)) \(o(r))"
        case .clientID(let t, let k): return "CLIENTID \(s(t)) \(s(k))"
        case .unknown(let v): return "unknown \(s(v))"
        }
    }
}

// MARK: Fixture rows

/// One line and what the parser must make of it.
struct Fixture {
    enum Expected {
        /// Accepted: the fields (copied out) and, for MAIL/RCPT, the decoded parameters.
        case command(OwnedSMTPCommand, mail: MailFields?, rcpt: RcptFields?)
        /// Refused with this kind, reply code and offset.
        case error(Kind, code: Int, offset: Int)
    }

    let input: [UInt8]
    let options: Options
    let expected: Expected
    let file: StaticString
    let line: UInt

    var isValid: Bool {
        if case .command = expected { return true }
        return false
    }
}

/// An accepted line; CRLF is appended to `text`. MAIL and RCPT rows check
/// every decoded parameter field (all empty unless `mail:`/`rcpt:` say otherwise).
func ok(
    _ text: String, _ command: OwnedSMTPCommand, _ options: Options = .strictMode,
    mail: MailFields? = nil, rcpt: RcptFields? = nil, file: StaticString = #filePath, line: UInt = #line
) -> Fixture {
    var mail = mail
    var rcpt = rcpt
    if case .mail = command, mail == nil { mail = MailFields() }
    if case .rcpt = command, rcpt == nil { rcpt = RcptFields() }
    return Fixture(
        input: bytes(text) + [0x0D, 0x0A], options: options, expected: .command(command, mail: mail, rcpt: rcpt),
        file: file, line: line)
}

/// A refused line; CRLF is appended to `text`.
func bad(
    _ text: String, _ kind: Kind, _ code: Int, at offset: Int, _ options: Options = .strictMode,
    file: StaticString = #filePath, line: UInt = #line
) -> Fixture {
    bad(whole: bytes(text) + [0x0D, 0x0A], kind, code, at: offset, options, file: file, line: line)
}

/// A refused input given byte for byte (nothing appended).
func bad(
    whole input: [UInt8], _ kind: Kind, _ code: Int, at offset: Int, _ options: Options = .strictMode,
    file: StaticString = #filePath, line: UInt = #line
) -> Fixture {
    Fixture(input: input, options: options, expected: .error(kind, code: code, offset: offset), file: file, line: line)
}

/// A lenient-only line: accepted with `options` (lenient), refused in the same
/// mode without `lenient` (L1–L4 of Grammar/lenient.abnf).
func lenientOnly(
    _ text: String, _ command: OwnedSMTPCommand, strict kind: Kind = .invalidArguments, _ code: Int = 501,
    at offset: Int, _ options: Options = .lenientMode, mail: MailFields? = nil,
    file: StaticString = #filePath, line: UInt = #line
) -> [Fixture] {
    let strict = Options(lenient: false, smtputf8: options.smtputf8)
    return [
        ok(text, command, options, mail: mail, file: file, line: line),
        bad(text, kind, code, at: offset, strict, file: file, line: line),
    ]
}

/// Checks each row; messages name the row's file and line.
func check(_ fixtures: [Fixture]) {
    for f in fixtures {
        let what = "\(show(f.input)) [\(f.options.name)]"
        switch (parseResult(f.input, f.options), f.expected) {
        case (.success(let command), .command(let expected, let mail, let rcpt)):
            let got = owned(command, f.input)
            XCTAssert(got == expected, "\(what): got \(got.rendered), expected \(expected.rendered)", file: f.file, line: f.line)
            for r in allRanges(command) {
                XCTAssert(
                    r.lowerBound >= 0 && r.upperBound <= f.input.count, "\(what): range \(r) outside the line", file: f.file,
                    line: f.line)
            }
            f.input.withUnsafeBytes { line in
                if case .mail(let m) = command, let mail {
                    XCTAssertEqual(MailFields(m, line), mail, what, file: f.file, line: f.line)
                }
                if case .rcpt(let r) = command, let rcpt {
                    XCTAssertEqual(RcptFields(r, line), rcpt, what, file: f.file, line: f.line)
                }
            }
        case (.success(let command), .error(let kind, _, let offset)):
            XCTFail(
                "\(what): accepted as \(owned(command, f.input).rendered), expected \(kind) at \(offset)", file: f.file,
                line: f.line)
        case (.failure(let error), .command(let expected, _, _)):
            XCTFail("\(what): refused (\(error)), expected \(expected.rendered)", file: f.file, line: f.line)
        case (.failure(let error), .error(let kind, let code, let offset)):
            XCTAssertEqual(error.kind, kind, "\(what): \(error)", file: f.file, line: f.line)
            XCTAssertEqual(error.replyCode, code, "\(what): \(error)", file: f.file, line: f.line)
            XCTAssertEqual(error.offset, offset, "\(what): \(error)", file: f.file, line: f.line)
        }
    }
}

// MARK: Framing

/// What a framer reported, comparable across chunkings.
enum FramerEvent: Equatable, CustomStringConvertible {
    case line([UInt8])
    case error(Kind, offset: Int)

    var description: String {
        switch self {
        case .line(let b): return "line \(show(b))"
        case .error(let kind, let offset): return "error \(kind) at \(offset)"
        }
    }
}

/// Feeds `chunks` in order to one framer; `afterChunk` sees the framer after each.
func frame(_ chunks: [[UInt8]], maxLineLength: Int = 512, afterChunk: (LineFramer) -> Void = { _ in }) -> [FramerEvent] {
    var framer = LineFramer(maxLineLength: maxLineLength)
    var events: [FramerEvent] = []
    for chunk in chunks {
        framer.feed(chunk) { event in
            switch event {
            case .line(let line): events.append(.line(Array(line)))
            case .error(let error): events.append(.error(error.kind, offset: error.offset))
            }
        }
        afterChunk(framer)
    }
    return events
}

/// The chunkings every framer input is replayed with: whole, split in two at
/// every byte boundary, and one byte per chunk.
func chunkings(_ input: [UInt8]) -> [(String, [[UInt8]])] {
    var result: [(String, [[UInt8]])] = [("whole", [input])]
    for k in 1..<max(input.count, 1) { result.append(("split at \(k)", [Array(input[..<k]), Array(input[k...])])) }
    result.append(("trickled", input.map { [$0] }))
    return result
}

// MARK: Round trip

/// `OwnedSMTPCommand(...).serialized()` of an accepted line parses again, with
/// the same options, to an equal command; nil when it does, else what went wrong.
func roundTripProblem(_ line: [UInt8], _ options: Options) -> String? {
    guard case .success(let command) = parseResult(line, options) else { return nil }
    let first = owned(command, line)
    let serialized = first.serialized()
    switch parseResult(serialized, options) {
    case .success(let again):
        let second = owned(again, serialized)
        return second == first ? nil : "serialized as \(show(serialized)) it parses to \(second.rendered), not \(first.rendered)"
    case .failure(let error):
        return "serialized as \(show(serialized)) it is refused: \(error)"
    }
}

func checkRoundTrip(_ line: [UInt8], _ options: Options, file: StaticString = #filePath, line testLine: UInt = #line) {
    if let problem = roundTripProblem(line, options) {
        XCTFail("\(show(line)) [\(options.name)]: \(problem)", file: file, line: testLine)
    }
}
