import XCTest

@testable import ABNF

final class RandomStringTests: XCTestCase {
    /// Small grammars, each with the entry rules to generate from.
    static let grammars: [(name: String, text: String, rules: [String])] = [
        (
            "smtp",
            InterpreterTests.smtp + """
                ehlo = "EHLO" SP ( Domain / address-literal ) CRLF ;@entry

                """, ["Domain", "Ldh-str", "address-literal", "mail-ci", "mail-cs", "ehlo"]
        ),
        (
            "clientid",
            """
            clientid = 1*16(ALPHA / DIGIT / "-") ;@entry

            """, ["clientid"]
        ),
        (
            "expr",
            """
            expr = term *(("+" / "-") term) ;@entry
            term = "(" expr ")" / 1*3DIGIT / <name>
            name = ALPHA *(ALPHA / DIGIT)

            """, ["expr"]
        ),
        (
            "nullable",
            """
            r = *(*"a" ["b"]) 2*3("x" / "") LWSP %s"Z" ;@entry
            s = 3"ab" *2(%x80-FF) OCTET 2HEXDIG ;@entry
            t = "" / 0*0"q" / *1(*1"w") ;@entry

            """, ["r", "s", "t"]
        ),
    ]

    func testGeneratedStringsAreAccepted() throws {
        var total = 0
        for (name, text, rules) in Self.grammars {
            let (grammar, _) = try Grammar.loadChecked([GrammarSource(name: name, text: text)])
            let interpreter = Interpreter(grammar)
            let generator = StringGenerator(interpreter)
            for rule in rules {
                for seed in 0..<UInt64(40) {
                    guard let string = generator.generate(rule, seed: seed) else {
                        XCTFail("\(name).\(rule) seed \(seed): nothing generated")
                        continue
                    }
                    total += 1
                    let context = "\(name).\(rule) seed \(seed): \(show(string.bytes))"
                    XCTAssertTrue(interpreter.matches(rule, string.bytes), "\(context) is rejected")
                    // The derivation covers the whole string and every node matches its rule.
                    XCTAssertEqual(string.tree.range, 0..<string.bytes.count, context)
                    XCTAssertEqual(string.tree.rule, grammar[rule]?.name, context)
                    InterpreterTests.checkTree(string.tree, string.bytes, interpreter, context)
                    for choice in string.choices {
                        XCTAssertTrue(
                            choice.upperBound >= 1 && (0..<choice.upperBound).contains(choice.value), "\(context): \(choice)")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(total, 400)
    }

    func testDepthLimitAndUnboundedExtra() throws {
        let (grammar, _) = try Grammar.loadChecked([GrammarSource(name: "expr", text: Self.grammars[2].text)])
        let interpreter = Interpreter(grammar)
        for (extra, depth) in [(0, 1), (0, 24), (10, 2), (2, 0)] {
            let generator = StringGenerator(grammar, unboundedExtra: extra, maxDepth: depth)
            XCTAssertEqual(generator.unboundedExtra, extra)
            XCTAssertEqual(generator.maxDepth, depth)
            for seed in 0..<UInt64(30) {
                let string = try XCTUnwrap(generator.generate("expr", seed: seed))
                XCTAssertTrue(
                    interpreter.matches("expr", string.bytes), "extra \(extra) depth \(depth) seed \(seed): \(show(string.bytes))"
                )
                let nesting = string.tree.allNodes.filter { $0.rule == "expr" }.count
                if depth <= 1 { XCTAssertEqual(nesting, 1, "depth \(depth) seed \(seed): \(show(string.bytes))") }
                if extra == 0 {
                    // `*` repeats exactly its minimum when no extra repetitions are allowed.
                    XCTAssertFalse(
                        string.bytes.contains(UInt8(ascii: "+")) || string.bytes.contains(UInt8(ascii: "-")),
                        show(string.bytes))
                }
            }
        }
    }

    func testReplayReproducesTheString() throws {
        for (name, text, rules) in Self.grammars {
            let generator = StringGenerator(try load(text, file: name))
            for rule in rules {
                for seed in 100..<UInt64(120) {
                    let string = try XCTUnwrap(generator.generate(rule, seed: seed))
                    let replayed = try XCTUnwrap(generator.replay(rule, choices: string.choices.map(\.value)))
                    XCTAssertEqual(replayed.bytes, string.bytes, "\(name).\(rule) seed \(seed)")
                    XCTAssertEqual(replayed.tree, string.tree, "\(name).\(rule) seed \(seed)")
                    XCTAssertEqual(replayed.choices, string.choices, "\(name).\(rule) seed \(seed)")
                }
            }
        }
    }

    func testReplayOfNoChoicesGivesTheSmallestString() throws {
        let generator = StringGenerator(try load(InterpreterTests.smtp))
        XCTAssertEqual(generator.replay("Domain", choices: [])?.text, "A")
        XCTAssertEqual(generator.replay("address-literal", choices: [])?.text, "[0.0.0.0]")
        XCTAssertEqual(generator.replay("mail-ci", choices: [])?.text, "MAIL FROM:")
        // Out-of-range values are clamped.
        XCTAssertEqual(generator.replay("Snum", choices: [99, 99, 99, 99])?.text, "999")
    }

    func testSameSeedSameStrings() throws {
        let grammar = try load(Self.grammars[0].text)
        let a = StringGenerator(grammar)
        let b = StringGenerator(Interpreter(grammar))
        var distinct = Set<[UInt8]>()
        for seed in 0..<UInt64(30) {
            let x = try XCTUnwrap(a.generate("ehlo", seed: seed))
            let y = try XCTUnwrap(b.generate("ehlo", seed: seed))
            XCTAssertEqual(x.bytes, y.bytes, "seed \(seed)")
            XCTAssertEqual(x.choices, y.choices, "seed \(seed)")
            distinct.insert(x.bytes)
            // A source passed inout moves on: a second string from it differs from the first.
            var source = RandomChoices(seed: seed)
            let first = try XCTUnwrap(a.generate("ehlo", using: &source))
            XCTAssertEqual(first.bytes, x.bytes)
            XCTAssertNotEqual(source.rng.state, RandomChoices(seed: seed).rng.state)
        }
        XCTAssertGreaterThan(distinct.count, 25, "different seeds give different strings")
        // Covering is deterministic too.
        XCTAssertEqual(a.covering("Domain", seed: 7).map(\.bytes), a.covering("Domain", seed: 7).map(\.bytes))
    }

    func testUnknownOrEmptyRulesGenerateNothing() throws {
        let generator = StringGenerator(try load("a = \"x\" a\nb = undefined\nc = *a \"y\"\nd = *3a \"z\"\n"))
        XCTAssertNil(generator.generate("nope", seed: 1))
        XCTAssertNil(generator.generate("a", seed: 1), "a = \"x\" a has no finite string")
        XCTAssertNil(generator.generate("b", seed: 1))
        var rng = SplitMix64(seed: 1)
        XCTAssertNil(generator.nearMiss("a", rng: &rng))
    }

    /// A repetition of a rule with no finite string produces no iterations
    /// (it used to recurse until the stack overflowed).
    func testRepetitionOfAnUnproductiveRule() throws {
        let text = "c = *a \"y\" ;@entry\nd = *3a \"z\" ;@entry\na = \"x\" a\ne = *(undefined / <unbound>) \"w\"\n"
        let grammar = try load(text)
        let interpreter = Interpreter(grammar)
        let generator = StringGenerator(interpreter)
        for seed in 0..<UInt64(50) {
            XCTAssertEqual(generator.generate("c", seed: seed)?.text.lowercased(), "y")
            XCTAssertEqual(generator.generate("d", seed: seed)?.text.lowercased(), "z")
            XCTAssertEqual(generator.generate("e", seed: seed)?.text.lowercased(), "w")
            var rng = SplitMix64(seed: seed)
            _ = generator.nearMiss("d", rng: &rng)
        }
        for string in generator.covering("e", seed: 3) {
            XCTAssertTrue(interpreter.matches("e", string.bytes), show(string.bytes))
        }
    }

    // MARK: covering

    func testCoveringUsesEveryAlternativeAndBothBounds() throws {
        let grammar = try load(
            """
            alts = "1" / "2" / "3" / "4"
            reps = 1*4"-"
            star = *"-"
            mix = 1*4("0" / "1") "|" *("x" / "y" / "z")
            word = "ab"
            exact = %s"ab"

            """)
        let interpreter = Interpreter(grammar)
        let generator = StringGenerator(interpreter)
        func texts(_ rule: String, _ generator: StringGenerator = generator, line: UInt = #line) -> [String] {
            let strings = generator.covering(rule, seed: 42)
            for s in strings {
                XCTAssertTrue(interpreter.matches(rule, s.bytes), "\(rule): \(show(s.bytes))", line: line)
            }
            XCTAssertEqual(Set(strings.map(\.bytes)).count, strings.count, "covering strings are distinct", line: line)
            return strings.map(\.text)
        }
        XCTAssertEqual(Set(texts("alts")), ["1", "2", "3", "4"])
        let repLengths = Set(texts("reps").map(\.count))
        XCTAssertTrue(repLengths.isSuperset(of: [1, 4]), "\(repLengths)")
        XCTAssertTrue(repLengths.isSubset(of: [1, 2, 3, 4]), "\(repLengths)")
        XCTAssertEqual(Set(texts("star").map(\.count)).intersection([0, 4]), [0, 4])
        XCTAssertEqual(Set(texts("star").map(\.count)).max(), 4, "unboundedExtra is 4 by default")
        let wide = StringGenerator(grammar, unboundedExtra: 7)
        XCTAssertEqual(Set(texts("star", wide).map(\.count)).intersection([0, 7]), [0, 7])

        let mixed = texts("mix").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        let heads = mixed.map { String($0[0]) }
        let tails = mixed.map { String($0[1]).lowercased() }
        XCTAssertTrue(Set(heads.map(\.count)).isSuperset(of: [1, 4]), "\(heads)")
        XCTAssertEqual(Set(heads.joined()), ["0", "1"])
        XCTAssertTrue(Set(tails.map(\.count)).isSuperset(of: [0, 4]), "\(tails)")
        XCTAssertEqual(Set(tails.joined()), ["x", "y", "z"])

        // Case-insensitive strings come as written, upper, lower and alternating case.
        XCTAssertEqual(Set(texts("word")), ["ab", "AB", "aB"])
        XCTAssertEqual(texts("exact"), ["ab"])
    }

    func testCoveringOfRFC5321Rules() throws {
        let interpreter = Interpreter(try load(InterpreterTests.smtp))
        let generator = StringGenerator(interpreter)
        let domains = generator.covering("Domain", seed: 1)
        XCTAssertGreaterThan(domains.count, 10)
        for d in domains { XCTAssertTrue(interpreter.matches("Domain", d.bytes), show(d.bytes)) }
        let all = domains.map(\.bytes).joined()
        XCTAssertTrue(all.contains { isAlpha($0) }, "Let-dig's ALPHA")
        XCTAssertTrue(all.contains { isDigit($0) }, "Let-dig's DIGIT")
        XCTAssertTrue(all.contains(UInt8(ascii: "-")), "Ldh-str's hyphen")
        XCTAssertTrue(all.contains(UInt8(ascii: ".")), "more than one sub-domain")
        // Both bounds of each byte range are used: A, Z, a, z, 0 and 9 all appear.
        for c in "AZaz09".utf8 { XCTAssertTrue(all.contains(c), "\(UnicodeScalar(c))") }

        let snums = Set(generator.covering("Snum", seed: 5).map(\.bytes.count))
        XCTAssertTrue(snums.isSuperset(of: [1, 3]), "\(snums)")
        XCTAssertLessThanOrEqual(generator.covering("Domain", seed: 1, limit: 5).count, 5)
    }

    func testClientIdCoveringBounds() throws {
        let interpreter = Interpreter(try load(Self.grammars[1].text))
        let lengths = Set(StringGenerator(interpreter).covering("clientid", seed: 9).map(\.bytes.count))
        XCTAssertTrue(lengths.isSuperset(of: [1, 16]), "\(lengths.sorted())")
        XCTAssertTrue(lengths.allSatisfy { (1...16).contains($0) }, "\(lengths.sorted())")
    }

    // MARK: near misses

    enum Kind: String, CaseIterable {
        case deleted = "deleted byte"
        case inserted = "inserted"
        case replaced = "replaced byte"
        case doubled = "doubled byte"
        case crlf = "CRLF at"
        case exceeded = "exceeded repeat"
        case undercut = "undercut repeat"
        case appended = "appended"
    }

    /// Checks that `miss.bytes` is `miss.original.bytes` changed as `miss.mutation` says.
    func checkDescribedMutation(_ miss: NearMiss, _ interpreter: Interpreter, _ rule: String, _ context: String) -> Kind? {
        let original = miss.original.bytes
        let words = miss.mutation.split(separator: " ").map(String.init)
        func number(_ word: String) -> Int? { Int(word) }
        func byte(_ word: String) -> UInt8? { word.hasPrefix("0x") ? UInt8(word.dropFirst(2), radix: 16) : nil }
        var expected = original
        guard let kind = Kind.allCases.first(where: { miss.mutation.hasPrefix($0.rawValue) }) else {
            XCTFail("\(context): unknown mutation \"\(miss.mutation)\"")
            return nil
        }
        switch kind {
        case .deleted:
            guard words.count == 3, let i = number(words[2]), original.indices.contains(i) else { break }
            expected.remove(at: i)
        case .inserted:
            guard words.count == 4, let b = byte(words[1]), words[2] == "at", let i = number(words[3]), i <= original.count else {
                break
            }
            expected.insert(b, at: i)
        case .replaced:
            guard words.count == 5, let i = number(words[2]), words[3] == "with", let b = byte(words[4]),
                original.indices.contains(i)
            else { break }
            expected[i] = b
        case .doubled:
            guard words.count == 3, let i = number(words[2]), original.indices.contains(i) else { break }
            expected.insert(original[i], at: i)
        case .crlf:
            guard words.count == 6, let i = number(words[2]), i + 1 < original.count else { break }
            XCTAssertEqual([original[i], original[i + 1]], [0x0D, 0x0A], context)
            expected.remove(at: i)
        case .appended:
            guard words.count == 2, let b = byte(words[1]) else { break }
            expected.append(b)
        case .exceeded, .undercut:
            // "exceeded repeat 1*16 by one": a different string; checked by the caller.
            XCTAssertEqual(words.count, 5, context)
            XCTAssertNotEqual(miss.bytes, original, context)
            return kind
        }
        XCTAssertEqual(miss.bytes, expected, "\(context): \"\(miss.mutation)\" of \(show(original)) gave \(show(miss.bytes))")
        if kind != .replaced || expected != original {
            XCTAssertNotEqual(miss.bytes, original, context)
        }
        return kind
    }

    func testNearMissesProduceEveryMutationKind() throws {
        let text = """
            cmd = "EHLO" SP 1*16(ALPHA / DIGIT / "-") *2(SP 1*3DIGIT) CRLF ;@entry
            plain = "ab" ;@entry

            """
        let interpreter = Interpreter(try load(text))
        let generator = StringGenerator(interpreter)
        var seen: [Kind: Int] = [:]
        for (rule, seeds) in [("cmd", 0..<UInt64(300)), ("plain", 0..<UInt64(60))] {
            for seed in seeds {
                var rng = SplitMix64(seed: seed)
                let context = "\(rule) seed \(seed)"
                guard let miss = generator.nearMiss(rule, rng: &rng) else {
                    XCTFail("\(context): no near miss")
                    continue
                }
                XCTAssertTrue(interpreter.matches(rule, miss.original.bytes), "\(context): original \(show(miss.original.bytes))")
                guard let kind = checkDescribedMutation(miss, interpreter, rule, context) else { continue }
                seen[kind, default: 0] += 1
                if rule == "cmd" && (kind == .exceeded || kind == .undercut) {
                    // Every repeat in "cmd" is bounded by what follows it, so one more or one
                    // fewer repetition always leaves the language.
                    XCTAssertFalse(interpreter.matches(rule, miss.bytes), "\(context): \(miss.mutation) gave \(show(miss.bytes))")
                }
                // Same seed, same near miss.
                var again = SplitMix64(seed: seed)
                let repeated = generator.nearMiss(rule, rng: &again)
                XCTAssertEqual(repeated?.bytes, miss.bytes, context)
                XCTAssertEqual(repeated?.mutation, miss.mutation, context)
                XCTAssertEqual(again.state, rng.state, context)
            }
        }
        for kind in Kind.allCases {
            XCTAssertGreaterThan(seen[kind, default: 0], 0, "no \"\(kind.rawValue)\" near miss in \(seen)")
        }
    }

    func testExceededRepeatOfClientIdIsRejected() throws {
        let interpreter = Interpreter(try load(Self.grammars[1].text))
        let generator = StringGenerator(interpreter)
        var exceeded = 0
        var undercut = 0
        for seed in 0..<UInt64(400) {
            var rng = SplitMix64(seed: seed)
            let miss = try XCTUnwrap(generator.nearMiss("clientid", rng: &rng))
            if miss.mutation == "exceeded repeat 1*16 by one" {
                exceeded += 1
                XCTAssertEqual(miss.bytes.count, 17, "seed \(seed): \(show(miss.bytes))")
                XCTAssertFalse(interpreter.matches("clientid", miss.bytes), "seed \(seed): \(show(miss.bytes))")
                // The first bytes are kept: only one more repetition was added.
                XCTAssertEqual(Array(miss.bytes.prefix(miss.original.bytes.count)), miss.original.bytes, "seed \(seed)")
            } else if miss.mutation == "undercut repeat 1*16 by one" {
                undercut += 1
                XCTAssertEqual(miss.bytes, [], "seed \(seed)")
                XCTAssertFalse(interpreter.matches("clientid", miss.bytes))
            }
        }
        XCTAssertGreaterThan(exceeded, 10)
        XCTAssertGreaterThan(undercut, 10)
    }

    // MARK: choice sources

    func testRandomChoicesFavourTheBoundsOfCounts() {
        var source = RandomChoices(seed: 3)
        var counts = [Int](repeating: 0, count: 10)
        var alternatives = [Int](repeating: 0, count: 10)
        for _ in 0..<4000 {
            counts[source.choose(.count, node: 0, upperBound: 10)] += 1
            alternatives[source.choose(.alternative, node: 0, upperBound: 10)] += 1
        }
        // About 1/4 + 1/40 of counts at each bound, 1/10 of alternatives everywhere.
        XCTAssertGreaterThan(counts[0], 1000, "\(counts)")
        XCTAssertGreaterThan(counts[9], 1000, "\(counts)")
        XCTAssertLessThan(counts[5], 300, "\(counts)")
        XCTAssertTrue(alternatives.allSatisfy { (300...500).contains($0) }, "\(alternatives)")
        // A single possible value costs no randomness.
        let before = source.rng.state
        XCTAssertEqual(source.choose(.byte, node: 0, upperBound: 1), 0)
        XCTAssertEqual(source.rng.state, before)
    }

    func testCoveringChoicesPreferTheLeastUsedValue() {
        var source = CoveringChoices(seed: 11)
        XCTAssertEqual(source.decisionPoints, 0)
        let firstThree = (0..<3).map { _ in source.choose(.alternative, node: 5, upperBound: 3) }
        XCTAssertEqual(firstThree.sorted(), [0, 1, 2])
        let nextThree = (0..<3).map { _ in source.choose(.alternative, node: 5, upperBound: 3) }
        XCTAssertEqual(nextThree.sorted(), [0, 1, 2])
        // Counts and bytes: the bounds compete only with one random middle value per
        // decision, so both bounds come up before the 15 middle values run out.
        let values = (0..<17).map { _ in source.choose(.count, node: 6, upperBound: 17) }
        XCTAssertTrue(values.contains(0) && values.contains(16), "\(values)")
        XCTAssertTrue(values.allSatisfy { (0..<17).contains($0) }, "\(values)")
        let two = (0..<2).map { _ in source.choose(.byte, node: 8, upperBound: 2) }
        XCTAssertEqual(two.sorted(), [0, 1])
        XCTAssertEqual(source.decisionPoints, 3)
        XCTAssertEqual(source.choose(.letterCase, node: 7, upperBound: 1), 0)
        XCTAssertEqual(source.decisionPoints, 3, "a single-valued decision is not tracked")
    }

    func testReplayedChoices() {
        var source = ReplayedChoices([3, -2, 9, 1], overrides: [2: 42])
        XCTAssertEqual(source.choose(.count, node: 0, upperBound: 10), 3)
        XCTAssertEqual(source.choose(.count, node: 0, upperBound: 10), 0, "negative values clamp to 0")
        XCTAssertEqual(source.choose(.count, node: 0, upperBound: 10), 42, "overrides are used as given")
        XCTAssertEqual(source.choose(.alternative, node: 0, upperBound: 1), 0, "clamped to upperBound - 1")
        XCTAssertEqual(source.choose(.byte, node: 0, upperBound: 10), 0, "missing choices are 0")
    }
}
