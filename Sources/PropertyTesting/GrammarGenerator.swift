// Generators read from a grammar: valid strings of a rule, and near misses.
// Both draw every decision through the case's `Draw`, so a failing input
// shrinks through its derivation (fewer repetitions, simpler alternatives,
// lower bytes) and is rebuilt by ABNF's `StringGenerator`, not edited as bytes.

import ABNF

public struct GrammarGenerator: Sendable {
    public let generator: StringGenerator
    /// After this many decisions in one string, every repetition takes its
    /// minimum: with a large `unboundedExtra`, nested repeats would otherwise
    /// multiply into megabytes (a source route of 64 domains of 64 labels).
    public let choiceBudget: Int?
    /// The shortest string each node can produce (Int.max: none).
    let minimumLength: [Int]
    /// For alternations whose simplest alternatives are not the first ones: the
    /// alternatives' values, shortest possible string first.
    let alternativeOrder: [Int: [Int]]

    /// Not a rule of the grammar, or a rule that matches nothing.
    public struct UnknownRule: Error, CustomStringConvertible {
        public let rule: String
        public var description: String { "the grammar has no productive rule \"\(rule)\"" }
    }

    /// `unboundedExtra`: how far past its minimum an unbounded repetition may go;
    /// larger values reach the RFCs' prose length limits (local part 64 octets, ...).
    public init(_ grammar: Grammar, unboundedExtra: Int = 4, maxDepth: Int = 24, choiceBudget: Int? = nil) {
        self.init(StringGenerator(grammar, unboundedExtra: unboundedExtra, maxDepth: maxDepth), choiceBudget: choiceBudget)
    }

    public init(_ generator: StringGenerator, choiceBudget: Int? = nil) {
        self.generator = generator
        self.choiceBudget = choiceBudget
        let compiled = generator.compiled
        let lengths = Self.minimumLengths(compiled)
        let decisions = Self.minimumDecisions(compiled, lengths)
        minimumLength = lengths
        var order: [Int: [Int]] = [:]
        for (node, element) in compiled.nodes.enumerated() {
            guard case .alternation(let items) = element else { continue }
            // The generator numbers only the alternatives that can produce a string.
            // Simplest: the shortest string, then the fewest decisions ("!" before
            // ALPHA's range), then the order written.
            let viable = items.filter { lengths[$0] < Int.max }
            let ranked = viable.indices.sorted {
                (lengths[viable[$0]], decisions[viable[$0]], $0) < (lengths[viable[$1]], decisions[viable[$1]], $1)
            }
            if ranked != Array(viable.indices) { order[node] = ranked }
        }
        alternativeOrder = order
    }

    public var grammar: Grammar { generator.compiled.grammar }

    func check(_ rule: String) throws(UnknownRule) {
        let compiled = generator.compiled
        guard let index = compiled.ruleIndex(rule), minimumLength[compiled.roots[index]] < Int.max else {
            throw UnknownRule(rule: rule)
        }
    }

    /// Valid strings of `rule`, with their derivations.
    public func string(_ rule: String) throws(UnknownRule) -> Gen<GrammarText> {
        try check(rule)
        let this = self
        return Gen { draw in this.generate(rule, &draw).text }
    }

    func generate(_ rule: String, _ draw: inout Draw) -> (text: GrammarText, values: [Int], choices: [Choice]) {
        let saved = draw.alternativeOrder
        draw.alternativeOrder = alternativeOrder
        defer { draw.alternativeOrder = saved }
        let start = draw.choices.count
        // Checked in `string`/`nearMiss`: the rule exists and can produce a string.
        let string: GeneratedString
        if let choiceBudget {
            var budgeted = BudgetedDraw(draw: draw, limit: start + choiceBudget)
            string = generator.generate(rule, using: &budgeted)!
            draw = budgeted.draw
        } else {
            string = generator.generate(rule, using: &draw)!
        }
        let choices = Array(draw.choices[start...])
        return (GrammarText(bytes: string.bytes, trees: [string.tree]), choices.map(\.value), choices)
    }

    /// Bytes every SMTP near miss should try (framing, NUL, quotes, brackets, UTF-8 lead bytes);
    /// the same list as ABNF's `StringGenerator.nearMiss`.
    public static let interestingBytes: [UInt8] = [
        0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x2D, 0x2E, 0x3A, 0x3C, 0x3D, 0x3E, 0x40, 0x41, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3,
        0xFF,
    ]

    /// A valid string of `rule` with one small mutation: a byte deleted, replaced
    /// or inserted, a space doubled, the CRLF cut to LF, a byte doubled, or one
    /// repetition bound exceeded or undercut by one (replayed through the grammar).
    /// The result may still be valid: compare with the reference interpreter.
    public func nearMiss(_ rule: String) throws(UnknownRule) -> Gen<GrammarNearMiss> {
        try check(rule)
        let this = self
        return Gen { draw in this.nearMiss(rule, &draw) }
    }

    func nearMiss(_ rule: String, _ draw: inout Draw) -> GrammarNearMiss {
        let (original, values, choices) = generate(rule, &draw)
        var bytes = original.bytes
        func position(_ count: Int) -> Int { draw.choose(.count, upperBound: max(count, 1)) }
        func someByte() -> UInt8 {
            if draw.choose(.alternative, upperBound: 2) == 0 {
                return Self.interestingBytes[draw.choose(.alternative, upperBound: Self.interestingBytes.count)]
            }
            return UInt8(draw.choose(.byte, upperBound: 256))
        }
        func miss(_ what: String, at offset: Int?) -> GrammarNearMiss {
            GrammarNearMiss(bytes: bytes, mutation: what, offset: offset, original: original)
        }
        // Simplest first: shrinking moves towards a deleted byte.
        switch draw.choose(.alternative, upperBound: 8) {
        case 0 where !bytes.isEmpty:
            let i = position(bytes.count)
            bytes.remove(at: i)
            return miss("deleted byte \(i)", at: i)
        case 1 where !bytes.isEmpty:
            let i = position(bytes.count)
            let b = someByte()
            bytes[i] = b
            return miss("replaced byte \(i) with 0x\(hex(b))", at: i)
        case 2:
            let i = position(bytes.count + 1)
            let b = someByte()
            bytes.insert(b, at: i)
            return miss("inserted 0x\(hex(b)) at \(i)", at: i)
        case 3:
            let spaces = bytes.indices.filter { bytes[$0] == 0x20 }
            if !spaces.isEmpty {
                let i = spaces[position(spaces.count)]
                bytes.insert(0x20, at: i)
                return miss("doubled the SP at \(i)", at: i)
            }
        case 4:
            if let crlf = (0..<max(bytes.count - 1, 0)).last(where: { bytes[$0] == 0x0D && bytes[$0 + 1] == 0x0A }) {
                bytes.remove(at: crlf)
                return miss("CRLF at \(crlf) cut to LF", at: crlf)
            }
        case 5, 6:
            // RFC 5234 §3.6 bounds: exceed a maximum (case 5) or undercut a minimum (case 6) by one.
            let exceed = draw.choose(.alternative, upperBound: 8) < 5
            let candidates = choices.indices.filter { i in
                guard choices[i].kind == .count, case .repetition(let bounds, _) = generator.compiled.nodes[choices[i].node]
                else { return false }
                return exceed ? bounds.max != nil : bounds.min > 0
            }
            if !candidates.isEmpty {
                let i = candidates[position(candidates.count)]
                guard case .repetition(let bounds, _) = generator.compiled.nodes[choices[i].node] else { break }
                let forced = exceed ? bounds.max! + 1 - bounds.min : -1
                if let mutated = generator.replay(rule, choices: values, overrides: [i: forced]) {
                    bytes = mutated.bytes
                    let common = min(original.bytes.count, bytes.count)
                    let at = (0..<common).first { original.bytes[$0] != bytes[$0] } ?? common
                    return miss("\(exceed ? "exceeded" : "undercut") repeat \(bounds) by one", at: at)
                }
            }
        case 7 where !bytes.isEmpty:
            let i = position(bytes.count)
            bytes.insert(bytes[i], at: i)
            return miss("doubled byte \(i)", at: i)
        default:
            break
        }
        // The chosen mutation did not apply (no SP, no CRLF, no bounded repeat): append a byte.
        let b = someByte()
        bytes.append(b)
        return miss("appended 0x\(hex(b))", at: bytes.count - 1)
    }

    /// The fewest decisions a shortest string of each node needs (approximately:
    /// the minimum over alternatives of the same length is not tracked separately).
    static func minimumDecisions(_ compiled: CompiledGrammar, _ lengths: [Int]) -> [Int] {
        var counts = [Int](repeating: Int.max / 4, count: compiled.nodes.count)
        var changed = true
        var rounds = 0
        while changed && rounds < 64 {
            changed = false
            rounds += 1
            for (i, node) in compiled.nodes.enumerated() {
                let value: Int
                switch node {
                case .never: value = Int.max / 4
                case .range: value = 1
                case .literal(let bytes, let sensitive):
                    value = !sensitive && bytes.contains { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A } ? 1 : 0
                case .alternation(let items):
                    let viable = items.filter { lengths[$0] < Int.max }
                    let shortest = viable.map { lengths[$0] }.min() ?? Int.max
                    value = 1 + (viable.filter { lengths[$0] == shortest }.map { counts[$0] }.min() ?? Int.max / 4)
                case .concatenation(let items): value = min(items.reduce(0) { $0 + counts[$1] }, Int.max / 4)
                case .repetition(let bounds, let inner): value = min(1 + bounds.min * counts[inner], Int.max / 4)
                case .reference(let rule): value = counts[compiled.roots[rule]]
                }
                if value < counts[i] {
                    counts[i] = value
                    changed = true
                }
            }
        }
        return counts
    }

    /// The shortest string each node can produce (Int.max: none).
    static func minimumLengths(_ compiled: CompiledGrammar) -> [Int] { StringGenerator.minimumLengths(compiled) }
}

/// Forwards to a `Draw`, answering every repetition count with its minimum
/// once `limit` decisions are recorded (the same when replayed).
struct BudgetedDraw: ChoiceSource {
    var draw: Draw
    let limit: Int

    mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int {
        draw.choose(kind, node: node, upperBound: kind == .count && draw.choices.count >= limit ? 1 : upperBound)
    }
}

/// A grammar string with one mutation.
public struct GrammarNearMiss: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]
    public var mutation: String
    /// Where the mutation is, in `original`'s offsets.
    public var offset: Int?
    public var original: GrammarText

    public var description: String { "\"\(escaped(bytes))\" (\(mutation) of \(original))" }
}
