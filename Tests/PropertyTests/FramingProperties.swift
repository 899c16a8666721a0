import ABNF
import PropertyTesting
import SMTPCommandParser
import XCTest

/// `LineFramer` gives the same lines and errors whatever the chunking, and the
/// parser calls every proper prefix of a valid line "incomplete".
final class FramingProperties: XCTestCase {
    /// What a framer reports, copied out of the callback.
    enum Event: Equatable, CustomStringConvertible {
        case line([UInt8])
        case error(SMTPSyntaxError.Kind, offset: Int)

        var description: String {
            switch self {
            case .line(let bytes): "line \"\(escaped(bytes))\""
            case .error(let kind, let offset): "error \(kind) at \(offset)"
            }
        }
    }

    static func frame(_ bytes: [UInt8], chunks: [Int]) -> [Event] {
        var framer = LineFramer()
        var events: [Event] = []
        var start = 0
        for size in chunks + [bytes.count] where start < bytes.count {
            let end = min(start + max(size, 1), bytes.count)
            framer.feed(Array(bytes[start..<end])) { event in
                switch event {
                case .line(let line): events.append(.line(Array(line)))
                case .error(let error): events.append(.error(error.kind, offset: error.offset))
                }
            }
            start = end
        }
        return events
    }

    /// Several lines, valid or near misses of any command (so also bare LF,
    /// bare CR, NUL and lines over 512 octets), and a way to cut them.
    struct Input: PropertyInput {
        var lines: [GrammarText]
        var chunks: [Int]
        var bytes: [UInt8] { lines.flatMap(\.bytes) }
        var reportText: String { "\"\(escaped(bytes))\" (\(bytes.count) bytes) in chunks of \(chunks)" }
        func rulePath(at offset: Int?, through rule: String?) -> String? { nil }
    }

    func testChunkingDoesNotMatter() throws {
        let profile = try Profile.base.get()
        let valid = try profile.anyCommand()
        let misses = Gen.oneOf(try commandRules.map { try profile.nearMisses($0.rule) }).map { GrammarText(bytes: $0.bytes) }
        let line = Gen.weighted([(3, valid), (1, misses)])
        let chunks = Gen.oneOf(Gen.int(in: 1...24).array(count: 0...12), Gen.constant(Array(repeating: 1, count: 4096)))
        let input = line.array(count: 1...4).and(chunks).map { Input(lines: $0.0, chunks: $0.1) }
        forAll("a LineFramer gives the same events whatever the chunking", input, iterations: 200) { input in
            let whole = Self.frame(input.bytes, chunks: [])
            let chunked = Self.frame(input.bytes, chunks: input.chunks)
            guard whole == chunked else {
                return .fail("whole: \(whole); in chunks: \(chunked)")
            }
            return .pass
        }
    }

    func testValidLinesComeOutWhole() throws {
        let profile = try Profile.base.get()
        let input = try profile.anyCommand().array(count: 1...5).and(Gen.int(in: 1...32).array(count: 0...16))
            .map { Input(lines: $0.0, chunks: $0.1) }
        forAll("valid lines come out of a LineFramer as they went in (or as 'line too long')", input, iterations: 200) { input in
            let expected = input.lines.map { line -> Event in
                line.bytes.count > 512 ? .error(.lineTooLong, offset: 512) : .line(line.bytes)
            }
            let events = Self.frame(input.bytes, chunks: input.chunks)
            return .require(events == expected, "expected \(expected), framer gave \(events)")
        }
    }

    func testProperPrefixesAreIncomplete() throws {
        for profile in try Profile.all() {
            let parser = profile.parser
            forAll(
                "every proper prefix of a valid \(profile.name) line is incomplete", try profile.anyShortCommand(), iterations: 60
            ) { text in
                let line = text.bytes
                // Lines from Grammar/known-parameters.abnf may be invalid; prefixes of those prove nothing.
                switch profile.model.expected(rule: text.trees[0].rule, text: text) {
                case .command, .error: break  // in the grammar (an .error is a prose limit)
                default: return .pass(as: "not in the grammar (test overlay)")
                }
                for length in 0..<line.count {
                    if case .failure(let error) = parser.result(Array(line[..<length])), error.kind == .incomplete { continue }
                    let what: String
                    switch parser.result(Array(line[..<length])) {
                    case .success(let command): what = "was accepted as \(command)"
                    case .failure(let error): what = "got \(show(error))"
                    }
                    return .fail("the prefix of \(length) bytes \"\(escaped(line[..<length]))\" \(what)", at: max(length - 1, 0))
                }
                return .pass
            }
        }
    }
}
