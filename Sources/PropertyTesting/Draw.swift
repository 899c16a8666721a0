// Every random decision a generator makes goes through one `Draw`, which
// records it. A test case is therefore fully described by its list of choice
// values: replaying the list rebuilds the case, and shrinking edits the list
// (Hypothesis' "internal reduction"), so every combinator and every grammar
// rule shrinks without a shrinker of its own.

import ABNF

/// One recorded decision of a test case.
public struct Choice: Sendable, Hashable, CustomStringConvertible {
    public var kind: ChoiceKind
    /// The grammar node that asked (an index into that grammar's `CompiledGrammar.nodes`),
    /// or -1 for a combinator's own choice.
    public var node: Int
    public var value: Int
    public var upperBound: Int
    /// Values from simplest to most complex when that is not 0, 1, 2, ...:
    /// for a grammar alternation, its alternatives by shortest possible string.
    public var simplicityOrder: [Int]?

    /// 0 for the simplest value; shrinking only ever lowers ranks.
    public var rank: Int {
        guard let order = simplicityOrder else { return value }
        return order.firstIndex(of: value) ?? value
    }

    /// The value of rank `rank`.
    public func value(ofRank rank: Int) -> Int {
        guard let order = simplicityOrder, rank < order.count else { return rank }
        return order[rank]
    }

    public var description: String { "\(kind)@\(node)=\(value)/\(upperBound)" }
}

/// The source of one test case's decisions: random (a new case) or replayed
/// (a recorded or edited case). Conforms to ABNF's `ChoiceSource`, so grammar
/// generation draws from the same stream as every combinator.
public struct Draw: ChoiceSource {
    enum Source {
        case random(RandomChoices)
        case replay(ReplayedChoices)
    }

    var source: Source
    public private(set) var choices: [Choice] = []
    /// The simplicity order of the grammar alternations being generated, keyed
    /// by node; set by `GrammarGenerator` around each generation.
    var alternativeOrder: [Int: [Int]]? = nil

    /// Fresh random decisions (ABNF's `RandomChoices`: counts favour their bounds).
    public init(rng: SplitMix64) { source = .random(RandomChoices(rng: rng)) }

    /// Replays `values` (clamped to each decision's range; missing ones are 0),
    /// through ABNF's `ReplayedChoices`.
    public init(replaying values: [Int]) { source = .replay(ReplayedChoices(values)) }

    public var isReplaying: Bool {
        if case .replay = source { return true }
        return false
    }

    public mutating func choose(_ kind: ChoiceKind, node: Int, upperBound: Int) -> Int {
        let value: Int
        switch source {
        case .random(var random):
            value = random.choose(kind, node: node, upperBound: upperBound)
            source = .random(random)
        case .replay(var replay):
            value = replay.choose(kind, node: node, upperBound: upperBound)
            source = .replay(replay)
        }
        let order = kind == .alternative && node >= 0 ? alternativeOrder?[node] : nil
        choices.append(Choice(kind: kind, node: node, value: value, upperBound: upperBound, simplicityOrder: order))
        return value
    }

    /// A combinator's decision: a value in `0..<upperBound`, 0 being the simplest.
    public mutating func choose(_ kind: ChoiceKind, upperBound: Int) -> Int {
        choose(kind, node: -1, upperBound: max(upperBound, 1))
    }
}
