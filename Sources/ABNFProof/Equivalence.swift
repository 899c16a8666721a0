// Language equivalence of two DFAs by breadth-first search of their product.
//
// Two complete DFAs accept the same strings iff no reachable pair of states
// (one from each) has one accepting and the other not. The search runs over
// the common refinement of both byte partitions, each class stood for by its
// smallest byte, and visits successors in byte order. The queue is then in
// shortlex order (shorter first, then by bytes), so the first disagreeing
// pair dequeued is reached by the shortest counterexample, and among the
// shortest by the one that comes first byte by byte.

/// Which of the two compared automata accepts a counterexample.
public enum Side: Sendable, Hashable, CustomStringConvertible {
    case first
    case second

    public var description: String { self == .first ? "first" : "second" }
}

/// A string exactly one of two automata accepts.
public struct Counterexample: Sendable, Hashable, CustomStringConvertible {
    public var input: [UInt8]
    public var acceptedBy: Side

    public init(input: [UInt8], acceptedBy: Side) {
        self.input = input
        self.acceptedBy = acceptedBy
    }

    public var description: String { "\"\(escapedBytes(input))\" (accepted by the \(acceptedBy) only)" }
}

public enum Equivalence {
    public struct Result: Sendable {
        /// nil when the languages are equal.
        public var counterexample: Counterexample?
        /// Product states visited.
        public var pairs: Int
    }

    /// Compares the languages of `a` (the first) and `b` (the second).
    public static func compare(_ a: ByteDFA, _ b: ByteDFA) -> Result {
        // Common refinement of the two byte partitions, numbered by smallest byte.
        var pairClass: [Int: Int] = [:]
        var representative: [UInt8] = []
        var classA: [Int] = []
        var classB: [Int] = []
        for byte in 0..<256 {
            let key = a.classOf[byte] * b.classCount + b.classOf[byte]
            if pairClass[key] == nil {
                pairClass[key] = representative.count
                representative.append(UInt8(byte))
                classA.append(a.classOf[byte])
                classB.append(b.classOf[byte])
            }
        }
        struct Entry {
            var a: Int
            var b: Int
            var parent: Int
            var byte: UInt8
        }
        var queue = [Entry(a: a.start, b: b.start, parent: -1, byte: 0)]
        var seen: Set<Int> = [a.start * b.stateCount + b.start]
        var head = 0
        while head < queue.count {
            let entry = queue[head]
            if a.accepting[entry.a] != b.accepting[entry.b] {
                var input: [UInt8] = []
                var i = head
                while queue[i].parent >= 0 {
                    input.append(queue[i].byte)
                    i = queue[i].parent
                }
                let side: Side = a.accepting[entry.a] ? .first : .second
                return Result(counterexample: Counterexample(input: input.reversed(), acceptedBy: side), pairs: seen.count)
            }
            for c in 0..<representative.count {
                let nextA = a.next[entry.a * a.classCount + classA[c]]
                let nextB = b.next[entry.b * b.classCount + classB[c]]
                if seen.insert(nextA * b.stateCount + nextB).inserted {
                    queue.append(Entry(a: nextA, b: nextB, parent: head, byte: representative[c]))
                }
            }
            head += 1
        }
        return Result(counterexample: nil, pairs: seen.count)
    }
}
