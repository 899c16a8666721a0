// smtp-parse: one JSON object per input line, in order, nothing else on
// standard output. A thin shell over SMTPCommandParser; the contract is used
// by other tools, so keep it stable (see README, "smtp-parse").

import ArgumentParser
import Foundation
import SMTPCommandParser

@main
struct SMTPParse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-parse",
        abstract: "Parse SMTP command lines and print one JSON object per line.",
        discussion: """
            Reads command lines from standard input (or the files given), each ending in CRLF \
            or LF; a line ending in LF alone is parsed as if it ended in CRLF. For each line \
            it prints {"verb": the first token upper-cased (up to SP or CR; with --lenient also \
            HTAB), "code": 250 when well-formed, else the reply code the parser suggests (500, \
            501, 552, 555), "error": the reason and syntax hint} plus the command's fields:
              CLIENTID: type, token          MAIL/RCPT: path, parameters ([keyword, value|null])
              EHLO/HELO: domain              AUTH: mechanism, initialResponse
              BDAT: size, last               VRFY/EXPN/HELP/NOOP: argument
            Example:
              printf 'CLIENTID UUID 23bf83be-aad7\\r\\nMAIL FROM:<a@b> SIZE=10\\r\\n' | smtp-parse
            """)

    @Flag(help: "Accept the deviations deployed clients send (Grammar/lenient.abnf, L1-L4).")
    var lenient = false

    @Flag(name: .customLong("smtputf8"), help: "Apply the RFC 6531 SMTPUTF8 grammar (UTF-8 in paths and arguments).")
    var smtputf8 = false

    @Option(name: .customLong("max-line"), help: "Longest command line in octets, CRLF included (RFC 5321 §4.5.3.1.4).")
    var maxLine = 512

    @Flag(help: "Print a human-readable table instead of JSON.")
    var pretty = false

    @Argument(help: "Files to read instead of standard input.")
    var files: [String] = []

    func validate() throws {
        guard maxLine >= 3 else { throw ValidationError("--max-line must be at least 3 (one byte and CRLF)") }
    }

    func run() throws {
        let parser = SMTPCommandParser(options: .init(lenient: lenient, smtputf8: smtputf8))
        var inputs: [Data] = []
        if files.isEmpty {
            inputs.append(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            for path in files {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("\(path): cannot read the file")
                }
                inputs.append(data)
            }
        }
        var rows: [ParsedLine] = []
        for data in inputs {
            for line in Self.lines(Array(data)) {
                let result = ParsedLine(line: line, parser: parser, maxLine: maxLine)
                if pretty { rows.append(result) } else { print(result.json) }
            }
        }
        if pretty { print(ParsedLine.table(rows)) }
    }

    /// Splits on LF; each line gets CRLF (a CR before the LF is kept as its own).
    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            var line = Array(bytes[start..<i])
            if line.last == 0x0D { line.removeLast() }
            lines.append(line + [0x0D, 0x0A])
            start = i + 1
        }
        if start < bytes.count { lines.append(Array(bytes[start...]) + [0x0D, 0x0A]) }
        return lines
    }
}

struct ParsedLine {
    var verb: String
    var code: Int
    var fields: [(String, JSON)] = []
    var error: String?

    init(line: [UInt8], parser: SMTPCommandParser, maxLine: Int) {
        // The parser's first token, so that "verb" names what the code and error judged.
        verb = String(decoding: line[parser.firstToken(of: line).range], as: UTF8.self).uppercased()
        guard line.count <= maxLine else {
            code = 500
            error = "line too long: \(line.count) octets with CRLF, limit \(maxLine) (RFC 5321 §4.5.3.1.4)"
            return
        }
        do {
            let command = try parser.parse(line)
            let owned = line.withUnsafeBytes { OwnedSMTPCommand(command, line: $0) }
            code = 250
            describe(owned)
        } catch {
            code = error.replyCode
            self.error = "\(error.kind) at offset \(error.offset) (rule \(error.rule)); syntax: \(error.hint)"
        }
    }

    mutating func describe(_ command: OwnedSMTPCommand) {
        func text(_ b: [UInt8]) -> JSON { .string(String(decoding: b, as: UTF8.self)) }
        func optional(_ b: [UInt8]?) -> JSON { b.map(text) ?? .null }
        func params(_ list: [ESMTPPair]) -> JSON { .array(list.map { .array([text($0.keyword), optional($0.value)]) }) }
        switch command {
        case .clientID(let type, let token): fields = [("type", text(type)), ("token", text(token))]
        case .mail(let path, let p), .rcpt(let path, let p): fields = [("path", text(path)), ("parameters", params(p))]
        case .ehlo(let d), .helo(let d): fields = [("domain", text(d))]
        case .auth(let m, let r): fields = [("mechanism", text(m)), ("initialResponse", optional(r))]
        case .bdat(let size, let last): fields = [("size", .number(size)), ("last", .bool(last))]
        case .vrfy(let a, _), .expn(let a, _): fields = [("argument", text(a))]
        case .help(let a), .noop(let a): fields = [("argument", optional(a))]
        case .unknown:
            code = 500
            error = "unknown command"
        case .data, .rset, .quit, .startTLS:
            break
        }
    }

    var json: String {
        var parts = ["\"verb\":\(JSON.string(verb).encoded)", "\"code\":\(code)"]
        for (key, value) in fields { parts.append("\(JSON.string(key).encoded):\(value.encoded)") }
        if let error { parts.append("\"error\":\(JSON.string(error).encoded)") }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func table(_ rows: [ParsedLine]) -> String {
        let cells = rows.map { row -> [String] in
            let detail = row.error ?? row.fields.map { "\($0.0)=\($0.1.encoded)" }.joined(separator: " ")
            return [row.verb, String(row.code), detail]
        }
        let header = ["VERB", "CODE", "FIELDS / ERROR"]
        let widths = (0..<2).map { c in ([header] + cells).map { $0[c].count }.max() ?? 0 }
        func render(_ r: [String]) -> String {
            r[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + r[1].padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  " + r[2]
        }
        return ([render(header)] + cells.map(render)).joined(separator: "\n")
    }
}

indirect enum JSON {
    case string(String)
    case number(UInt64)
    case bool(Bool)
    case null
    case array([JSON])

    var encoded: String {
        switch self {
        case .number(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.encoded).joined(separator: ",") + "]"
        case .string(let s):
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
    }
}
