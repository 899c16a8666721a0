// Reads the `Automaton(...)` initialiser calls back out of a generated Swift
// file, as text, so the proof is about the committed tables as the shipped
// decoder reads them, not about a fresh in-memory generation.

import SMTPParserRuntime

/// The arguments of one `Automaton(rule:fields:classCount:stateCount:start:tagMasks:ruleNames:tables:)`
/// call in a generated file.
public struct GeneratedAutomaton: Sendable {
    public var rule: String
    public var fields: [String]
    public var classCount: Int
    public var stateCount: Int
    public var start: Int
    public var tagMasks: [UInt64]
    public var ruleNames: [String]
    public var tables: String
    /// 1-based line of the call in its file.
    public var line: Int

    /// The runtime automaton, decoded by the shipped `Automaton.init`. The
    /// length of the tables is checked first, because the initialiser traps
    /// on truncated or overlong tables.
    public func decoded() throws(MalformedAutomaton) -> Automaton {
        guard classCount >= 1, classCount <= 256, stateCount >= 1, stateCount < 0x8000, start >= 0 else {
            throw MalformedAutomaton("impossible sizes: \(stateCount) states, \(classCount) byte classes, start \(start)")
        }
        let transitions = stateCount * classCount
        let expected = 256 + 2 * transitions + (fields.isEmpty ? 0 : transitions) + stateCount + 2 * stateCount
        // The runtime's base64 decoder skips everything outside the alphabet and
        // emits a byte per 8 bits gathered.
        let symbols = tables.utf8.filter { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
        }.count
        let length = symbols * 6 / 8
        guard length == expected else {
            throw MalformedAutomaton(
                "tables hold \(length) bytes; \(stateCount) states and \(classCount) classes need \(expected)")
        }
        return Automaton(
            rule: rule, fields: fields, classCount: classCount, stateCount: stateCount, start: start,
            tagMasks: tagMasks, ruleNames: ruleNames, tables: tables)
    }
}

/// A generated file that cannot be read.
public struct GeneratedCodeError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public var description: String { "line \(line): \(message)" }
}

public enum GeneratedCode {
    /// Every `Automaton(...)` call in `text`, in file order. Comments and
    /// string literals are skipped, so only real calls count.
    public static func automata(in text: String) throws(GeneratedCodeError) -> [GeneratedAutomaton] {
        var reader = Reader(bytes: Array(text.utf8))
        var found: [GeneratedAutomaton] = []
        while let offset = reader.nextCall(named: "Automaton") {
            found.append(try reader.automaton(at: offset))
        }
        return found
    }

    private enum Value {
        case string(String)
        case integer(UInt64)
        case array([Value])
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func line(at offset: Int) -> Int { 1 + bytes[..<min(offset, bytes.count)].lazy.filter { $0 == 0x0A }.count }

        func fail(_ message: String) -> GeneratedCodeError { GeneratedCodeError(line: line(at: i), message: message) }

        func peek(_ text: String, at offset: Int? = nil) -> Bool {
            let at = offset ?? i
            let pattern = Array(text.utf8)
            return at + pattern.count <= bytes.count && Array(bytes[at..<(at + pattern.count)]) == pattern
        }

        static func isIdentifier(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
        }

        /// Advances past the next `name(`, skipping comments and strings;
        /// returns the offset of the name.
        mutating func nextCall(named name: String) -> Int? {
            while i < bytes.count {
                if peek("//") {
                    while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                } else if peek("/*") {
                    i += 2
                    while i < bytes.count && !peek("*/") { i += 1 }
                    i += 2
                } else if bytes[i] == 0x22 {
                    _ = try? stringLiteral()
                } else if Reader.isIdentifier(bytes[i]) {
                    let begin = i
                    while i < bytes.count && Reader.isIdentifier(bytes[i]) { i += 1 }
                    if String(decoding: bytes[begin..<i], as: UTF8.self) == name {
                        skipSpace()
                        if i < bytes.count && bytes[i] == 0x28 {
                            i += 1
                            return begin
                        }
                    }
                } else {
                    i += 1
                }
            }
            return nil
        }

        mutating func skipSpace() {
            while i < bytes.count {
                if bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
                    i += 1
                } else if peek("//") {
                    while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                } else {
                    return
                }
            }
        }

        mutating func automaton(at offset: Int) throws(GeneratedCodeError) -> GeneratedAutomaton {
            let labels = ["rule", "fields", "classCount", "stateCount", "start", "tagMasks", "ruleNames", "tables"]
            var values: [Value] = []
            for (n, label) in labels.enumerated() {
                skipSpace()
                let begin = i
                while i < bytes.count && Reader.isIdentifier(bytes[i]) { i += 1 }
                let found = String(decoding: bytes[begin..<i], as: UTF8.self)
                guard found == label else {
                    throw fail("expected the argument \"\(label):\" of Automaton(...), found \"\(found)\"")
                }
                skipSpace()
                guard i < bytes.count && bytes[i] == 0x3A else { throw fail("expected \":\" after \(label)") }
                i += 1
                values.append(try value())
                skipSpace()
                let closer: UInt8 = n == labels.count - 1 ? 0x29 : 0x2C
                guard i < bytes.count && bytes[i] == closer else {
                    throw fail("expected \"\(closer == 0x29 ? ")" : ",")\" after the argument \(label)")
                }
                i += 1
            }
            func string(_ v: Value, _ label: String) throws(GeneratedCodeError) -> String {
                guard case .string(let s) = v else {
                    throw GeneratedCodeError(line: line(at: offset), message: "\(label) is not a string literal")
                }
                return s
            }
            func integer(_ v: Value, _ label: String) throws(GeneratedCodeError) -> Int {
                guard case .integer(let n) = v, n <= UInt64(Int.max) else {
                    throw GeneratedCodeError(line: line(at: offset), message: "\(label) is not an integer literal")
                }
                return Int(n)
            }
            func array(_ v: Value, _ label: String) throws(GeneratedCodeError) -> [Value] {
                guard case .array(let items) = v else {
                    throw GeneratedCodeError(line: line(at: offset), message: "\(label) is not an array literal")
                }
                return items
            }
            var fields: [String] = []
            for item in try array(values[1], "fields") { fields.append(try string(item, "fields")) }
            var masks: [UInt64] = []
            for item in try array(values[5], "tagMasks") {
                guard case .integer(let m) = item else {
                    throw GeneratedCodeError(line: line(at: offset), message: "tagMasks holds a non-integer")
                }
                masks.append(m)
            }
            var names: [String] = []
            for item in try array(values[6], "ruleNames") { names.append(try string(item, "ruleNames")) }
            return GeneratedAutomaton(
                rule: try string(values[0], "rule"), fields: fields, classCount: try integer(values[2], "classCount"),
                stateCount: try integer(values[3], "stateCount"), start: try integer(values[4], "start"),
                tagMasks: masks, ruleNames: names, tables: try string(values[7], "tables"), line: line(at: offset))
        }

        mutating func value() throws(GeneratedCodeError) -> Value {
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of file") }
            switch bytes[i] {
            case 0x22:
                return .string(try stringLiteral())
            case 0x5B:
                i += 1
                var items: [Value] = []
                while true {
                    skipSpace()
                    if i < bytes.count && bytes[i] == 0x5D {
                        i += 1
                        return .array(items)
                    }
                    items.append(try value())
                    skipSpace()
                    if i < bytes.count && bytes[i] == 0x2C {
                        i += 1
                    } else if !(i < bytes.count && bytes[i] == 0x5D) {
                        throw fail("expected \",\" or \"]\" in an array literal")
                    }
                }
            default:
                return .integer(try integerLiteral())
            }
        }

        mutating func integerLiteral() throws(GeneratedCodeError) -> UInt64 {
            var radix: UInt64 = 10
            if peek("0x") {
                radix = 16
                i += 2
            }
            var value: UInt64 = 0
            var digits = 0
            while i < bytes.count {
                let c = bytes[i]
                let digit: UInt64
                switch c {
                case 0x30...0x39: digit = UInt64(c - 0x30)
                case 0x61...0x66 where radix == 16: digit = UInt64(c - 0x61 + 10)
                case 0x41...0x46 where radix == 16: digit = UInt64(c - 0x41 + 10)
                case 0x5F:
                    i += 1
                    continue
                default:
                    guard digits > 0 else { throw fail("expected a literal") }
                    return value
                }
                let (product, overflow1) = value.multipliedReportingOverflow(by: radix)
                let (sum, overflow2) = product.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else { throw fail("integer literal out of range") }
                value = sum
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw fail("expected a literal") }
            return value
        }

        /// A `"..."` or `"""` multi-line literal; escapes \\ \" \n \r \t \0 \u{...}.
        mutating func stringLiteral() throws(GeneratedCodeError) -> String {
            if peek("\"\"\"") {
                i += 3
                // Content starts on the next line; the closing delimiter's
                // indentation is removed from every line (Swift's rule).
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                i += 1
                var lines: [[UInt8]] = []
                while i < bytes.count {
                    var end = i
                    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                    let line = Array(bytes[i..<end])
                    let indent = line.prefix { $0 == 0x20 || $0 == 0x09 }
                    if line.dropFirst(indent.count).starts(with: Array("\"\"\"".utf8)) {
                        i += indent.count + 3
                        var text: [UInt8] = []
                        for (n, content) in lines.enumerated() {
                            if n > 0 { text.append(0x0A) }
                            text += content.starts(with: indent) ? Array(content.dropFirst(indent.count)) : content
                        }
                        return try unescape(text)
                    }
                    lines.append(line)
                    i = end + 1
                }
                throw fail("unterminated multi-line string literal")
            }
            i += 1
            var raw: [UInt8] = []
            while i < bytes.count && bytes[i] != 0x22 && bytes[i] != 0x0A {
                if bytes[i] == 0x5C && i + 1 < bytes.count {
                    raw.append(bytes[i])
                    i += 1
                }
                raw.append(bytes[i])
                i += 1
            }
            guard i < bytes.count && bytes[i] == 0x22 else { throw fail("unterminated string literal") }
            i += 1
            return try unescape(raw)
        }

        func unescape(_ raw: [UInt8]) throws(GeneratedCodeError) -> String {
            var out = ""
            var run: [UInt8] = []
            var k = 0
            func flush() {
                out += String(decoding: run, as: UTF8.self)
                run = []
            }
            while k < raw.count {
                guard raw[k] == 0x5C, k + 1 < raw.count else {
                    run.append(raw[k])
                    k += 1
                    continue
                }
                let c = raw[k + 1]
                k += 2
                switch c {
                case 0x5C: run.append(0x5C)
                case 0x22: run.append(0x22)
                case 0x27: run.append(0x27)
                case 0x6E: run.append(0x0A)
                case 0x72: run.append(0x0D)
                case 0x74: run.append(0x09)
                case 0x30: run.append(0x00)
                case 0x75 where k < raw.count && raw[k] == 0x7B:
                    guard let close = raw[k...].firstIndex(of: 0x7D),
                        let code = UInt32(String(decoding: raw[(k + 1)..<close], as: UTF8.self), radix: 16),
                        let scalar = UnicodeScalar(code)
                    else { throw fail("bad \\u{...} escape") }
                    flush()
                    out.unicodeScalars.append(scalar)
                    k = close + 1
                default:
                    throw fail("unknown escape \\\(Character(UnicodeScalar(c)))")
                }
            }
            flush()
            return out
        }
    }
}
