// Runs a property: generate cases from a seed, stop at the first failure,
// shrink it, and describe it so it can be replayed. XCTest-free; the XCTest
// entry point (`XCTestCase.forAll`) is in XCTestSupport.swift.
//
// Environment:
//   PROPERTY_SEED=0x...        run every property from this seed (replays a failure)
//   PROPERTY_ITERATIONS=N      cases per property, overriding each property's default
//   PROPERTY_SCALE=K           each property's default times K (scripts/properties.sh)
//   PROPERTY_MAX_SHRINKS=N     replays the shrinker may spend (default 5000)
//   PROPERTY_VERBOSE=1         print one line per property (cases, discards, labels, time)

import ABNF
import Foundation

/// The outcome of one case.
public struct Verdict: Sendable {
    enum Outcome: Sendable { case pass, fail, discard }

    let outcome: Outcome
    public let message: String
    /// The byte the failure is about, for the rule path.
    public let offset: Int?
    /// The grammar rule the failure names (a parser error's rule), for the rule path.
    public let rule: String?

    public static let pass = Verdict(outcome: .pass, message: "", offset: nil, rule: nil)

    /// A pass counted under `label` (shown with PROPERTY_VERBOSE), e.g. "501 local part too long".
    public static func pass(as label: String) -> Verdict { Verdict(outcome: .pass, message: label, offset: nil, rule: nil) }

    public static func fail(_ message: String, at offset: Int? = nil, rule: String? = nil) -> Verdict {
        Verdict(outcome: .fail, message: message, offset: offset, rule: rule)
    }

    /// The case does not apply. Discards are counted per reason, reported, and
    /// fail the property when they are more than `maxDiscardRatio` of the cases.
    public static func discard(_ reason: String) -> Verdict {
        Verdict(outcome: .discard, message: reason, offset: nil, rule: nil)
    }

    public var isFailure: Bool { outcome == .fail }

    /// `.pass` when `condition` holds.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String, at offset: Int? = nil) -> Verdict {
        condition ? .pass : .fail(message(), at: offset)
    }
}

/// What a report shows of an input, and how to shrink it further by value.
public protocol PropertyInput {
    /// The input on one line (escaped), e.g. `"MAIL FROM:<a@b>\r\n" (17 bytes)`.
    var reportText: String { get }
    /// The grammar rules that produced the byte at `offset` (see `GrammarText.rulePath`).
    func rulePath(at offset: Int?, through rule: String?) -> String?
    /// Smaller inputs to try after choice shrinking, smallest first (default none).
    func smallerValues() -> [Self]
}

extension PropertyInput {
    public func rulePath(at offset: Int?, through rule: String?) -> String? { nil }
    public func smallerValues() -> [Self] { [] }
}

extension GrammarText: PropertyInput {
    public var reportText: String { "\"\(escaped(bytes))\" (\(bytes.count) bytes)" }
    public func rulePath(at offset: Int?, through rule: String?) -> String? { rulePath(at: offset, through: rule) as String }
}

extension GrammarNearMiss: PropertyInput {
    public var reportText: String { "\"\(escaped(bytes))\" (\(bytes.count) bytes; \(mutation) of \(original))" }

    /// Where the mutation hit, in the derivation of the string it mutated.
    public func rulePath(at offset: Int?, through rule: String?) -> String? {
        original.rulePath(at: self.offset ?? offset, through: nil)
    }

    /// Byte-level shrinking: the same bytes with a run deleted.
    public func smallerValues() -> [GrammarNearMiss] {
        var out: [GrammarNearMiss] = []
        for size in [16, 8, 4, 2, 1] where size <= bytes.count {
            for start in stride(from: bytes.count - size, through: 0, by: -1) {
                var smaller = self
                smaller.bytes.removeSubrange(start..<(start + size))
                if !smaller.mutation.hasSuffix(", then byte-shrunk") { smaller.mutation += ", then byte-shrunk" }
                out.append(smaller)
            }
        }
        return out
    }
}

extension Array: PropertyInput where Element: PropertyInput {
    public var reportText: String {
        "[" + map(\.reportText).joined(separator: ", ") + "] (\(count) items)"
    }
}

/// How a property runs; `fromEnvironment` applies the PROPERTY_* variables.
public struct PropertySettings: Sendable {
    public var iterations: Int
    /// nil: a fresh random seed per property.
    public var seed: UInt64?
    public var maxShrinkReplays: Int
    public var shrinkTimeLimit: Duration
    /// A property whose discards exceed this share of its cases fails.
    public var maxDiscardRatio: Double
    public var verbose: Bool

    public init(
        iterations: Int, seed: UInt64? = nil, maxShrinkReplays: Int = 5000, shrinkTimeLimit: Duration = .seconds(20),
        maxDiscardRatio: Double = 0.5, verbose: Bool = false
    ) {
        self.iterations = iterations
        self.seed = seed
        self.maxShrinkReplays = maxShrinkReplays
        self.shrinkTimeLimit = shrinkTimeLimit
        self.maxDiscardRatio = maxDiscardRatio
        self.verbose = verbose
    }

    public static func fromEnvironment(defaultIterations: Int) -> PropertySettings {
        let env = ProcessInfo.processInfo.environment
        var settings = PropertySettings(iterations: defaultIterations)
        if let text = env["PROPERTY_SCALE"], let k = Double(text), k > 0 {
            settings.iterations = max(1, Int((Double(defaultIterations) * k).rounded()))
        }
        if let text = env["PROPERTY_ITERATIONS"], let n = Int(text), n > 0 { settings.iterations = n }
        if let text = env["PROPERTY_SEED"] { settings.seed = parseSeed(text) }
        if let text = env["PROPERTY_MAX_SHRINKS"], let n = Int(text), n >= 0 { settings.maxShrinkReplays = n }
        if let text = env["PROPERTY_VERBOSE"], !text.isEmpty, text != "0" { settings.verbose = true }
        return settings
    }

    /// Decimal or 0x-prefixed hexadecimal.
    public static func parseSeed(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t)
    }
}

public func seedText(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16, uppercase: true) }

/// A failure, shrunk, with what is needed to replay it.
public struct PropertyFailure<Value> {
    public var name: String
    public var seed: UInt64
    /// 0-based index of the failing case, and how many cases the run had.
    public var caseIndex: Int
    public var iterations: Int
    public var original: Value
    public var originalVerdict: Verdict
    /// After choice shrinking (still has its derivation).
    public var shrunk: Value
    public var shrunkVerdict: Verdict
    /// After value-level shrinking, when that changed anything.
    public var valueShrunk: (value: Value, verdict: Verdict)?
    public var shrinkReplays: Int
    public var shrinkSteps: Int
    public var originalChoices: Int
    public var shrunkChoices: Int
    /// The `swift test --filter` argument, when known.
    public var testFilter: String?

    public var replayCommand: String {
        "PROPERTY_SEED=\(seedText(seed)) PROPERTY_ITERATIONS=\(iterations) swift test --filter '\(testFilter ?? "<test>")'"
    }

    public var report: String {
        func show(_ v: Value) -> String { (v as? any PropertyInput)?.reportText ?? String(describing: v) }
        func path(_ v: Value, _ verdict: Verdict) -> String? {
            (v as? any PropertyInput)?.rulePath(at: verdict.offset, through: verdict.rule)
        }
        var lines = [
            "property \"\(name)\" failed at case \(caseIndex + 1) of \(iterations), seed \(seedText(seed))",
            "  original:  \(show(original))",
            "             \(originalVerdict.message)",
            "  shrunk:    \(show(shrunk))",
            "             \(shrunkVerdict.message)",
        ]
        if let path = path(shrunk, shrunkVerdict) { lines.append("  rule path: \(path)") }
        if let (value, verdict) = valueShrunk {
            lines.append("  bytes:     \(show(value))")
            lines.append("             \(verdict.message)")
        }
        lines.append(
            "  shrinking: \(originalChoices) -> \(shrunkChoices) choices, \(shrinkSteps) simpler failing inputs in \(shrinkReplays) replays"
        )
        lines.append("  replay:    \(replayCommand)")
        return lines.joined(separator: "\n")
    }
}

/// Counts of one property run.
public struct PropertyRun<Value> {
    public var name: String
    public var seed: UInt64
    public var cases = 0
    public var discards: [String: Int] = [:]
    public var labels: [String: Int] = [:]
    public var failure: PropertyFailure<Value>?
    /// Set when too many cases were discarded (the property did not test enough).
    public var tooManyDiscards: String?
    public var elapsed: Duration = .zero

    public var summary: String {
        let discarded = discards.values.reduce(0, +)
        var text = "property \"\(name)\": \(cases) cases, \(discarded) discarded, seed \(seedText(seed)), \(elapsed)"
        let details =
            (labels.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" })
            + discards.sorted { $0.value > $1.value }.map { "discarded (\($0.key)): \($0.value)" }
        if !details.isEmpty { text += "\n    " + details.joined(separator: "\n    ") }
        return text
    }
}

/// Checks `property` on `settings.iterations` cases of `gen`; shrinks the first failure.
/// A thrown error is a failure.
public func checkProperty<Value>(
    _ name: String, _ gen: Gen<Value>, settings: PropertySettings, testFilter: String? = nil,
    _ property: (Value) throws -> Verdict
) -> PropertyRun<Value> {
    withoutActuallyEscaping(property) { property in
        runProperty(name, gen, settings: settings, testFilter: testFilter, property)
    }
}

func runProperty<Value>(
    _ name: String, _ gen: Gen<Value>, settings: PropertySettings, testFilter: String?,
    _ property: @escaping (Value) throws -> Verdict
) -> PropertyRun<Value> {
    let seed = settings.seed ?? UInt64.random(in: .min ... .max)
    var run = PropertyRun<Value>(name: name, seed: seed)
    let clock = ContinuousClock()
    let start = clock.now
    let evaluate: (Value) -> Verdict = { value in
        do { return try property(value) } catch { return .fail("threw \(error)") }
    }
    var rng = SplitMix64(seed: seed)
    for index in 0..<settings.iterations {
        var draw = Draw(rng: rng.split())
        let value = gen.generate(&draw)
        let verdict = evaluate(value)
        run.cases += 1
        switch verdict.outcome {
        case .pass:
            if !verdict.message.isEmpty { run.labels[verdict.message, default: 0] += 1 }
        case .discard:
            run.discards[verdict.message, default: 0] += 1
        case .fail:
            do {
                var shrinker = Shrinker(
                    gen: gen, choices: draw.choices, value: value, verdict: verdict,
                    maxReplays: settings.maxShrinkReplays, timeLimit: settings.shrinkTimeLimit, evaluate: evaluate)
                shrinker.run()
                var valueShrinker = ValueShrinker(evaluate: evaluate, value: shrinker.value, verdict: shrinker.verdict)
                valueShrinker.run(maxTries: max(settings.maxShrinkReplays - shrinker.replays, 0), deadline: shrinker.deadline)
                run.failure = PropertyFailure(
                    name: name, seed: seed, caseIndex: index, iterations: settings.iterations,
                    original: value, originalVerdict: verdict, shrunk: shrinker.value, shrunkVerdict: shrinker.verdict,
                    valueShrunk: valueShrinker.steps > 0 ? (valueShrinker.value, valueShrinker.verdict) : nil,
                    shrinkReplays: shrinker.replays + valueShrinker.tries,
                    shrinkSteps: shrinker.improvements + valueShrinker.steps,
                    originalChoices: draw.choices.count, shrunkChoices: shrinker.choices.count, testFilter: testFilter)
            }
            run.elapsed = clock.now - start
            return run
        }
    }
    let discarded = run.discards.values.reduce(0, +)
    if run.cases > 0, Double(discarded) > settings.maxDiscardRatio * Double(run.cases) {
        run.tooManyDiscards =
            "property \"\(name)\" discarded \(discarded) of \(run.cases) cases (more than \(Int(settings.maxDiscardRatio * 100))%): "
            + run.discards.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            + "; seed \(seedText(seed))"
    }
    run.elapsed = clock.now - start
    return run
}
