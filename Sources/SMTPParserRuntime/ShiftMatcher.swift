// The shift form of a small shuffle automaton (at most 10 states): the
// automaton that `ShuffleAutomaton` decodes, repacked so that one step is a
// shift and a mask. Each byte value has one 64-bit row that holds, in 6 bits
// per state, the next state times 6; the state is kept as a shift count, so
// a step is `state = (row[byte] >> state) & 63`. The row's
// load depends only on the byte, so the chain from one state to the next is
// two instructions, with no load on it and no branch: in portable Swift, on
// every CPU. It decides acceptance only: it sets no captures.
//
// It is for the short values a parser checks after it has already found
// them (an ESMTP parameter's value, a decoded AUTH mailbox): there the
// table automaton's dependent loads and the kernel's fixed cost per call
// outweigh the bytes. Like the shuffle form it only ever accepts: an input
// it does not accept goes to the table automaton, which decides and names
// the error.

/// A small shuffle automaton as a shift DFA (see the file comment). Points
/// into memory its `ShuffleAutomaton` owns: valid while that automaton lives
/// (the generated ones live as long as the program).
public struct ShiftMatcher: @unchecked Sendable {
    /// Per byte value: for state q (bits 6q..<6q+6), the next state times 6.
    @usableFromInline let rows: UnsafePointer<UInt64>
    /// Bit 6q set when state q accepts.
    @usableFromInline let acceptBits: UInt64
    /// The longest input the form decides: the smallest run limit of its
    /// states (a run can be no longer than the input), or `Int.max`.
    public let longestInput: Int

    /// The most states a shift form holds: 6 bits per state in 64 bits.
    public static let maxStates = 10

    /// Whether the automaton, started after its prefix, accepts
    /// `bytes[from..<end]`. False also for an input longer than
    /// `longestInput`: not decided here; ask the table automaton.
    @inlinable @inline(__always)
    public func accepts(_ bytes: UnsafePointer<UInt8>, from: Int, to end: Int) -> Bool {
        guard end &- from <= longestInput else { return false }
        var state = Self.startState
        var i = from
        // Four steps per pass: the loop's own test and increment cost as
        // much as a step.
        while i &+ 4 <= end {
            state = step(state, bytes[i])
            state = step(state, bytes[i &+ 1])
            state = step(state, bytes[i &+ 2])
            state = step(state, bytes[i &+ 3])
            i &+= 4
        }
        while i < end {
            state = step(state, bytes[i])
            i &+= 1
        }
        return isAccepting(state)
    }

    /// The state after the prefix, as a shift count (state 1; 0 is dead and stays dead).
    @inlinable public static var startState: UInt64 { 6 }

    /// One step: for a caller that produces the bytes itself (a decoded value).
    @inlinable @inline(__always)
    public func step(_ state: UInt64, _ byte: UInt8) -> UInt64 {
        (rows[Int(byte)] &>> state) & 63
    }

    @inlinable @inline(__always)
    public func isAccepting(_ state: UInt64) -> Bool {
        (acceptBits &>> state) & 1 != 0
    }
}

extension ShiftMatcher {
    /// The shift form of a decoded shuffle automaton (the caller matches its
    /// prefix and runs the form over what follows), or nil when it has more
    /// than `maxStates` states. Its tags are dropped (the shift form sets no
    /// captures). The rows are allocated here, 256 words; whoever keeps the
    /// form deallocates them (`ShuffleAutomaton`, in its deinit).
    static func derive(
        stateCount: Int, byteClass: [UInt8], next: [UInt8], accept: [UInt8], limits: [Int]
    ) -> ShiftMatcher? {
        guard stateCount <= maxStates else { return nil }
        let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        for b in 0..<256 {
            var row: UInt64 = 0
            for q in 0..<stateCount {
                let target = UInt64(next[16 * Int(byteClass[b]) + q] & 0x0F)
                row |= (6 * target) << (6 * UInt64(q))
            }
            (rows + b).initialize(to: row)
        }
        var acceptBits: UInt64 = 0
        for q in 0..<stateCount where accept[q] != 0 { acceptBits |= 1 << (6 * UInt64(q)) }
        let limited = limits.prefix(stateCount).filter { $0 != 0 }
        return ShiftMatcher(rows: UnsafePointer(rows), acceptBits: acceptBits, longestInput: limited.min() ?? Int.max)
    }
}
