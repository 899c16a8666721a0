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
    /// The form's literal prefix (letters in upper case): the caller matches
    /// it, and runs the form over what follows.
    public let prefix: [UInt8]

    /// The most states a shift form holds: 6 bits per state in 64 bits.
    public static let maxStates = 10

    /// Whether the automaton, started after its prefix, accepts
    /// `bytes[from..<end]`. False also for an input longer than
    /// `longestInput`: not decided here; ask the table automaton.
    @inlinable @inline(__always)
    public func accepts(_ bytes: UnsafePointer<UInt8>, from: Int, to end: Int) -> Bool {
        guard end &- from <= longestInput else { return false }
        var state: UInt64 = 6  // state 1, the state after the prefix; 0 is dead and stays dead
        var i = from
        while i < end {
            state = (rows[Int(bytes[i])] &>> state) & 63
            i &+= 1
        }
        return (acceptBits &>> state) & 1 != 0
    }
}

extension ShiftMatcher {
    /// The shift form of a decoded shuffle automaton, or nil when it has more
    /// than `maxStates` states. Its tags are dropped (the shift form sets no
    /// captures). `rows` receives 256 words.
    static func derive(
        stateCount: Int, byteClass: [UInt8], next: [UInt8], accept: [UInt8], limits: [Int], prefix: [UInt8],
        into rows: UnsafeMutablePointer<UInt64>
    ) -> ShiftMatcher? {
        guard stateCount <= maxStates else { return nil }
        for b in 0..<256 {
            var row: UInt64 = 0
            for q in 0..<stateCount {
                let target = UInt64(next[16 * Int(byteClass[b]) + q] & 0x0F)
                row |= (6 * target) << (6 * UInt64(q))
            }
            rows[b] = row
        }
        var acceptBits: UInt64 = 0
        for q in 0..<stateCount where accept[q] != 0 { acceptBits |= 1 << (6 * UInt64(q)) }
        let limited = limits.prefix(stateCount).filter { $0 != 0 }
        return ShiftMatcher(
            rows: UnsafePointer(rows), acceptBits: acceptBits, longestInput: limited.min() ?? Int.max, prefix: prefix)
    }
}
