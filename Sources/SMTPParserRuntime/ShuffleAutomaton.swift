// The shuffle form of an entry rule, which `abnfc generate` writes beside the
// table automata (ABNFCompiler/ShuffleTables.swift says how it is derived):
// the automaton of the rule's common lines in at most 16 states after a
// literal prefix, stepped by a SIMD kernel (SMTPParserKernels) one byte
// shuffle per byte, with no branch and no dependent load per byte.
//
// It only ever accepts: every line it accepts, the table automaton accepts
// with the same captures. Anything else (a line it rejects, a line too long,
// no kernel on this CPU) is handed back, and the table automaton decides.

import SMTPParserKernels

/// The instruction sets the shuffle kernel is compiled for (each chosen at
/// run time by a CPU check; the package needs no compiler flags).
public enum ShuffleKernel: String, Sendable, CaseIterable {
    case ssse3
    case avx2

    @usableFromInline var bit: UInt32 {
        switch self {
        case .ssse3: UInt32(SMTP_SHUFFLE_SSSE3)
        case .avx2: UInt32(SMTP_SHUFFLE_AVX2)
        }
    }

    static let supported = smtp_shuffle_kernels()

    /// Whether this CPU can run it.
    public var isSupported: Bool { ShuffleKernel.supported & bit != 0 }

    /// The kernel to use on this CPU (the newest one it supports), or nil
    /// when it supports none: then only the table automata run.
    public static let best: ShuffleKernel? = allCases.last { $0.isSupported }
}

/// An entry rule's shuffle form (see the file comment).
public final class ShuffleAutomaton: @unchecked Sendable {
    /// The grammar rule.
    public let rule: String
    /// States after the prefix, the dead state included (at most 16).
    public let stateCount: Int
    public let classCount: Int
    /// The literal prefix; letters that match in either case are upper case here.
    public let prefix: [UInt8]
    /// Tag sets in the rule's table automaton's tag numbering; 1...7 ride on transitions.
    public let tagMasks: [UInt64]
    /// The most consecutive bytes any state may read, where a counted
    /// repetition became a loop (0: no such state).
    public let longestRunLimit: Int
    /// What the kernel needs, without a reference to count: a parser keeps
    /// this beside the automaton (which owns the memory) and matches through it.
    public let matcher: ShuffleMatcher
    /// The same automaton as a shift DFA (ShiftMatcher.swift), which decides
    /// acceptance without captures, when it has at most `ShiftMatcher.maxStates` states.
    public let shift: ShiftMatcher?
    let tables: UnsafeMutablePointer<smtp_shuffle_tables>
    let rows: UnsafeMutableRawPointer

    /// Decodes the tables the generator writes: base64 of the prefix length,
    /// the prefix, one fold flag per prefix byte, the state and class counts,
    /// the class of every byte, 16 bytes per class of transitions, the accept
    /// value of every state (16) and the run limit of every state (16, UInt16
    /// little-endian).
    public init(rule: String, tagMasks: [UInt64], tables: String) {
        self.rule = rule
        self.tagMasks = tagMasks
        let bytes = Base64.decode(tables)
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8> {
            defer { offset += count }
            precondition(offset + count <= bytes.count, "shuffle tables of \(rule) are truncated")
            return bytes[offset..<(offset + count)]
        }
        let length = Int(take(1).first!)
        precondition(length <= 16, "the shuffle prefix of \(rule) is longer than 16 bytes")
        let prefixBytes = Array(take(length))
        prefix = prefixBytes
        let folds = take(length).map { $0 != 0 }
        let states = Int(take(1).first!)
        let classes = Int(take(1).first!)
        precondition(states <= 16 && classes >= 1, "the shuffle tables of \(rule) have impossible sizes")
        stateCount = states
        classCount = classes
        let byteClass = Array(take(256))
        let next = Array(take(16 * classes))
        let accept = Array(take(16))
        let limitBytes = Array(take(32))
        precondition(offset == bytes.count, "shuffle tables of \(rule) have trailing bytes")
        precondition(byteClass.allSatisfy { Int($0) < classes }, "shuffle tables of \(rule): a byte class out of range")
        precondition(
            next.allSatisfy { Int($0 & 0x0F) < states && Int($0 >> 4) < min(tagMasks.count, 8) },
            "shuffle tables of \(rule): a transition out of range")
        precondition(accept.allSatisfy { Int($0) < tagMasks.count }, "shuffle tables of \(rule): an accept value out of range")
        precondition(
            tagMasks.count <= Int(SMTP_SHUFFLE_MAX_SETS) && tagMasks.allSatisfy { $0 >> 16 == 0 },
            "shuffle tables of \(rule): more tag sets than the kernel takes, or a tag beyond the capture record")
        let limits = (0..<16).map { Int(limitBytes[2 * $0]) | Int(limitBytes[2 * $0 + 1]) << 8 }
        longestRunLimit = limits.max() ?? 0

        var t = smtp_shuffle_tables()
        // The kernel reads a row per byte value (no class lookup on its path).
        let byteRows = UnsafeMutableRawPointer.allocate(byteCount: 16 * 256, alignment: 64)
        for b in 0..<256 {
            let row = 16 * Int(byteClass[b])
            for lane in 0..<16 { byteRows.storeBytes(of: next[row + lane], toByteOffset: 16 * b + lane, as: UInt8.self) }
        }
        rows = byteRows
        t.rows = UnsafePointer(byteRows.assumingMemoryBound(to: UInt8.self))
        withUnsafeMutableBytes(of: &t.prefix) { out in
            for (i, b) in prefixBytes.enumerated() { out[i] = folds[i] ? b | 0x20 : b }
        }
        withUnsafeMutableBytes(of: &t.prefix_fold) { out in
            for i in 0..<length where folds[i] { out[i] = 0x20 }
        }
        withUnsafeMutableBytes(of: &t.prefix_keep) { out in
            for i in 0..<length { out[i] = 0xFF }
        }
        t.prefix_length = UInt8(length)
        withUnsafeMutableBytes(of: &t.accept) { $0.copyBytes(from: accept) }
        withUnsafeMutableBytes(of: &t.set_tags) { out in
            for (i, mask) in tagMasks.enumerated() { out.storeBytes(of: UInt16(mask), toByteOffset: 2 * i, as: UInt16.self) }
        }
        withUnsafeMutableBytes(of: &t.first_tag) { out in
            for i in 0..<Int(SMTP_SHUFFLE_MAX_SETS) {
                out[i] = i < tagMasks.count && tagMasks[i] != 0 ? UInt8(tagMasks[i].trailingZeroBitCount) : 16
            }
        }
        t.single_tag_sets = tagMasks.prefix(8).allSatisfy { $0.nonzeroBitCount <= 1 } ? 1 : 0
        t.has_limits = limits.contains { $0 != 0 } ? 1 : 0
        withUnsafeMutableBytes(of: &t.run_limit) { out in
            for q in 0..<16 { out.storeBytes(of: UInt16(limits[q]), toByteOffset: 2 * q, as: UInt16.self) }
        }
        shift = ShiftMatcher.derive(stateCount: states, byteClass: byteClass, next: next, accept: accept, limits: limits)
        let stored = UnsafeMutablePointer<smtp_shuffle_tables>.allocate(capacity: 1)
        stored.initialize(to: t)
        self.tables = stored
        // A form that is its prefix alone ("QUIT\r\n", "SMTPUTF8") is matched
        // here, without the kernel: state 1 accepts and reads nothing.
        let literal = length <= 16 && accept[1] != 0 && (0..<classes).allSatisfy { next[16 * $0 + 1] == 0 }
        var words: [UInt64] = [0, 0]
        var foldWords: [UInt64] = [0, 0]
        for (i, b) in prefixBytes.enumerated() {
            words[i / 8] |= UInt64(folds[i] ? b | 0x20 : b) << (8 * UInt64(i % 8))
            foldWords[i / 8] |= UInt64(folds[i] ? 0x20 : 0) << (8 * UInt64(i % 8))
        }
        matcher = ShuffleMatcher(
            tables: UnsafePointer(stored), literalLength: literal ? length : -1, literalLow: words[0], literalHigh: words[1],
            foldLow: foldWords[0], foldHigh: foldWords[1], literalTags: literal ? UInt16(tagMasks[Int(accept[1])]) : 0)
    }

    deinit {
        shift?.rows.deallocate()
        rows.deallocate()
        tables.deallocate()
    }
}

/// An entry rule's shuffle form as the kernel reads it: a pointer into
/// memory its `ShuffleAutomaton` owns, so that matching through it counts no
/// references. Valid while that automaton lives (the generated ones live as
/// long as the program).
public struct ShuffleMatcher: @unchecked Sendable {
    @usableFromInline let tables: UnsafePointer<smtp_shuffle_tables>
    /// For a form that is its prefix alone: the prefix's length (else -1),
    /// as little-endian words with letters in lower case, the bits to OR
    /// into the input first (0x20 on letters that match in either case), and
    /// the tags it sets at the end.
    public let literalLength: Int
    @usableFromInline let literalLow: UInt64, literalHigh: UInt64, foldLow: UInt64, foldHigh: UInt64
    @usableFromInline let literalTags: UInt16

    /// Runs over all of `input` (the prefix, then the automaton) with
    /// `kernel`. True: the rule accepts it, and `captures` holds its capture
    /// positions (the tags the run sets; others are left as they were).
    /// False: not decided here, `captures` untouched; ask the table automaton.
    @inlinable @inline(__always)
    public func match(_ input: UnsafeRawBufferPointer, captures: inout CaptureTags, kernel: ShuffleKernel) -> Bool {
        guard let base = input.baseAddress else { return false }
        if literalLength >= 0 {
            guard input.count == literalLength, isLiteral(base) else { return false }
            return captures.withStorage { tags in
                var m = literalTags
                while m != 0 {
                    tags[m.trailingZeroBitCount] = Int32(truncatingIfNeeded: literalLength)
                    m &= m &- 1
                }
                return true
            }
        }
        return captures.withStorage { tags in
            smtp_shuffle_run(kernel.bit, tables, base.assumingMemoryBound(to: UInt8.self), input.count, tags) > 0
        }
    }

    /// Whether the `literalLength` bytes at `base` spell the literal; read as
    /// words with overlapping loads that stay inside them.
    @inlinable @inline(__always)
    func isLiteral(_ base: UnsafeRawPointer) -> Bool {
        let count = literalLength
        let a: UInt64
        var b: UInt64 = 0
        if count >= 8 {
            a = base.loadUnaligned(as: UInt64.self).littleEndian
            // The second word ends at the literal's end; its bytes past the first word, shifted down.
            if count > 8 {
                b = base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self).littleEndian &>> (8 &* UInt64(16 &- count))
            }
        } else if count >= 4 {
            let low = UInt64(base.loadUnaligned(as: UInt32.self).littleEndian)
            let high = UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self).littleEndian)
            a = low | high &<< (8 &* UInt64(count &- 4))
        } else {
            var word: UInt64 = 0
            for i in 0..<count { word |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &<< (8 &* UInt64(i)) }
            a = word
        }
        return a | foldLow == literalLow && b | foldHigh == literalHigh
    }
}
