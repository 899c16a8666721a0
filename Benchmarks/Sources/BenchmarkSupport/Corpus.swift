// A deterministic, realistic corpus of SMTP command lines, generated at run
// time (never committed): the mix a submission server sees, with about 5%
// malformed lines. Same seed, same bytes.

import ABNF

public struct Corpus: Sendable {
    /// All lines back to back, each ending in CRLF.
    public let bytes: [UInt8]
    /// Start offset of each line, plus `bytes.count` at the end.
    public let lineStarts: [Int]
    /// What each line is (for per-kind benchmarks).
    public let kinds: [Kind]

    public enum Kind: String, CaseIterable, Sendable {
        case ehlo, helo, mail, rcpt, data, rset, noop, quit, startTLS, auth, clientID, bdat, vrfy, malformed
    }

    public var lineCount: Int { lineStarts.count - 1 }

    public func line(_ i: Int) -> Range<Int> { lineStarts[i]..<lineStarts[i + 1] }

    /// The first word of line `i` (up to SP or CR), as written.
    public func verb(ofLine i: Int) -> String {
        String(decoding: bytes[line(i)].prefix { $0 != 0x20 && $0 != 0x0D }, as: UTF8.self)
    }

    /// About `lines` lines (default a million), from `seed`.
    public init(lines: Int = 1_000_000, seed: UInt64 = 0x5EED_C0DE) {
        var rng = SplitMix64(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines * 48)
        var starts: [Int] = []
        var kinds: [Kind] = []
        starts.reserveCapacity(lines + 1)
        kinds.reserveCapacity(lines)
        var maker = LineMaker(rng: rng.split())
        for _ in 0..<lines {
            let roll = Int(rng.next() % 1000)
            let (kind, text) = maker.line(roll: roll)
            starts.append(bytes.count)
            bytes += text
            bytes += [0x0D, 0x0A]
            kinds.append(kind)
        }
        starts.append(bytes.count)
        self.bytes = bytes
        self.lineStarts = starts
        self.kinds = kinds
    }

    /// The lines of one kind, copied into their own corpus.
    public func only(_ kind: Kind) -> Corpus {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var kinds: [Kind] = []
        for i in 0..<lineCount where self.kinds[i] == kind {
            starts.append(bytes.count)
            bytes += self.bytes[line(i)]
            kinds.append(kind)
        }
        starts.append(bytes.count)
        return Corpus(bytes: bytes, lineStarts: starts, kinds: kinds)
    }

    public init(bytes: [UInt8], lineStarts: [Int], kinds: [Kind]) {
        self.bytes = bytes
        self.lineStarts = lineStarts
        self.kinds = kinds
    }
}

struct LineMaker {
    var rng: SplitMix64

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    mutating func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

    mutating func word(_ length: ClosedRange<Int>, _ alphabet: [UInt8]) -> [UInt8] {
        (0..<number(length)).map { _ in pick(alphabet) }
    }

    static let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    static let alnum = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    static let local = Array("abcdefghijklmnopqrstuvwxyz0123456789._-+".utf8)
    static let hex = Array("0123456789abcdef".utf8)
    static let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let vchar = Array((0x21...0x7E).map { UInt8($0) })

    mutating func domain() -> [UInt8] {
        var parts: [[UInt8]] = []
        for _ in 0..<number(1...3) { parts.append(word(2...12, Self.alnum)) }
        parts.append(pick([Array("com".utf8), Array("org".utf8), Array("net".utf8), Array("example".utf8), Array("de".utf8)]))
        return Array(parts.joined(separator: [UInt8(ascii: ".")]))
    }

    mutating func localPart() -> [UInt8] {
        var w = word(1...16, Self.lower)
        if rng.next() % 3 == 0 { w += [UInt8(ascii: ".")] + word(1...10, Self.lower) }
        return w
    }

    mutating func mailbox() -> [UInt8] { localPart() + [UInt8(ascii: "@")] + domain() }

    mutating func uuid() -> [UInt8] {
        [8, 4, 4, 4, 12].map { word($0...$0, Self.hex) }.joined(separator: [UInt8(ascii: "-")]).map { $0 }
    }

    mutating func line(roll: Int) -> (Corpus.Kind, [UInt8]) {
        func s(_ text: String) -> [UInt8] { Array(text.utf8) }
        switch roll {
        case 0..<60:
            return (.ehlo, s("EHLO ") + (rng.next() % 5 == 0 ? s("[192.0.2.\(number(1...254))]") : domain()))
        case 60..<80:
            return (.helo, s("HELO ") + domain())
        case 80..<230:
            var line = s("MAIL FROM:<") + (rng.next() % 20 == 0 ? [] : mailbox()) + s(">")
            if rng.next() % 2 == 0 { line += s(" SIZE=\(number(100...40_000_000))") }
            if rng.next() % 3 == 0 { line += s(" BODY=") + pick([s("8BITMIME"), s("7BIT"), s("BINARYMIME")]) }
            if rng.next() % 8 == 0 { line += s(" SMTPUTF8") }
            if rng.next() % 6 == 0 { line += s(" AUTH=") + localPart() + s("+40") + domain() }
            return (.mail, line)
        case 230..<480:
            var line = s("RCPT TO:<") + mailbox() + s(">")
            if rng.next() % 3 == 0 { line += s(" NOTIFY=") + pick([s("NEVER"), s("SUCCESS,FAILURE"), s("FAILURE,DELAY")]) }
            if rng.next() % 5 == 0 { line += s(" ORCPT=rfc822;") + localPart() + s("+40") + domain() }
            return (.rcpt, line)
        case 480..<560: return (.data, s("DATA"))
        case 560..<610: return (.rset, s("RSET"))
        case 610..<650: return (.noop, s("NOOP"))
        case 650..<730: return (.quit, s("QUIT"))
        case 730..<770: return (.startTLS, s("STARTTLS"))
        case 770..<830:
            if rng.next() % 2 == 0 { return (.auth, s("AUTH PLAIN ") + word(16...60, Self.base64) + s("=")) }
            return (.auth, s("AUTH LOGIN"))
        case 830..<890:
            if rng.next() % 2 == 0 { return (.clientID, s("CLIENTID UUID ") + uuid()) }
            return (
                .clientID,
                s("CLIENTID ") + pick([s("TBIRD-UUID"), s("LICENSE"), s("COOKIE")]) + s(" ") + word(128...128, Self.vchar)
            )
        case 890..<920:
            return (.bdat, s("BDAT \(number(1...65536))") + (rng.next() % 3 == 0 ? s(" LAST") : []))
        case 920..<950:
            return (.vrfy, s("VRFY ") + localPart())
        default:
            // ~5% malformed: the mistakes real traffic shows.
            switch rng.next() % 8 {
            case 0: return (.malformed, s("MAIL FROM: <") + mailbox() + s(">"))
            case 1: return (.malformed, s("RCPT TO:") + mailbox())
            case 2: return (.malformed, s("CLIENTID MAC"))
            case 3: return (.malformed, s("EHLO"))
            case 4: return (.malformed, s("GET / HTTP/1.1"))
            case 5: return (.malformed, s("MAIL FROM:<") + mailbox() + s("> SIZE=abc"))
            case 6: return (.malformed, s("CLIENTID DEVICE_ID ") + uuid())
            default: return (.malformed, s("RCPT TO:<a@[IPv6:zz::1]>"))
            }
        }
    }
}
