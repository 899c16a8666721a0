// Shrinking through the derivation. A failing case is its list of choices;
// each pass proposes an edited list, the generator replays it (grammar
// strings through ABNF's `StringGenerator` with `ReplayedChoices`) and the
// edit is kept only if the property still fails and the replayed list is
// simpler: shorter, or as long and smaller rank by rank (Hypothesis'
// shortlex order, so shrinking always ends). Passes, most effective first:
//
// 1. drop repetitions: lower a `.count` choice (to its minimum, by half, by
//    one) and delete the choices of the iterations that disappear (found by
//    replaying the lowered count and seeing where the choices stop lining up);
// 2. delete runs of choices (halves, quarters, ..., then 32 down to 1);
// 3. simplify single choices: the simplest value first (rank 0: the lowest
//    count, the alternative with the shortest minimum string and then the
//    fewest decisions, the lowest byte, the letter case as written), then
//    smaller ones by bisection; a simpler alternative also without the
//    decisions the old one made after it;
// 4. set runs of choices to their simplest values.
//
// Afterwards inputs that know how (`PropertyInput.smallerValues`) shrink
// value by value, e.g. near misses byte by byte.

import ABNF

struct Shrinker<Value> {
    let gen: Gen<Value>
    let evaluate: (Value) -> Verdict
    private(set) var choices: [Choice]
    private(set) var value: Value
    private(set) var verdict: Verdict
    private(set) var replays = 0
    private(set) var improvements = 0
    let maxReplays: Int
    let deadline: ContinuousClock.Instant
    private var seen = Set<[Int]>()

    init(
        gen: Gen<Value>, choices: [Choice], value: Value, verdict: Verdict, maxReplays: Int, timeLimit: Duration,
        evaluate: @escaping (Value) -> Verdict
    ) {
        self.gen = gen
        self.choices = choices
        self.value = value
        self.verdict = verdict
        self.maxReplays = maxReplays
        self.deadline = ContinuousClock.now + timeLimit
        self.evaluate = evaluate
        seen.insert(choices.map(\.value))
    }

    var values: [Int] { choices.map(\.value) }

    var exhausted: Bool { replays >= maxReplays || ContinuousClock.now >= deadline }

    /// Shortlex on ranks: fewer choices, then the first differing choice simpler.
    static func isSimpler(_ a: [Choice], than b: [Choice]) -> Bool {
        if a.count != b.count { return a.count < b.count }
        for (x, y) in zip(a, b) where x.rank != y.rank { return x.rank < y.rank }
        return false
    }

    func replay(_ values: [Int]) -> (choices: [Choice], value: Value) {
        var draw = Draw(replaying: values)
        let value = gen.generate(&draw)
        return (draw.choices, value)
    }

    /// Keeps `candidate` if it replays to a simpler case that still fails.
    mutating func consider(_ candidate: [Int]) -> Bool {
        guard !exhausted, seen.insert(candidate).inserted else { return false }
        replays += 1
        let (recorded, newValue) = replay(candidate)
        guard Self.isSimpler(recorded, than: choices) else { return false }
        let result = evaluate(newValue)
        guard result.isFailure else { return false }
        choices = recorded
        value = newValue
        verdict = result
        improvements += 1
        return true
    }

    mutating func run() {
        var progress = true
        while progress && !exhausted {
            progress = false
            if dropIterations() { progress = true }
            if deleteRuns() { progress = true }
            if simplifyChoices() { progress = true }
            if simplifyRuns() { progress = true }
        }
    }

    // MARK: Passes

    mutating func dropIterations() -> Bool {
        // Outer repetitions first: dropping one of their iterations removes the most.
        var progress = false
        var i = 0
        while i < choices.count && !exhausted {
            if choices[i].kind == .count, choices[i].value > 0 {
                let value = choices[i].value
                // All iterations past the minimum, then half of them, then one.
                for target in Set([0, value / 2, value - 1]).sorted() where lowerCount(at: i, to: target) {
                    progress = true
                    break
                }
            }
            i += 1
        }
        return progress
    }

    /// Lowers count choice `i` to `target` and deletes the choices of the
    /// iterations that go away.
    mutating func lowerCount(at i: Int, to target: Int) -> Bool {
        let original = choices
        var lowered = values
        lowered[i] = target
        // Replaying the lowered count shows where the first dropped iteration began:
        // the first choice after `i` asked by a different node than before.
        let probe = replay(lowered).choices
        var start = i + 1
        while start < probe.count && start < original.count
            && probe[start].node == original[start].node && probe[start].kind == original[start].kind
        {
            start += 1
        }
        // The dropped iterations ended where the original reaches the decision the
        // probe made next. In a grammar without recursion that is the first such
        // decision; with recursion it may be a later one, so a few are tried.
        var ends: [Int] = []
        if start >= probe.count {
            ends = [original.count]
        } else {
            let matches = (start..<original.count).filter {
                original[$0].node == probe[start].node && original[$0].kind == probe[start].kind
            }
            ends = Array(matches.prefix(4)) + Array(matches.suffix(2).reversed())
        }
        for end in ends where end > start {
            if consider(Array(lowered[..<start] + lowered[end...])) { return true }
        }
        // Dropping one iteration that is not the last: iterations start where the
        // first one did (the same node and kind), e.g. every element of a `Gen.array`.
        if target == original[i].value - 1, i + 1 < original.count {
            let first = original[i + 1]
            var starts = ((i + 1)..<original.count).filter { original[$0].node == first.node && original[$0].kind == first.kind }
            starts = Array(starts.prefix(original[i].value + 1))
            for m in 0..<min(starts.count - 1, 16) where starts[m + 1] > starts[m] {
                if consider(Array(lowered[..<starts[m]] + lowered[starts[m + 1]...])) { return true }
            }
        }
        return consider(lowered)
    }

    mutating func deleteRuns() -> Bool {
        var progress = false
        // Large blocks first (halves, quarters, ...), then short runs at every position.
        var size = choices.count / 2
        while size > 32 && !exhausted {
            var i = choices.count - size
            while i >= 0 && !exhausted {
                let v = values
                if consider(Array(v[..<i] + v[(i + size)...])) { progress = true }
                i -= size
            }
            size /= 2
        }
        for size in [32, 16, 8, 4, 2, 1] {
            var i = choices.count - size
            while i >= 0 && !exhausted {
                let v = values
                if consider(Array(v[..<i] + v[(i + size)...])) {
                    progress = true
                    i = min(i, choices.count - size)
                } else {
                    i -= 1
                }
            }
        }
        return progress
    }

    mutating func setRank(_ i: Int, _ rank: Int) -> Bool {
        guard i < choices.count else { return false }
        var v = values
        v[i] = choices[i].value(ofRank: rank)
        return consider(v)
    }

    mutating func simplifyChoices() -> Bool {
        var progress = false
        var i = 0
        while i < choices.count && !exhausted {
            let choice = choices[i]
            let rank = choice.rank
            if rank > 0 {
                if setRank(i, 0) {
                    progress = true
                } else if choice.kind == .alternative || choice.kind == .letterCase {
                    var done = false
                    for r in 1..<rank where setRank(i, r) {
                        progress = true
                        done = true
                        break
                    }
                    // A simpler alternative usually needs fewer decisions: drop the
                    // ones the old alternative made (right after this choice).
                    if !done && choice.kind == .alternative {
                        search: for r in 0..<rank {
                            for k in 1...3 where i + 1 + k <= choices.count {
                                var v = values
                                v[i] = choices[i].value(ofRank: r)
                                v.removeSubrange((i + 1)..<(i + 1 + k))
                                if consider(v) {
                                    progress = true
                                    break search
                                }
                            }
                        }
                    }
                } else {
                    // Bisection between a rank that passes (lo) and one that fails (hi).
                    var lo = 0
                    var hi = rank
                    while hi - lo > 1 && !exhausted && i < choices.count {
                        let mid = (lo + hi) / 2
                        if setRank(i, mid) {
                            hi = mid
                            progress = true
                        } else {
                            lo = mid
                        }
                    }
                }
            }
            i += 1
        }
        return progress
    }

    mutating func simplifyRuns() -> Bool {
        var progress = false
        for size in [16, 4] {
            var i = choices.count - size
            while i >= 0 && !exhausted {
                var v = values
                var changed = false
                for j in i..<(i + size) where choices[j].rank != 0 {
                    v[j] = choices[j].value(ofRank: 0)
                    changed = true
                }
                if changed && consider(v) { progress = true }
                i -= size
            }
        }
        return progress
    }
}

/// Value-level shrinking after the choices are minimal (e.g. byte by byte).
struct ValueShrinker<Value> {
    let evaluate: (Value) -> Verdict
    var value: Value
    var verdict: Verdict
    var steps = 0
    var tries = 0

    mutating func run(maxTries: Int, deadline: ContinuousClock.Instant) {
        var progress = true
        while progress && tries < maxTries && ContinuousClock.now < deadline {
            progress = false
            guard let input = value as? any PropertyInput else { return }
            for candidate in Self.smaller(input) {
                guard let candidate = candidate as? Value, tries < maxTries else { continue }
                tries += 1
                let result = evaluate(candidate)
                if result.isFailure {
                    value = candidate
                    verdict = result
                    steps += 1
                    progress = true
                    break
                }
            }
        }
    }

    static func smaller<Input: PropertyInput>(_ input: Input) -> [Any] { input.smallerValues() }
}
