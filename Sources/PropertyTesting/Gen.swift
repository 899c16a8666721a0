// Generators and their combinators. A generator is a function of a `Draw`;
// combinators draw their own decisions from it in a fixed order, so the
// shrinker's edits to the choice list (lower a value, delete a run of
// choices) map to simpler values: a smaller count means fewer elements, a
// lower alternative means an earlier `oneOf` branch.

import ABNF

public struct Gen<Value>: Sendable {
    public let generate: @Sendable (inout Draw) -> Value

    public init(_ generate: @escaping @Sendable (inout Draw) -> Value) { self.generate = generate }

    /// Runs the generator on fresh random decisions.
    public func sample(seed: UInt64) -> Value {
        var draw = Draw(rng: SplitMix64(seed: seed))
        return generate(&draw)
    }

    public func map<T>(_ transform: @escaping @Sendable (Value) -> T) -> Gen<T> {
        Gen<T> { draw in transform(generate(&draw)) }
    }

    /// A generator chosen by this one's value (decisions of both are recorded in order).
    public func flatMap<T>(_ next: @escaping @Sendable (Value) -> Gen<T>) -> Gen<T> {
        Gen<T> { draw in next(generate(&draw)).generate(&draw) }
    }

    public static func constant(_ value: Value) -> Gen<Value> where Value: Sendable { Gen { _ in value } }

    /// One of `generators`; the first is the simplest.
    public static func oneOf(_ generators: [Gen<Value>]) -> Gen<Value> {
        precondition(!generators.isEmpty, "oneOf needs at least one generator")
        return Gen { draw in generators[draw.choose(.alternative, upperBound: generators.count)].generate(&draw) }
    }

    public static func oneOf(_ generators: Gen<Value>...) -> Gen<Value> { oneOf(generators) }

    /// One of `generators`, picked in proportion to its weight; the first is the simplest.
    public static func weighted(_ pairs: [(weight: Int, generator: Gen<Value>)]) -> Gen<Value> {
        let total = pairs.reduce(0) { $0 + $1.weight }
        precondition(total > 0 && pairs.allSatisfy { $0.weight >= 0 }, "weights must be non-negative with a positive sum")
        return Gen { draw in
            var ticket = draw.choose(.alternative, upperBound: total)
            for pair in pairs {
                if ticket < pair.weight { return pair.generator.generate(&draw) }
                ticket -= pair.weight
            }
            return pairs[pairs.count - 1].generator.generate(&draw)
        }
    }

    /// An array whose length is drawn from `count` (a count decision, which
    /// favours the bounds, then each element's decisions in order: the layout
    /// of a grammar repetition, so shrinking drops elements the same way).
    public func array(count: ClosedRange<Int>) -> Gen<[Value]> {
        Gen<[Value]> { draw in
            let n = count.lowerBound + draw.choose(.count, upperBound: count.count)
            var values: [Value] = []
            values.reserveCapacity(n)
            for _ in 0..<n { values.append(generate(&draw)) }
            return values
        }
    }

    /// nil or a value; nil is the simpler.
    public func optional() -> Gen<Value?> {
        Gen<Value?> { draw in draw.choose(.count, upperBound: 2) == 0 ? nil : generate(&draw) }
    }

    /// Each generator once, in order.
    public static func sequence(_ generators: [Gen<Value>]) -> Gen<[Value]> {
        Gen<[Value]> { draw in generators.map { $0.generate(&draw) } }
    }

    /// A sequence of events where each step may depend on a model state: `next`
    /// gives the generator of the following event in state `state`, `update`
    /// moves the state on. For protocol scenarios ("AUTH only after EHLO",
    /// "TLS answers only after STARTTLS"). Shrinking deletes steps like array
    /// elements; later steps are re-drawn against the shrunk state.
    public static func scenario<State>(
        length: ClosedRange<Int>, from initial: State,
        next: @escaping @Sendable (State) -> Gen<Value>,
        update: @escaping @Sendable (State, Value) -> State
    ) -> Gen<[Value]> where State: Sendable {
        Gen<[Value]> { draw in
            let n = length.lowerBound + draw.choose(.count, upperBound: length.count)
            var state = initial
            var events: [Value] = []
            for _ in 0..<n {
                let event = next(state).generate(&draw)
                state = update(state, event)
                events.append(event)
            }
            return events
        }
    }
}

extension Gen {
    /// This value and then `other`'s (decisions in that order).
    public func and<B>(_ other: Gen<B>) -> Gen<(Value, B)> {
        Gen<(Value, B)> { draw in (generate(&draw), other.generate(&draw)) }
    }
}

extension Gen where Value == Int {
    /// An integer in `range`; the lower bound is the simplest, both bounds are favoured.
    public static func int(in range: ClosedRange<Int>) -> Gen<Int> {
        Gen { draw in range.lowerBound + draw.choose(.count, upperBound: range.count) }
    }
}

extension Gen where Value == UInt8 {
    /// A byte in `range`; the lower bound is the simplest.
    public static func byte(in range: ClosedRange<UInt8>) -> Gen<UInt8> {
        Gen { draw in range.lowerBound + UInt8(draw.choose(.byte, upperBound: range.count)) }
    }
}

extension Gen where Value == Bool {
    /// false is the simpler.
    public static var bool: Gen<Bool> { Gen { draw in draw.choose(.alternative, upperBound: 2) == 1 } }
}

extension Gen {
    /// One of `elements`; the first is the simplest.
    public static func element(of elements: [Value]) -> Gen<Value> where Value: Sendable {
        precondition(!elements.isEmpty, "element(of:) needs at least one element")
        return Gen { draw in elements[draw.choose(.alternative, upperBound: elements.count)] }
    }
}
