// The runtime for the automata that `abnfc generate` writes into Generated/.
// Standard library only, so this folder can be vendored.
//
// An automaton reads each byte once: byte → byte class → next state. Capture
// tags ride on transitions (see ABNFCompiler/DFA.swift for why that needs no
// lookahead). State 0 is dead; every other state can still reach acceptance,
// so the automaton stops at the first byte that rules a match out.

/// A deterministic automaton generated from one grammar rule. A class, so
/// handing one around costs a retain, not a copy of its tables.
public final class Automaton: Sendable {
    /// The grammar rule it recognises.
    public let rule: String
    /// Capture fields, in tag order (tag 2·i starts field i, 2·i+1 ends it).
    public let fields: [String]
    public let classCount: Int
    public let stateCount: Int
    public let start: Int
    /// Byte class of each byte value (256 entries).
    public let byteClass: [UInt8]
    /// `next[state * classCount + class]`; bit 15 set when the transition sets tags.
    public let next: [UInt16]
    /// Index into `tagMasks` for each transition (empty without captures).
    public let action: [UInt8]
    /// Per state: 0 rejects, k > 0 accepts and sets `tagMasks[k - 1]` at the end.
    public let accept: [UInt8]
    public let tagMasks: [UInt64]
    /// Innermost rule of each state, as an index into `ruleNames` (error messages).
    public let stateRule: [UInt16]
    public let ruleNames: [String]

    @usableFromInline static let actionFlag: UInt16 = 0x8000

    /// Decodes the tables written by the generator: base64 of byteClass,
    /// next (UInt16 little-endian), action (if there are fields), accept and
    /// stateRule (UInt16 little-endian), in that order.
    public init(
        rule: String, fields: [String], classCount: Int, stateCount: Int, start: Int,
        tagMasks: [UInt64], ruleNames: [String], tables: String
    ) {
        self.rule = rule
        self.fields = fields
        self.classCount = classCount
        self.stateCount = stateCount
        self.start = start
        self.tagMasks = tagMasks
        self.ruleNames = ruleNames
        let bytes = Base64.decode(tables)
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8> {
            defer { offset += count }
            precondition(offset + count <= bytes.count, "generated tables of \(rule) are truncated")
            return bytes[offset..<(offset + count)]
        }
        func words(_ slice: ArraySlice<UInt8>) -> [UInt16] {
            stride(from: slice.startIndex, to: slice.endIndex, by: 2).map { UInt16(slice[$0]) | UInt16(slice[$0 + 1]) << 8 }
        }
        let transitions = stateCount * classCount
        byteClass = Array(take(256))
        next = words(take(2 * transitions))
        action = fields.isEmpty ? [] : Array(take(transitions))
        accept = Array(take(stateCount))
        stateRule = words(take(2 * stateCount))
        precondition(offset == bytes.count, "generated tables of \(rule) have trailing bytes")
    }
}

/// The capture positions of one run; fields are indexed like `Automaton.fields`.
/// Fixed size, so a run allocates nothing.
public struct CaptureTags: Sendable, Equatable {
    public static func == (a: CaptureTags, b: CaptureTags) -> Bool {
        (0..<16).allSatisfy { a.tags[$0] == b.tags[$0] }
    }

    public static let maxFields = 8
    @usableFromInline var tags: InlineArray<16, Int32>

    public init() { tags = InlineArray(repeating: -1) }

    /// The range of field `i`, or nil when the field did not occur.
    @inlinable
    public subscript(field i: Int) -> Range<Int>? {
        let start = Int(tags[2 * i])
        let end = Int(tags[2 * i + 1])
        return start >= 0 && end >= start ? start..<end : nil
    }

    @usableFromInline
    mutating func apply(_ mask: UInt64, at position: Int) {
        var m = mask
        while m != 0 {
            let t = m.trailingZeroBitCount
            if t < 16 { tags[t] = Int32(truncatingIfNeeded: position) }
            m &= m - 1
        }
    }
}

/// How a run ended.
public enum MatchOutcome: Sendable, Equatable {
    /// The whole input is in the language.
    case accepted
    /// The byte at `offset` cannot continue any match; `state` is where it stopped.
    case rejected(offset: Int, state: Int)
    /// The input is a proper prefix of some match.
    case incomplete(state: Int)
}

extension Automaton {
    /// Runs over `input` and records capture positions (relative to `input`).
    @inlinable
    public func match(_ input: UnsafeRawBufferPointer, captures: inout CaptureTags) -> MatchOutcome {
        let k = classCount
        return byteClass.withUnsafeBufferPointer { classes in
            next.withUnsafeBufferPointer { next in
                var state = start
                var i = 0
                while i < input.count {
                    let t = state &* k &+ Int(classes[Int(input[i])])
                    let entry = next[t]
                    if entry & Automaton.actionFlag != 0 {
                        captures.apply(tagMasks[Int(action[t])], at: i)
                    }
                    let target = Int(entry & ~Automaton.actionFlag)
                    if target == 0 { return .rejected(offset: i, state: state) }
                    state = target
                    i &+= 1
                }
                let a = Int(accept[state])
                guard a > 0 else { return .incomplete(state: state) }
                captures.apply(tagMasks[a - 1], at: input.count)
                return .accepted
            }
        }
    }

    /// Runs over `input` without recording captures.
    @inlinable
    public func match(_ input: UnsafeRawBufferPointer) -> MatchOutcome {
        let k = classCount
        return byteClass.withUnsafeBufferPointer { classes in
            next.withUnsafeBufferPointer { next in
                var state = start
                var i = 0
                while i < input.count {
                    let entry = next[state &* k &+ Int(classes[Int(input[i])])]
                    let target = Int(entry & ~Automaton.actionFlag)
                    if target == 0 { return .rejected(offset: i, state: state) }
                    state = target
                    i &+= 1
                }
                return accept[state] > 0 ? .accepted : .incomplete(state: state)
            }
        }
    }

    /// Whether all of `bytes` is in the language.
    public func matches(_ bytes: some Collection<UInt8>) -> Bool {
        Array(bytes).withUnsafeBytes { match($0) } == .accepted
    }

    /// The rule a run was inside when it stopped in `state`.
    public func ruleName(atState state: Int) -> String {
        state < stateRule.count ? ruleNames[Int(stateRule[state])] : rule
    }
}

/// RFC 4648 base64, decoding only; white space is skipped.
enum Base64 {
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2B: v = 62
            case 0x2F: v = 63
            default: continue  // padding, white space, line breaks
            }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
