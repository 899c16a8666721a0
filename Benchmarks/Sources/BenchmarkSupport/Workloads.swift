// What the benchmarks time: the generated parser, the line framer, both
// together, and the baselines measured beside them in the same run.

import ABNF
import SMTPCommandParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Workloads {
    /// Parses lines `lines` (default: all) of the corpus; returns how many were accepted.
    public static func parse(_ corpus: Corpus, lines: Range<Int>? = nil, with parser: SMTPCommandParser) -> Int {
        var accepted = 0
        corpus.bytes.withUnsafeBytes { all in
            for i in lines ?? 0..<corpus.lineCount {
                let line = UnsafeRawBufferPointer(rebasing: all[corpus.line(i)])
                do {
                    _ = try parser.parse(line)
                    accepted &+= 1
                } catch {}
            }
        }
        return accepted
    }

    /// Frames the bytes of lines `lines` (default: all), fed in chunks of `chunkSize`; returns lines + errors seen.
    public static func frame(_ corpus: Corpus, lines: Range<Int>? = nil, chunkSize: Int = 16384) -> Int {
        var framer = LineFramer()
        var events = 0
        feed(corpus, lines, chunkSize) { framer.feed($0) { _ in events &+= 1 } }
        return events
    }

    /// Frames and parses, as a server does; returns the accepted commands.
    public static func frameAndParse(
        _ corpus: Corpus, lines: Range<Int>? = nil, with parser: SMTPCommandParser, chunkSize: Int = 16384
    ) -> Int {
        var framer = LineFramer()
        var accepted = 0
        feed(corpus, lines, chunkSize) { chunk in
            framer.feed(chunk) { event in
                if case .line(let line) = event, (try? parser.parse(line)) != nil { accepted &+= 1 }
            }
        }
        return accepted
    }

    /// The bytes of lines `lines`, in chunks of `chunkSize`.
    static func feed(_ corpus: Corpus, _ lines: Range<Int>?, _ chunkSize: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let bytes = lines.map { corpus.lineStarts[$0.lowerBound]..<corpus.lineStarts[$0.upperBound] } ?? 0..<corpus.bytes.count
        corpus.bytes.withUnsafeBytes { all in
            var start = bytes.lowerBound
            while start < bytes.upperBound {
                let end = min(start + chunkSize, bytes.upperBound)
                body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    /// The physical ceiling: find every LF with memchr and check the CR before it.
    public static func crlfScan(_ corpus: Corpus, lines: Range<Int>? = nil) -> Int {
        var count = 0
        let bytes = lines.map { corpus.lineStarts[$0.lowerBound]..<corpus.lineStarts[$0.upperBound] } ?? 0..<corpus.bytes.count
        corpus.bytes.withUnsafeBytes { all in
            guard let base = all.baseAddress else { return }
            var offset = bytes.lowerBound
            while offset < bytes.upperBound {
                guard let hit = memchr(base + offset, 0x0A, bytes.upperBound - offset) else { break }
                let index = base.distance(to: UnsafeRawPointer(hit))
                if index > 0 && all[index - 1] == 0x0D { count &+= 1 }
                offset = index + 1
            }
        }
        return count
    }

    /// A straightforward `String`-based parser (split on spaces, upper-case
    /// the verb, no regular expressions) over the same lines.
    public static func stringBaseline(_ corpus: Corpus, lines: Range<Int>? = nil) -> Int {
        var accepted = 0
        for i in lines ?? 0..<corpus.lineCount {
            let text = String(decoding: corpus.bytes[corpus.line(i)], as: UTF8.self)
            if StringBaselineParser.parse(text) != nil { accepted &+= 1 }
        }
        return accepted
    }

    /// The reference interpreter on the lines of `corpus`, each against its command rule.
    public static func interpret(_ corpus: Corpus, lines: Range<Int>? = nil, with interpreter: Interpreter) -> Int {
        var accepted = 0
        for i in lines ?? 0..<corpus.lineCount {
            let verb = corpus.verb(ofLine: i).lowercased()
            if interpreter.grammar[verb] != nil, interpreter.matches(verb, Array(corpus.bytes[corpus.line(i)])) {
                accepted &+= 1
            }
        }
        return accepted
    }
}

/// The baseline: how one would write an SMTP command parser with `String`.
public enum StringBaselineParser {
    public struct Command {
        public var verb: String
        public var arguments: [String]
        public var parameters: [(String, String?)]
    }

    public static func parse(_ line: String) -> Command? {
        guard line.hasSuffix("\r\n") else { return nil }
        let body = String(line.dropLast())  // "\r\n" is one Character
        let parts = body.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        let verb = first.uppercased()
        var command = Command(verb: verb, arguments: [], parameters: [])
        switch verb {
        case "EHLO", "HELO":
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            command.arguments = [parts[1]]
        case "MAIL", "RCPT":
            let prefix = verb == "MAIL" ? "FROM:<" : "TO:<"
            guard parts.count >= 2, parts[1].uppercased().hasPrefix(prefix), parts[1].hasSuffix(">") else { return nil }
            let path = String(parts[1].dropFirst(prefix.count).dropLast())
            if !path.isEmpty {
                let pieces = path.split(separator: "@")
                guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else { return nil }
            }
            command.arguments = [path]
            for parameter in parts.dropFirst(2) {
                let kv = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard let keyword = kv.first, !keyword.isEmpty else { return nil }
                command.parameters.append((keyword.uppercased(), kv.count > 1 ? kv[1] : nil))
            }
        case "DATA", "RSET", "QUIT", "STARTTLS":
            guard parts.count == 1 else { return nil }
        case "NOOP", "HELP":
            command.arguments = Array(parts.dropFirst())
        case "VRFY", "EXPN":
            guard parts.count == 2 else { return nil }
            command.arguments = [parts[1]]
        case "AUTH":
            guard parts.count == 2 || parts.count == 3 else { return nil }
            command.arguments = [parts[1].uppercased()] + parts.dropFirst(2)
        case "BDAT":
            guard parts.count == 2 || (parts.count == 3 && parts[2].uppercased() == "LAST"), UInt64(parts[1]) != nil else {
                return nil
            }
            command.arguments = Array(parts.dropFirst())
        case "CLIENTID":
            guard parts.count == 3, (1...16).contains(parts[1].count), (1...128).contains(parts[2].count),
                parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else { return nil }
            command.arguments = [parts[1].uppercased(), parts[2]]
        default:
            return nil
        }
        return command
    }
}
