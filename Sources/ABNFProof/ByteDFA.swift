// The common form both automata are compared in: a complete deterministic
// automaton over the 256 byte values, with its own byte classes.

import SMTPParserRuntime

/// A complete DFA over bytes: every state has a transition on every byte.
public struct ByteDFA: Sendable, Equatable {
    public var stateCount: Int
    public var start: Int
    public var accepting: [Bool]
    public var classCount: Int
    /// The class of each byte value (256 entries, values below `classCount`).
    public var classOf: [Int]
    /// `next[state * classCount + class]`.
    public var next: [Int]

    public init(stateCount: Int, start: Int, accepting: [Bool], classCount: Int, classOf: [Int], next: [Int]) {
        precondition(accepting.count == stateCount && classOf.count == 256 && next.count == stateCount * classCount)
        self.stateCount = stateCount
        self.start = start
        self.accepting = accepting
        self.classCount = classCount
        self.classOf = classOf
        self.next = next
    }

    public func target(_ state: Int, _ byte: UInt8) -> Int { next[state * classCount + classOf[Int(byte)]] }

    public func accepts(_ input: some Sequence<UInt8>) -> Bool {
        var state = start
        for b in input { state = target(state, b) }
        return accepting[state]
    }

    /// The same automaton with a full 256-column table reduced to classes:
    /// bytes whose columns agree in every state share a class, numbered by
    /// their smallest byte.
    static func compressing(stateCount: Int, start: Int, accepting: [Bool], columns: [Int]) -> ByteDFA {
        var classOf = [Int](repeating: 0, count: 256)
        var classIDs: [[Int]: Int] = [:]
        var representatives: [Int] = []
        for b in 0..<256 {
            let column = (0..<stateCount).map { columns[$0 * 256 + b] }
            if let known = classIDs[column] {
                classOf[b] = known
            } else {
                classIDs[column] = representatives.count
                classOf[b] = representatives.count
                representatives.append(b)
            }
        }
        let k = representatives.count
        var next = [Int](repeating: 0, count: stateCount * k)
        for s in 0..<stateCount {
            for (c, b) in representatives.enumerated() { next[s * k + c] = columns[s * 256 + b] }
        }
        return ByteDFA(stateCount: stateCount, start: start, accepting: accepting, classCount: k, classOf: classOf, next: next)
    }
}

// MARK: Reading the runtime's automaton

/// Why a generated automaton cannot be read as a DFA.
public struct MalformedAutomaton: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ByteDFA {
    /// The language the shipped runtime accepts with `automaton`, exactly as
    /// `Automaton.match(_:)` runs it: start in `start`, follow
    /// `next & 0x7FFF` per byte class, reject as soon as a transition leads
    /// to state 0, accept at the end when `accept[state] > 0`. Rejecting at
    /// state 0 is modelled by an extra sink state, so the result does not rely
    /// on row 0 of the tables being dead.
    public init(runtime automaton: Automaton) throws(MalformedAutomaton) {
        let n = automaton.stateCount
        let k = automaton.classCount
        guard n >= 1, k >= 1, automaton.start >= 0, automaton.start < n else {
            throw MalformedAutomaton("start \(automaton.start) is not one of its \(n) states")
        }
        guard automaton.byteClass.count == 256, automaton.next.count == n * k, automaton.accept.count == n else {
            throw MalformedAutomaton("tables have the wrong sizes for \(n) states and \(k) byte classes")
        }
        if let bad = automaton.byteClass.firstIndex(where: { Int($0) >= k }) {
            throw MalformedAutomaton(
                "byte 0x\(hexByte(UInt8(bad))) has class \(automaton.byteClass[bad]), but there are \(k) classes")
        }
        let sink = n
        var next = [Int](repeating: sink, count: (n + 1) * k)
        for t in 0..<(n * k) {
            let target = Int(automaton.next[t] & 0x7FFF)
            guard target < n else {
                throw MalformedAutomaton("state \(t / k), class \(t % k) goes to state \(target) of \(n)")
            }
            next[t] = target == 0 ? sink : target
        }
        self.init(
            stateCount: n + 1, start: automaton.start, accepting: automaton.accept.map { $0 > 0 } + [false],
            classCount: k, classOf: automaton.byteClass.map(Int.init), next: next)
    }
}

// MARK: Minimisation (Hopcroft's partition refinement)

extension ByteDFA {
    /// The minimal complete DFA of the same language (Hopcroft 1971), states
    /// numbered breadth first from the start. Unreachable states are dropped.
    public func minimized() -> ByteDFA {
        let reachable = reachableStates()
        let n = stateCount
        let k = classCount
        // Predecessors per class, over reachable states only.
        var predecessors = [[Int]](repeating: [], count: n * k)
        for s in reachable {
            for c in 0..<k { predecessors[next[s * k + c] * k + c].append(s) }
        }
        var blockOf = [Int](repeating: -1, count: n)
        var blocks: [[Int]] = []
        let accepted = reachable.filter { accepting[$0] }
        let rejected = reachable.filter { !accepting[$0] }
        for part in [accepted, rejected] where !part.isEmpty {
            for s in part { blockOf[s] = blocks.count }
            blocks.append(part)
        }
        var waiting = Array(0..<blocks.count)
        var isWaiting = [Bool](repeating: true, count: blocks.count)
        while let splitter = waiting.popLast() {
            isWaiting[splitter] = false
            let members = blocks[splitter]
            for c in 0..<k {
                // The states that enter the splitter on class c, grouped by block.
                var hit: [Int: [Int]] = [:]
                for t in members {
                    for s in predecessors[t * k + c] { hit[blockOf[s], default: []].append(s) }
                }
                for (block, inside) in hit.sorted(by: { $0.key < $1.key }) where inside.count < blocks[block].count {
                    let insideSet = Set(inside)
                    let outside = blocks[block].filter { !insideSet.contains($0) }
                    let newBlock = blocks.count
                    blocks[block] = outside
                    blocks.append(inside)
                    for s in inside { blockOf[s] = newBlock }
                    isWaiting.append(false)
                    // Hopcroft's rule: when the split block is not waiting, the
                    // smaller half is enough as a splitter.
                    if isWaiting[block] || inside.count <= outside.count {
                        waiting.append(newBlock)
                        isWaiting[newBlock] = true
                    } else {
                        waiting.append(block)
                        isWaiting[block] = true
                    }
                }
            }
        }
        // Renumber blocks breadth first from the start block.
        var number = [Int](repeating: -1, count: blocks.count)
        var order: [Int] = [blockOf[start]]
        number[blockOf[start]] = 0
        var head = 0
        while head < order.count {
            let s = blocks[order[head]][0]
            head += 1
            for c in 0..<k {
                let b = blockOf[next[s * k + c]]
                if number[b] < 0 {
                    number[b] = order.count
                    order.append(b)
                }
            }
        }
        var columns = [Int](repeating: 0, count: order.count * 256)
        var accept = [Bool](repeating: false, count: order.count)
        for (i, block) in order.enumerated() {
            let s = blocks[block][0]
            accept[i] = accepting[s]
            for b in 0..<256 { columns[i * 256 + b] = number[blockOf[next[s * k + classOf[b]]]] }
        }
        return ByteDFA.compressing(stateCount: order.count, start: 0, accepting: accept, columns: columns)
    }

    func reachableStates() -> [Int] {
        var seen = [Bool](repeating: false, count: stateCount)
        var order = [start]
        seen[start] = true
        var head = 0
        while head < order.count {
            let s = order[head]
            head += 1
            for c in 0..<classCount where !seen[next[s * classCount + c]] {
                seen[next[s * classCount + c]] = true
                order.append(next[s * classCount + c])
            }
        }
        return order
    }
}

func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}

/// Bytes on one line: printable ASCII as is, `\r`, `\n`, `\t`, `\\`, others `\xHH`.
public func escapedBytes(_ bytes: [UInt8]) -> String {
    var out = ""
    for b in bytes {
        switch b {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.append(Character(UnicodeScalar(b)))
        default: out += "\\x" + hexByte(b)
        }
    }
    return out
}
