// The runtime for the automata that `abnfc generate` writes into Generated/.
// Standard library only, and no generated code: `abnfc` (through the proof)
// builds on this module, so it must compile whatever the generated files say.
//
// An automaton reads each byte once: byte → byte class → next state. Capture
// tags ride on transitions (see ABNFCompiler/DFA.swift for why that needs no
// lookahead). State 0 is dead; every other state can still reach acceptance,
// so the automaton stops at the first byte that rules a match out.

/// A deterministic automaton generated from one grammar rule. A class, so
/// handing one around costs a retain, not a copy of its tables.
///
/// The public arrays are the generated tables as written. Matching runs on
/// a copy laid out for speed (built once, at first use): each row holds the
/// state's transitions premultiplied by the row width, so a byte costs one
/// dependent load; plus metadata columns for the two kinds of runs that are
/// skipped with a 256-entry membership table instead of a transition per
/// byte: a state that loops on a set of bytes with no capture (`*atext`),
/// and a chain of states that each move to the next on the same set
/// (a bounded repetition such as `1*128VCHAR` or `1*20DIGIT`, which the
/// automaton has to count and so cannot loop on).
public final class Automaton: @unchecked Sendable {
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

    // The matching layout (see the type's comment). Immutable after init.
    @usableFromInline let rowWidth: Int
    /// The start state's row in the matching layout (see `run(_:from:row:captures:recording:)`).
    public let startRow: Int
    @usableFromInline let fastClasses: UnsafeMutablePointer<UInt8>
    /// Per row: `classCount` transitions, then the row's metadata.
    @usableFromInline let fastNext: UnsafeMutablePointer<UInt32>
    /// Tag-mask index per transition, same layout as `fastNext`.
    @usableFromInline let fastAction: UnsafeMutablePointer<UInt8>
    @usableFromInline let fastMasks: UnsafeMutablePointer<UInt64>
    /// 256 bytes per self-loop or chain set; set 0 is empty.
    @usableFromInline let loopTables: UnsafeMutablePointer<UInt8>
    /// The rows of each chain, in order (see `chainColumn`).
    @usableFromInline let chainRows: UnsafeMutablePointer<UInt32>

    /// Transition entry bits: "sets tags", "target loops", "target is in a
    /// chain", "dead", then the target's loop or chain set (so a run is
    /// skipped without another dependent load), then the target row. A plain
    /// transition is just the target row, below `deadBit`, so the common step
    /// tests one comparison; every other case (reject, tags, a run to skip)
    /// has a bit at or above it.
    @usableFromInline static let tagsBit: UInt32 = 1 << 31
    @usableFromInline static let loopBit: UInt32 = 1 << 30
    @usableFromInline static let chainBit: UInt32 = 1 << 29
    @usableFromInline static let deadBit: UInt32 = 1 << 28
    @usableFromInline static let setShift: UInt32 = 20
    @usableFromInline static let rowMask: UInt32 = (1 << 20) - 1

    /// Metadata columns after a row's transitions: the loop set and the
    /// accept value (`loopSet | accept << 16`); for a state in a chain, the
    /// chain's set, its place in `chainRows` and how many bytes of the set
    /// the chain can still take (`set << 24 | offset << 10 | left`, 0 when
    /// not in a chain).
    @usableFromInline var loopColumn: Int { classCount }
    @usableFromInline var chainColumn: Int { classCount &+ 1 }

    /// A self-loop with fewer members than this is not worth a membership test.
    static let minimumLoopBytes = 8
    /// Nor is a chain that can take fewer bytes than this.
    static let minimumChainBytes = 4
    /// Chains are unrolled this far (a cycle, such as base64's four
    /// characters, is unrolled into one): a command line has at most 512 octets.
    static let maximumChainBytes = 512

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
        let byteClass = Array(take(256))
        let next = words(take(2 * transitions))
        let action = fields.isEmpty ? [] : Array(take(transitions))
        let accept = Array(take(stateCount))
        stateRule = words(take(2 * stateCount))
        precondition(offset == bytes.count, "generated tables of \(rule) have trailing bytes")
        self.byteClass = byteClass
        self.next = next
        self.action = action
        self.accept = accept

        // The matching layout.
        let width = classCount + 2
        rowWidth = width
        startRow = start * width
        fastClasses = .allocate(capacity: 256)
        fastClasses.initialize(from: byteClass, count: 256)
        fastMasks = .allocate(capacity: max(tagMasks.count, 1))
        fastMasks.initialize(repeating: 0, count: max(tagMasks.count, 1))
        for (i, m) in tagMasks.enumerated() { fastMasks[i] = m }
        // Self-loop byte sets, deduplicated.
        var loopSets: [[UInt8]] = [[UInt8](repeating: 0, count: 256)]
        var loopOf = [Int](repeating: 0, count: stateCount)
        for s in 1..<max(stateCount, 1) {
            var set = [UInt8](repeating: 0, count: 256)
            var members = 0
            for b in 0..<256 {
                let t = s * classCount + Int(byteClass[b])
                if Int(next[t] & ~Automaton.actionFlag) == s && next[t] & Automaton.actionFlag == 0 {
                    set[b] = 1
                    members += 1
                }
            }
            guard members >= Automaton.minimumLoopBytes else { continue }
            if let known = loopSets.firstIndex(of: set) {
                loopOf[s] = known
            } else {
                loopOf[s] = loopSets.count
                loopSets.append(set)
            }
        }
        // Chains: the target each state reaches on the most bytes (other than
        // itself, without tags), and the states that follow on the same set.
        var chainSetOf = [Int](repeating: 0, count: stateCount)
        var chainNextOf = [Int](repeating: 0, count: stateCount)
        for s in 1..<max(stateCount, 1) where loopOf[s] == 0 {
            var byTarget: [Int: [UInt8]] = [:]
            for b in 0..<256 {
                let entry = next[s * classCount + Int(byteClass[b])]
                let t = Int(entry & ~Automaton.actionFlag)
                guard t != 0, t != s, entry & Automaton.actionFlag == 0 else { continue }
                byTarget[t, default: [UInt8](repeating: 0, count: 256)][b] = 1
            }
            guard
                let (target, set) = byTarget.max(by: {
                    ($0.value.reduce(0) { $0 + Int($1) }, -$0.key) < ($1.value.reduce(0) { $0 + Int($1) }, -$1.key)
                }),
                set.reduce(0, { $0 + Int($1) }) >= Automaton.minimumLoopBytes
            else { continue }
            chainNextOf[s] = target
            if let known = loopSets.firstIndex(of: set) {
                chainSetOf[s] = known
            } else {
                chainSetOf[s] = loopSets.count
                loopSets.append(set)
            }
        }
        var chainRowList: [UInt32] = []
        var chainAt = [Int](repeating: -1, count: stateCount)
        var chainLeft = [Int](repeating: 0, count: stateCount)
        for s in 1..<max(stateCount, 1) where chainSetOf[s] != 0 && chainAt[s] < 0 {
            var sequence = [s]
            var u = s
            while sequence.count <= Automaton.maximumChainBytes && chainSetOf[u] == chainSetOf[s] && chainNextOf[u] != 0 {
                u = chainNextOf[u]
                sequence.append(u)
            }
            let offset = chainRowList.count
            chainRowList += sequence.map { UInt32($0 * width) }
            for (k, state) in sequence.enumerated().dropLast() where chainAt[state] < 0 {
                chainAt[state] = offset + k
                chainLeft[state] = sequence.count - 1 - k
            }
        }
        chainRows = .allocate(capacity: max(chainRowList.count, 1))
        chainRows.initialize(repeating: 0, count: max(chainRowList.count, 1))
        for (i, r) in chainRowList.enumerated() { chainRows[i] = r }
        func isChain(_ s: Int) -> Bool { chainLeft[s] >= Automaton.minimumChainBytes }

        precondition(
            stateCount * width <= Int(Automaton.rowMask) && loopSets.count < 256 && chainRowList.count < 1 << 14,
            "the automaton of \(rule) is too large for the matching layout")
        loopTables = .allocate(capacity: 256 * loopSets.count)
        for (i, set) in loopSets.enumerated() { (loopTables + 256 * i).initialize(from: set, count: 256) }
        fastNext = .allocate(capacity: stateCount * width)
        fastAction = .allocate(capacity: stateCount * width)
        fastAction.initialize(repeating: 0, count: stateCount * width)
        for s in 0..<stateCount {
            for c in 0..<classCount {
                let entry = next[s * classCount + c]
                let target = Int(entry & ~Automaton.actionFlag)
                guard target != 0 else {
                    fastNext[s * width + c] = Automaton.deadBit
                    continue
                }
                var word = UInt32(target * width)
                if entry & Automaton.actionFlag != 0 {
                    word |= Automaton.tagsBit
                    fastAction[s * width + c] = action[s * classCount + c]
                }
                if loopOf[target] != 0 {
                    word |= Automaton.loopBit | UInt32(loopOf[target]) << Automaton.setShift
                } else if isChain(target) {
                    word |= Automaton.chainBit | UInt32(chainSetOf[target]) << Automaton.setShift
                }
                fastNext[s * width + c] = word
            }
            // Metadata columns (see `loopColumn`).
            fastNext[s * width + classCount] = UInt32(loopOf[s]) | UInt32(accept[s]) << 16
            fastNext[s * width + classCount + 1] =
                isChain(s) ? UInt32(chainSetOf[s]) << 24 | UInt32(chainAt[s]) << 10 | UInt32(chainLeft[s]) : 0
        }
    }

    deinit {
        fastClasses.deallocate()
        fastNext.deallocate()
        fastAction.deallocate()
        fastMasks.deallocate()
        loopTables.deallocate()
        chainRows.deallocate()
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

    @inlinable @inline(__always)
    public init() { tags = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1] }

    /// The range of field `i`, or nil when the field did not occur.
    @inlinable @inline(__always)
    public subscript(field i: Int) -> Range<Int>? {
        let start = Int(tags[2 * i])
        let end = Int(tags[2 * i + 1])
        return start >= 0 && end >= start ? start..<end : nil
    }

    /// The same, read in place: the subscript may copy all 16 tags first, and
    /// loads of that copy wait when the tags were stored just before (as the
    /// shuffle kernel stores them).
    @inlinable @inline(__always)
    public mutating func range(ofField i: Int) -> Range<Int>? {
        withStorage { tags in
            let start = Int(tags[2 * i])
            let end = Int(tags[2 * i + 1])
            return start >= 0 && end >= start ? start..<end : nil
        }
    }

    /// The 16 tags as contiguous Int32 (for the shuffle kernel, which sets them in place).
    @inlinable @inline(__always)
    mutating func withStorage<R>(_ body: (UnsafeMutablePointer<Int32>) -> R) -> R {
        withUnsafeMutableBytes(of: &tags) { body($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
    }

    @inlinable
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
        run(input, from: 0, row: startRow, captures: &captures, recording: true)
    }

    /// Runs over `input` without recording captures.
    @inlinable
    public func match(_ input: UnsafeRawBufferPointer) -> MatchOutcome {
        var unused = CaptureTags()
        return run(input, from: 0, row: startRow, captures: &unused, recording: false)
    }

    /// Runs from offset `from` of `input`, in the state whose row is `row`
    /// (see `row(after:)`): for callers that already checked a prefix.
    @inlinable @inline(__always)
    public func run(
        _ input: UnsafeRawBufferPointer, from: Int, row startingRow: Int, captures: inout CaptureTags, recording: Bool
    ) -> MatchOutcome {
        let count = input.count
        guard count > 0, let bytes = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            let accepting = fastNext[startingRow + classCount] >> 16
            return accepting != 0 && from == count
                ? finish(accepting, count, &captures, recording) : .incomplete(state: startingRow / rowWidth)
        }
        let width = classCount
        var row = startingRow
        var i = from
        if fastNext[row + width] & 0xFFFF != 0 {
            i = skipLoop(bytes, i, count, set: Int(fastNext[row + width] & 0xFFFF))
        } else if fastNext[row + chainColumn] != 0 {
            (i, row) = skipChain(bytes, i, count, row, set: Int(fastNext[row + chainColumn] &>> 24))
        }
        while i < count {
            let t = row &+ Int(fastClasses[Int(bytes[i])])
            let entry = fastNext[t]
            i &+= 1
            if entry < Automaton.deadBit {
                row = Int(entry)
                continue
            }
            // Rare: the byte is rejected, the transition sets tags, or it
            // enters a state worth skipping in.
            if entry == Automaton.deadBit { return .rejected(offset: i &- 1, state: row / rowWidth) }
            row = Int(entry & Automaton.rowMask)
            if recording && entry & Automaton.tagsBit != 0 {
                captures.apply(fastMasks[Int(fastAction[t])], at: i &- 1)
            }
            let set = Int((entry &>> Automaton.setShift) & 0xFF)
            if entry & Automaton.loopBit != 0 {
                i = skipLoop(bytes, i, count, set: set)
            } else if entry & Automaton.chainBit != 0 {
                (i, row) = skipChain(bytes, i, count, row, set: set)
            }
        }
        let accepting = fastNext[row + width] >> 16
        guard accepting != 0 else { return .incomplete(state: row / rowWidth) }
        return finish(accepting, count, &captures, recording)
    }

    /// Skips the bytes of loop set `set` (the state loops on them with no tags).
    @inlinable @inline(__always)
    func skipLoop(_ bytes: UnsafePointer<UInt8>, _ from: Int, _ count: Int, set: Int) -> Int {
        let member = loopTables + (set &<< 8)
        var i = from
        // Four bytes per bounds check: runs (labels, local parts, tokens) are
        // often longer than that.
        while i &+ 4 <= count {
            if member[Int(bytes[i])] == 0 { return i }
            if member[Int(bytes[i &+ 1])] == 0 { return i &+ 1 }
            if member[Int(bytes[i &+ 2])] == 0 { return i &+ 2 }
            if member[Int(bytes[i &+ 3])] == 0 { return i &+ 3 }
            i &+= 4
        }
        while i < count && member[Int(bytes[i])] != 0 { i &+= 1 }
        return i
    }

    /// Skips as many bytes of the chain's set as the chain can take, and
    /// returns where that ends and the row of the chain's state there.
    @inlinable @inline(__always)
    func skipChain(_ bytes: UnsafePointer<UInt8>, _ from: Int, _ count: Int, _ row: Int, set: Int) -> (Int, Int) {
        let info = fastNext[row &+ chainColumn]
        // The same scan as a loop's, stopped where the chain runs out.
        let i = skipLoop(bytes, from, min(count, from &+ Int(info & 0x3FF)), set: set)
        return (i, Int(chainRows[Int((info &>> 10) & 0x3FFF) &+ (i &- from)]))
    }

    @inlinable @inline(__always)
    func finish(_ accepting: UInt32, _ count: Int, _ captures: inout CaptureTags, _ recording: Bool) -> MatchOutcome {
        if recording { captures.apply(fastMasks[Int(accepting) - 1], at: count) }
        return .accepted
    }

    /// The row reached after reading `prefix` from the start, if every
    /// ASCII-case variant of it reaches the same row without setting tags:
    /// then a caller that has matched the prefix case-insensitively may start
    /// there. Nil otherwise. The upper- and lower-case walks must meet after
    /// every byte, so a mixed-case prefix is on the same rows too.
    public func row(after prefix: [UInt8]) -> Int? {
        var row = startRow
        for b in prefix {
            let upper = fastNext[row + Int(fastClasses[Int((b >= 0x61 && b <= 0x7A) ? b & ~0x20 : b)])]
            let lower = fastNext[row + Int(fastClasses[Int((b >= 0x41 && b <= 0x5A) ? b | 0x20 : b)])]
            guard upper == lower, upper & Automaton.tagsBit == 0, upper & Automaton.deadBit == 0 else { return nil }
            row = Int(upper & Automaton.rowMask)
        }
        return row
    }

    /// Whether `byte` leads to the dead state from every state: then a run
    /// over a longer input stops exactly at the first such byte.
    public func rejectsEverywhere(_ byte: UInt8) -> Bool {
        let c = Int(byteClass[Int(byte)])
        return (0..<stateCount).allSatisfy { next[$0 * classCount + c] & ~Automaton.actionFlag == 0 }
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
