import ABNF
import SMTPCommandParser
import XCTest

/// `Automaton.match` runs on a layout built for speed (premultiplied rows,
/// runs of a self-loop or of a counted chain of states skipped with
/// membership tables). These tests hold it to a plain walk over the
/// generated tables as written (`next`, `byteClass`, `accept`, `tagMasks`),
/// byte by byte: same outcome, same offset and state where it stops, same
/// captures. Inputs are the grammar's own strings, near misses, and the same
/// strings with one byte repeated to lengths around the bounds of counted
/// repetitions (`1*128VCHAR`, `1*20DIGIT`, base64's groups of four), where a
/// skipped run has to stop exactly.
final class AutomatonLayoutTests: XCTestCase {
    func testFastLayoutAgreesWithThePlainTablesOnEveryProfile() throws {
        let profiles: [(String, [Automaton])] = [
            ("base", SMTPGrammar.all), ("smtputf8", SMTPGrammarUTF8.all),
            ("lenient", SMTPGrammarLenient.all), ("lenient-smtputf8", SMTPGrammarLenientUTF8.all),
        ]
        var rng = SplitMix64(seed: testSeed(0xA17A_0001))
        var checked = 0
        for (profile, automata) in profiles {
            let generator = StringGenerator(try profileGrammar(profile))
            for automaton in automata {
                var inputs = generator.covering(automaton.rule, seed: rng.next(), limit: 12).map(\.bytes)
                for _ in 0..<12 {
                    if let miss = generator.nearMiss(automaton.rule, rng: &rng) { inputs.append(miss.bytes) }
                }
                for input in inputs where !input.isEmpty {
                    check(automaton, input, profile)
                    for _ in 0..<3 {
                        check(automaton, stretched(input, &rng), profile)
                        checked += 1
                    }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 5_000, "too few inputs were generated to mean anything")
    }

    /// A counted run that ends exactly at the end of the input, one byte
    /// short of it, and one byte past it.
    func testCountedRunsStopAtTheirBound() {
        let clientID = SMTPGrammar.clientid
        for n in [1, 3, 4, 5, 127, 128, 129, 200] {
            let line = bytes("CLIENTID LICENSE ") + [UInt8](repeating: UInt8(ascii: "x"), count: n) + bytes("\r\n")
            check(clientID, line, "base")
            check(clientID, Array(line.dropLast(2)), "base")
            var tags = CaptureTags()
            let outcome = line.withUnsafeBytes { clientID.match($0, captures: &tags) }
            if n <= 128 {
                XCTAssertEqual(outcome, .accepted, "token of \(n)")
                XCTAssertEqual(tags[field: clientID.fields.firstIndex(of: "token")!], 17..<(17 + n))
            } else {
                guard case .rejected(let offset, _) = outcome else { return XCTFail("token of \(n): \(outcome)") }
                XCTAssertEqual(offset, 17 + 128, "a token of \(n) is refused at its 129th byte")
            }
        }
        let mail = SMTPGrammar.mail
        for digits in [19, 20, 21] {
            check(mail, bytes("MAIL FROM:<a@b> SIZE=" + String(repeating: "9", count: digits) + "\r\n"), "base")
        }
        let auth = SMTPGrammar.auth
        for n in 0..<12 {
            let response = String(repeating: "QUJD", count: 3) + String(repeating: "A", count: n)
            check(auth, bytes("AUTH PLAIN " + response + "\r\n"), "base")
            check(auth, bytes("AUTH PLAIN " + response + "=\r\n"), "base")
        }
    }

    /// `input` with the byte at a random position repeated to a length near
    /// a bound of the grammar's counted repetitions.
    func stretched(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        let lengths = [2, 3, 4, 5, 8, 15, 16, 17, 19, 20, 21, 63, 64, 65, 127, 128, 129, 130, 255, 256, 511, 512, 513]
        let position = Int(rng.next() % UInt64(input.count))
        let length = lengths[Int(rng.next() % UInt64(lengths.count))]
        var out = input
        out.insert(contentsOf: repeatElement(input[position], count: length - 1), at: position)
        return out
    }

    func check(_ automaton: Automaton, _ input: [UInt8], _ profile: String, line: UInt = #line) {
        var tags = CaptureTags()
        let fast = input.withUnsafeBytes { automaton.match($0, captures: &tags) }
        let (plain, plainTags) = plainWalk(automaton, input)
        XCTAssertEqual(fast, plain, "\(profile) \(automaton.rule) on \(show(input))", line: line)
        guard fast == .accepted, plain == .accepted else { return }
        for field in automaton.fields.indices {
            let start = plainTags[2 * field]
            let end = plainTags[2 * field + 1]
            let expected = start >= 0 && end >= start ? start..<end : nil
            XCTAssertEqual(
                tags[field: field], expected, "\(profile) \(automaton.rule) field \(automaton.fields[field]) on \(show(input))",
                line: line)
        }
    }

    /// The generated tables read as documented on `Automaton`, one byte at a time.
    func plainWalk(_ a: Automaton, _ input: [UInt8]) -> (MatchOutcome, [Int]) {
        var tags = [Int](repeating: -1, count: 16)
        func apply(_ mask: UInt64, _ position: Int) {
            for t in 0..<16 where mask & (1 << UInt64(t)) != 0 { tags[t] = position }
        }
        var state = a.start
        for (i, b) in input.enumerated() {
            let t = state * a.classCount + Int(a.byteClass[Int(b)])
            let entry = a.next[t]
            let target = Int(entry & 0x7FFF)
            if target == 0 { return (.rejected(offset: i, state: state), tags) }
            if entry & 0x8000 != 0 { apply(a.tagMasks[Int(a.action[t])], i) }
            state = target
        }
        guard a.accept[state] != 0 else { return (.incomplete(state: state), tags) }
        apply(a.tagMasks[Int(a.accept[state]) - 1], input.count)
        return (.accepted, tags)
    }
}
