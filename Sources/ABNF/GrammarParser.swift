// Reads RFC 5234 grammar text (with RFC 7405 %s/%i strings) into rule
// definitions. Each production below is quoted from RFC 5234 §4 above the
// function that reads it.
//
// Annotations live in comments so the files stay plain ABNF:
//   ;@entry          the rule is called directly by code (never "unused")
//   ;@capture NAME   the rule's range is recorded as field NAME
// They may stand on any line of the rule's definition.

public enum GrammarParser {
    /// Parses one file. The first syntax error stops the parse.
    public static func parse(_ text: String, file: String) throws(Diagnostic) -> [RuleDefinition] {
        var parser = Parser(bytes: Array(text.utf8), file: file)
        return try parser.parseRuleList()
    }
}

private struct Parser {
    let bytes: [UInt8]
    let file: String
    var pos = 0
    /// Byte offset of the first byte of each line.
    let lineStarts: [Int]
    /// Annotations found while reading the current rule, keyed by offset so a
    /// comment skipped twice (after backtracking) is recorded once.
    var annotations: [Int: (Annotation, SourceLocation)] = [:]

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
        lineStarts = starts
    }

    // MARK: Positions and errors

    func location(_ offset: Int) -> SourceLocation {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return SourceLocation(file: file, line: lo + 1, column: offset - lineStarts[lo] + 1)
    }

    func lineText(_ offset: Int) -> String {
        let loc = location(offset)
        let start = lineStarts[loc.line - 1]
        var end = start
        while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    func error(_ message: String, at offset: Int? = nil) -> Diagnostic {
        let at = offset ?? pos
        return Diagnostic(.error, at: location(at), message, lineText: lineText(at))
    }

    var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    func describe(_ byte: UInt8?) -> String {
        guard let b = byte else { return "the end of the file" }
        switch b {
        case 0x0A, 0x0D: return "the end of the line"
        case 0x20...0x7E: return "\"\(String(UnicodeScalar(b)))\""
        default: return "byte 0x\(hex(b))"
        }
    }

    // MARK: rulelist = 1*( rule / (*c-wsp c-nl) )

    mutating func parseRuleList() throws(Diagnostic) -> [RuleDefinition] {
        var rules: [RuleDefinition] = []
        while pos < bytes.count {
            let b = bytes[pos]
            if isNewline(at: pos) {
                try consumeNewline()
            } else if b == 0x20 || b == 0x09 {
                // A line that starts with white space and is not a continuation:
                // only blanks or a comment may stand there.
                while let c = peek, c == 0x20 || c == 0x09 { pos += 1 }
                if peek == UInt8(ascii: ";") {
                    try skipComment(recordAnnotations: false)
                } else if pos < bytes.count, !isNewline(at: pos) {
                    throw error(
                        "expected a rule name at the start of the line: rules start in column 1, and an indented line only continues the rule above it"
                    )
                }
            } else if b == UInt8(ascii: ";") {
                try skipComment(recordAnnotations: false)
            } else if isAlpha(b) {
                rules.append(try parseRule())
            } else {
                throw error("expected a rule name, a comment or a blank line, found \(describe(b))")
            }
        }
        return rules
    }

    // MARK: rule = rulename defined-as elements c-nl

    mutating func parseRule() throws(Diagnostic) -> RuleDefinition {
        annotations = [:]
        let start = pos
        let name = parseRuleName()
        _ = try skipCWsp()
        // defined-as = *c-wsp ("=" / "=/") *c-wsp
        guard peek == UInt8(ascii: "=") else {
            throw error("expected \"=\" or \"=/\" after the rule name \"\(name)\", found \(describe(peek))")
        }
        pos += 1
        var incremental = false
        if peek == UInt8(ascii: "/") {
            incremental = true
            pos += 1
        }
        _ = try skipCWsp()
        if pos >= bytes.count || isNewline(at: pos) {
            throw error("expected the definition of \"\(name)\" after \"\(incremental ? "=/" : "=")\"")
        }
        let element = try parseAlternation()
        _ = try skipCWsp()
        // c-nl: the rule ends at a newline (comments were skipped above) or the end of the file.
        if pos < bytes.count {
            guard isNewline(at: pos) else {
                if bytes[pos] == UInt8(ascii: ")") || bytes[pos] == UInt8(ascii: "]") {
                    throw error("\(describe(bytes[pos])) closes nothing")
                }
                throw error("expected \"/\", another element or the end of the rule, found \(describe(bytes[pos]))")
            }
            try consumeNewline()
        }
        let notes = annotations.sorted { $0.key < $1.key }.map(\.value)
        return RuleDefinition(
            name: name, isIncremental: incremental, element: element, location: location(start), annotations: notes)
    }

    // rulename = ALPHA *(ALPHA / DIGIT / "-")
    mutating func parseRuleName() -> String {
        let start = pos
        pos += 1
        while let b = peek, isAlpha(b) || isDigit(b) || b == UInt8(ascii: "-") { pos += 1 }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    // MARK: alternation = concatenation *(*c-wsp "/" *c-wsp concatenation)

    mutating func parseAlternation() throws(Diagnostic) -> Element {
        var items = [try parseConcatenation()]
        while true {
            let save = pos
            _ = try skipCWsp()
            guard peek == UInt8(ascii: "/") else {
                pos = save
                break
            }
            pos += 1
            _ = try skipCWsp()
            guard let b = peek, startsRepetition(b) else {
                throw error("expected an element after \"/\", found \(describe(peek))")
            }
            items.append(try parseConcatenation())
        }
        return items.count == 1 ? items[0] : .alternation(items)
    }

    // MARK: concatenation = repetition *(1*c-wsp repetition)

    mutating func parseConcatenation() throws(Diagnostic) -> Element {
        var items = [try parseRepetition()]
        while true {
            let save = pos
            let skipped = try skipCWsp()
            guard skipped, let b = peek, startsRepetition(b) else {
                pos = save
                break
            }
            items.append(try parseRepetition())
        }
        return items.count == 1 ? items[0] : .concatenation(items)
    }

    // MARK: repetition = [repeat] element;  repeat = 1*DIGIT / (*DIGIT "*" *DIGIT)

    mutating func parseRepetition() throws(Diagnostic) -> Element {
        let start = pos
        var bounds: Bounds?
        if let b = peek, isDigit(b) || b == UInt8(ascii: "*") {
            let low = try parseDecimal()
            if peek == UInt8(ascii: "*") {
                pos += 1
                let high = try parseDecimal()
                bounds = Bounds(min: low ?? 0, max: high)
            } else {
                bounds = Bounds(min: low!, max: low!)
            }
            guard let b = peek, startsElement(b) else {
                let written = String(decoding: bytes[start..<pos], as: UTF8.self)
                throw error(
                    "expected an element right after the repeat \"\(written)\" (no space between them), found \(describe(peek))")
            }
        }
        let element = try parseElement()
        return bounds.map { .repetition($0, element) } ?? element
    }

    mutating func parseDecimal() throws(Diagnostic) -> Int? {
        let start = pos
        var value = 0
        while let b = peek, isDigit(b) {
            value = value * 10 + Int(b - 0x30)
            if value > 1_000_000 { throw error("repeat count is too large", at: start) }
            pos += 1
        }
        return pos == start ? nil : value
    }

    // MARK: element = rulename / group / option / char-val / num-val / prose-val

    mutating func parseElement() throws(Diagnostic) -> Element {
        guard let b = peek else { throw error("expected an element, found the end of the file") }
        switch b {
        case _ where isAlpha(b):
            let start = pos
            let name = parseRuleName()
            return .rule(RuleReference(name: name, location: location(start)))
        case UInt8(ascii: "("), UInt8(ascii: "["):
            // group = "(" *c-wsp alternation *c-wsp ")"; option = "[" ... "]"
            let open = pos
            let close = b == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            pos += 1
            _ = try skipCWsp()
            guard let first = peek, startsRepetition(first) else {
                throw error("expected an element inside \(describe(b)), found \(describe(peek))")
            }
            let inner = try parseAlternation()
            _ = try skipCWsp()
            guard peek == close else {
                if pos >= bytes.count || isNewline(at: pos) {
                    throw error(
                        "\(describe(b)) is never closed: expected \(describe(close)) before the end of the rule", at: open)
                }
                throw error(
                    "expected \(describe(close)) to close the \(describe(b)) at column \(location(open).column), found \(describe(peek))"
                )
            }
            pos += 1
            return b == UInt8(ascii: "(") ? inner : .repetition(.optional, inner)
        case UInt8(ascii: "\""):
            return .literal(try parseQuoted(), caseSensitive: false)
        case UInt8(ascii: "%"):
            return try parsePercent()
        case UInt8(ascii: "<"):
            // prose-val = "<" *(%x20-3D / %x3F-7E) ">"
            let start = pos
            pos += 1
            while let c = peek, c != UInt8(ascii: ">") {
                guard c >= 0x20, c <= 0x7E else { throw error("prose value is not closed with \">\" on its line", at: start) }
                pos += 1
            }
            guard peek == UInt8(ascii: ">") else { throw error("prose value is not closed with \">\"", at: start) }
            let text = String(decoding: bytes[(start + 1)..<pos], as: UTF8.self)
            pos += 1
            return .prose(text, location(start))
        default:
            throw error(
                "expected an element (a rule name, \"string\", %x value, (group), [option] or <prose>), found \(describe(b))")
        }
    }

    // char-val = DQUOTE *(%x20-21 / %x23-7E) DQUOTE
    mutating func parseQuoted() throws(Diagnostic) -> [UInt8] {
        let start = pos
        pos += 1
        var value: [UInt8] = []
        while let c = peek, c != UInt8(ascii: "\"") {
            guard c >= 0x20, c <= 0x7E else {
                throw error("string is not closed with a double quote on its line", at: start)
            }
            value.append(c)
            pos += 1
        }
        guard peek == UInt8(ascii: "\"") else { throw error("string is not closed with a double quote", at: start) }
        pos += 1
        return value
    }

    // num-val = "%" (bin-val / dec-val / hex-val); RFC 7405: "%s" / "%i" quoted-string
    mutating func parsePercent() throws(Diagnostic) -> Element {
        let start = pos
        pos += 1
        guard let kind = peek.map({ $0 | 0x20 }) else { throw error("expected b, d, x, s or i after \"%\"") }
        pos += 1
        switch kind {
        case UInt8(ascii: "s"), UInt8(ascii: "i"):
            guard peek == UInt8(ascii: "\"") else {
                throw error("expected a double-quoted string after \"%\(String(UnicodeScalar(kind)))\" (RFC 7405)")
            }
            return .literal(try parseQuoted(), caseSensitive: kind == UInt8(ascii: "s"))
        case UInt8(ascii: "b"), UInt8(ascii: "d"), UInt8(ascii: "x"):
            let radix = kind == UInt8(ascii: "b") ? 2 : kind == UInt8(ascii: "d") ? 10 : 16
            let first = try parseNumber(radix: radix, after: start)
            if peek == UInt8(ascii: "-") {
                pos += 1
                let last = try parseNumber(radix: radix, after: start)
                guard first <= last else {
                    let written = String(decoding: bytes[start..<pos], as: UTF8.self)
                    throw error("range \(written) is empty: its start is above its end", at: start)
                }
                return .range(first, last)
            }
            var sequence = [first]
            while peek == UInt8(ascii: ".") {
                pos += 1
                sequence.append(try parseNumber(radix: radix, after: start))
            }
            return sequence.count == 1 ? .range(first, first) : .literal(sequence, caseSensitive: true)
        default:
            throw error("expected b, d, x, s or i after \"%\", found \(describe(bytes[start + 1]))", at: start + 1)
        }
    }

    mutating func parseNumber(radix: Int, after start: Int) throws(Diagnostic) -> UInt8 {
        let digitsStart = pos
        var value = 0
        while let b = peek, let digit = digitValue(b), digit < radix {
            value = value * radix + digit
            if value > 0xFFFF_FFFF { break }
            pos += 1
        }
        guard pos > digitsStart else {
            let base = radix == 2 ? "binary" : radix == 10 ? "decimal" : "hexadecimal"
            throw error("expected \(base) digits, found \(describe(peek))")
        }
        guard value <= 0xFF else {
            throw error(
                "value \(value) is above 255: these grammars describe octets (write UTF-8 byte by byte, as RFC 3629 §4 does)",
                at: digitsStart)
        }
        return UInt8(value)
    }

    // MARK: c-wsp = WSP / (c-nl WSP);  c-nl = comment / CRLF

    /// Skips white space, comments and continuation line breaks. Returns
    /// whether anything was skipped.
    mutating func skipCWsp() throws(Diagnostic) -> Bool {
        let start = pos
        while let b = peek {
            if b == 0x20 || b == 0x09 {
                pos += 1
            } else if b == UInt8(ascii: ";") {
                try skipComment(recordAnnotations: true)
            } else if isNewline(at: pos) {
                let after = pos + (b == 0x0D ? 2 : 1)
                guard after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x09 else { break }
                pos = after
            } else if b == 0x0D {
                throw error("carriage return without a line feed")
            } else {
                break
            }
        }
        return pos > start
    }

    /// comment = ";" *(WSP / VCHAR) CRLF — stops before the line break.
    mutating func skipComment(recordAnnotations: Bool) throws(Diagnostic) {
        let start = pos
        while let b = peek, b != 0x0A, b != 0x0D { pos += 1 }
        let text = String(decoding: bytes[(start + 1)..<pos], as: UTF8.self)
        guard text.hasPrefix("@") else { return }
        guard recordAnnotations else {
            throw error("annotation outside a rule: write it on a line of the rule's definition", at: start)
        }
        let words = text.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" })
        let loc = location(start)
        switch words.first {
        case "entry" where words.count == 1:
            annotations[start] = (.entry, loc)
        case "capture" where words.count == 2:
            let name = String(words[1])
            guard name.utf8.allSatisfy({ isAlpha($0) || isDigit($0) }), let f = name.utf8.first, isAlpha(f) else {
                throw error("capture name \"\(name)\" must be letters and digits, starting with a letter", at: start)
            }
            annotations[start] = (.capture(name), loc)
        default:
            throw error("unknown annotation \";\(text)\": expected \";@entry\" or \";@capture NAME\"", at: start)
        }
    }

    func isNewline(at offset: Int) -> Bool {
        bytes[offset] == 0x0A || (bytes[offset] == 0x0D && offset + 1 < bytes.count && bytes[offset + 1] == 0x0A)
    }

    mutating func consumeNewline() throws(Diagnostic) {
        if bytes[pos] == 0x0D {
            guard pos + 1 < bytes.count, bytes[pos + 1] == 0x0A else { throw error("carriage return without a line feed") }
            pos += 2
        } else {
            pos += 1
        }
    }

    func startsElement(_ b: UInt8) -> Bool {
        isAlpha(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: "[") || b == UInt8(ascii: "\"")
            || b == UInt8(ascii: "%") || b == UInt8(ascii: "<")
    }

    func startsRepetition(_ b: UInt8) -> Bool { startsElement(b) || isDigit(b) || b == UInt8(ascii: "*") }
}

@inline(__always) func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

func digitValue(_ b: UInt8) -> Int? {
    switch b {
    case 0x30...0x39: return Int(b - 0x30)
    case 0x41...0x46: return Int(b - 0x41 + 10)
    case 0x61...0x66: return Int(b - 0x61 + 10)
    default: return nil
    }
}

/// Two upper-case hex digits.
public func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}
