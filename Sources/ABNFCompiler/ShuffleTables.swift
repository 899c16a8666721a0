// The shuffle form of an entry rule: the automaton of its common lines in
// at most 16 states, so that the parser's SIMD kernel can step it one byte
// per byte shuffle (`pshufb`/`tbl`: the state is the index into a 16-byte
// row chosen by the byte's class), with no branch and no dependent load per
// byte. It is derived from the grammar like the table automaton, with three
// changes, each of which keeps every line it accepts accepted by the table
// automaton with the same captures:
//
// 1. The rules the manifest lists after `shuffle except` match nothing (quoted
//    local parts, address literals, source routes: alternatives whose states
//    would not fit). The language shrinks; captures are unambiguous in the
//    full grammar (DFA.swift), so every parse left gives the same positions.
// 2. The literal prefix ("MAIL FROM:<") is taken off and compared as words.
// 3. A chain of states that count a bounded repetition (`1*128VCHAR`) becomes
//    one state that loops, with a limit on how many consecutive bytes it may
//    take: the kernel checks the limit after the run, so a longer run is left
//    to the table automaton.
//
// A line the shuffle form does not accept is never rejected by it: the parser
// runs the table automaton, which gives the verdict and the error.

import ABNF

/// An entry rule's shuffle form (see the file comment), as the generator
/// emits it for `ShuffleAutomaton` in SMTPParserRuntime.
public struct ShuffleTables: Sendable, Equatable {
    /// States the kernel can index with one byte shuffle, the dead state 0 included.
    public static let maxStates = 16
    /// Tag sets a transition can carry (3 bits of the state byte beside the 4 of the state).
    public static let maxTransitionMasks = 7
    /// The longest literal prefix compared as words (two 64-bit words).
    public static let maxPrefix = 16

    public var rule: String
    /// The literal prefix; a letter that matches in either case is stored upper case.
    public var prefix: [UInt8]
    /// Per prefix byte: whether it matches in either letter case.
    public var prefixFolds: [Bool]
    /// States after the prefix, the dead state 0 included; the first byte after the prefix is read in state 1.
    public var stateCount: Int
    public var classCount: Int
    /// The class of every byte value.
    public var byteClass: [UInt8]
    /// `next[class * 16 + state]`: the target state in the low 4 bits and the
    /// index of its tag set in `tagMasks` (1...7, 0 for none) in bits 4-6.
    public var next: [UInt8]
    /// Per state (16 entries): 0 rejects; k > 0 accepts and sets `tagMasks[k]` at the end.
    public var accept: [UInt8]
    /// Per state (16 entries): the most consecutive bytes the state may read (0: no limit).
    public var runLimit: [Int]
    /// Tag sets in the table automaton's tag numbering; `tagMasks[0]` is empty.
    public var tagMasks: [UInt64]
}

public enum ShuffleTableBuilder {
    /// Why a rule has no shuffle form.
    public struct Unsuitable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The shuffle form of entry rule `rule`, whose table automaton has
    /// capture fields `fields`; rules in `excluded` (by name) match nothing.
    public static func build(_ grammar: Grammar, rule: String, fields: [String], excluding excluded: [String]) throws
        -> Result<ShuffleTables, Unsuitable>
    {
        let keys = Set(excluded.compactMap { grammar[$0]?.key })
        let dfa = try DFABuilder.build(grammar, rule: rule, captures: true, excluding: keys)
        guard dfa.stateCount > 1 else { return .failure(Unsuitable(description: "the excluded rules leave nothing")) }
        let (prefix, folds, afterPrefix) = literalPrefix(dfa)
        let sub = subautomaton(dfa, from: afterPrefix).dfa
        let (relaxed, limits) = relaxChains(sub)
        let minimal = DFABuilder.minimize(relaxed, labels: limits)
        let minimalLimits = labels(of: minimal, from: relaxed, limits)
        guard minimal.stateCount <= ShuffleTables.maxStates else {
            return .failure(
                Unsuitable(description: "\(minimal.stateCount) states after the prefix, more than \(ShuffleTables.maxStates)"))
        }
        // Tag sets, renumbered into the table automaton's fields.
        func remap(_ mask: UInt64) -> UInt64 {
            var out: UInt64 = 0
            var m = mask
            while m != 0 {
                let t = m.trailingZeroBitCount
                m &= m - 1
                guard let field = fields.firstIndex(of: minimal.fields[t / 2]) else { continue }
                out |= 1 << UInt64(2 * field + t % 2)
            }
            return out
        }
        var tagMasks: [UInt64] = [0]
        func index(_ mask: UInt64) -> Int {
            let remapped = remap(mask)
            if let i = tagMasks.firstIndex(of: remapped) { return i }
            tagMasks.append(remapped)
            return tagMasks.count - 1
        }
        let k = minimal.classCount
        var next = [UInt8](repeating: 0, count: k * 16)
        for s in 1..<minimal.stateCount {
            for c in 0..<k {
                let target = minimal.next[s * k + c]
                guard target != 0 else { continue }
                let mask = index(minimal.tagMasks[minimal.action[s * k + c]])
                guard mask <= ShuffleTables.maxTransitionMasks else {
                    let most = ShuffleTables.maxTransitionMasks
                    return .failure(Unsuitable(description: "more than \(most) tag sets on transitions"))
                }
                next[c * 16 + s] = UInt8(target) | UInt8(mask) << 4
            }
        }
        var accept = [UInt8](repeating: 0, count: 16)
        for s in 1..<minimal.stateCount where minimal.accept[s] > 0 {
            let mask = index(minimal.tagMasks[minimal.accept[s] - 1])
            guard mask < 256 else { return .failure(Unsuitable(description: "too many tag sets")) }
            accept[s] = UInt8(mask)
            // 0 means "rejects": an accept without tags uses a second, empty entry.
            if mask == 0 {
                if let empty = tagMasks.indices.dropFirst().first(where: { tagMasks[$0] == 0 }) {
                    accept[s] = UInt8(empty)
                } else {
                    tagMasks.append(0)
                    accept[s] = UInt8(tagMasks.count - 1)
                }
            }
        }
        return .success(
            ShuffleTables(
                rule: rule, prefix: prefix, prefixFolds: folds, stateCount: minimal.stateCount, classCount: k,
                byteClass: minimal.byteClass, next: next, accept: accept,
                runLimit: (0..<16).map { $0 < minimalLimits.count ? minimalLimits[$0] : 0 }, tagMasks: tagMasks))
    }

    /// The longest literal the automaton must read first: from the start,
    /// while a state is not accepting and moves to one other state, without
    /// tags, on one byte or on the two cases of one letter.
    static func literalPrefix(_ dfa: DFA) -> (prefix: [UInt8], folds: [Bool], state: Int) {
        var prefix: [UInt8] = []
        var folds: [Bool] = []
        var s = dfa.start
        while prefix.count < ShuffleTables.maxPrefix && dfa.accept[s] == 0 {
            var target = -1
            var bytes: [UInt8] = []
            var plain = true
            for b in 0..<256 {
                let t = s * dfa.classCount + Int(dfa.byteClass[b])
                guard dfa.next[t] != 0 else { continue }
                if dfa.action[t] != 0 || (target >= 0 && dfa.next[t] != target) { plain = false }
                target = dfa.next[t]
                bytes.append(UInt8(b))
            }
            let letterPair = bytes.count == 2 && bytes[0] | 0x20 == bytes[1] && bytes[1] >= 0x61 && bytes[1] <= 0x7A
            guard plain, target > 0, target != s, bytes.count == 1 || letterPair else { break }
            prefix.append(letterPair ? bytes[0] : bytes[0])
            folds.append(letterPair)
            s = target
        }
        return (prefix, folds, s)
    }

    /// The part of `dfa` reachable from `state`, renumbered: 0 dead, 1
    /// `state`; `order[i]` is the state of `dfa` that became state i.
    static func subautomaton(_ dfa: DFA, from state: Int) -> (dfa: DFA, order: [Int]) {
        let k = dfa.classCount
        var number = [Int](repeating: -1, count: dfa.stateCount)
        number[0] = 0
        number[state] = 1
        var order = [0, state]
        var head = 1
        while head < order.count {
            let s = order[head]
            head += 1
            for c in 0..<k where number[dfa.next[s * k + c]] < 0 {
                number[dfa.next[s * k + c]] = order.count
                order.append(dfa.next[s * k + c])
            }
        }
        var sub = dfa
        sub.stateCount = order.count
        sub.start = 1
        sub.next = order.flatMap { s in (0..<k).map { number[dfa.next[s * k + $0]] } }
        sub.action = order.flatMap { s in (0..<k).map { dfa.action[s * k + $0] } }
        sub.accept = order.map { dfa.accept[$0] }
        sub.stateRule = order.map { dfa.stateRule[$0] }
        return (sub, order)
    }

    /// Collapses each chain of states counting a bounded repetition into its
    /// first state, which then loops; returns each state's run limit (0: none).
    ///
    /// A chain c1 … cn: every ci (i < n) moves to ci+1 on the same byte set S,
    /// without tags, and on no other byte; cn rejects every byte of S; every
    /// ci has the same transitions (targets and tags) on the bytes outside S,
    /// and the same acceptance; and only ci-1 leads to ci (i ≥ 2). Then a run of the collapsed state
    /// that is at most n bytes long corresponds, byte for byte, to a path
    /// through the chain: the state at the run's j-th byte is some ci with
    /// i ≤ j, which reads the same bytes the same way.
    static func relaxChains(_ dfa: DFA) -> (DFA, [Int]) {
        let k = dfa.classCount
        let n = dfa.stateCount
        var incoming = [[Int]](repeating: [], count: n)
        for s in 1..<n {
            for c in 0..<k where dfa.next[s * k + c] != 0 { incoming[dfa.next[s * k + c]].append(s) }
        }
        for s in 0..<n { incoming[s] = Array(Set(incoming[s])).sorted() }
        /// Classes on which `s` moves to `t`, if none of them sets tags.
        func classes(_ s: Int, to t: Int) -> [Int]? {
            let cs = (0..<k).filter { dfa.next[s * k + $0] == t }
            return cs.allSatisfy { dfa.action[s * k + $0] == 0 } ? cs : nil
        }
        func sameOutside(_ a: Int, _ b: Int, _ set: [Int]) -> Bool {
            dfa.accept[a] == dfa.accept[b]
                && (0..<k).allSatisfy { c in
                    set.contains(c)
                        || (dfa.next[a * k + c] == dfa.next[b * k + c] && dfa.action[a * k + c] == dfa.action[b * k + c])
                }
        }
        var chainOf = [Int](repeating: -1, count: n)  // the chain's first state
        var limit = [Int](repeating: 0, count: n)
        // State 1 is read before the first byte the kernel records, so it starts no chain.
        for first in 2..<max(n, 2) where chainOf[first] < 0 {
            for t in Set((0..<k).map { dfa.next[first * k + $0] }).sorted() where t > 1 && t != first && chainOf[t] < 0 {
                guard let set = classes(first, to: t), !set.isEmpty, incoming[t] == [first], sameOutside(first, t, set) else {
                    continue
                }
                var chain = [first, t]
                while let last = chain.last, let u = set.first.map({ dfa.next[last * k + $0] }), u > 1, !chain.contains(u),
                    chainOf[u] < 0, classes(last, to: u) == set, incoming[u] == [last], sameOutside(first, u, set)
                {
                    chain.append(u)
                }
                // A bounded repetition ends in the dead state: its last state reads no more of S.
                guard let last = chain.last, set.allSatisfy({ dfa.next[last * k + $0] == 0 }) else { continue }
                for s in chain { chainOf[s] = first }
                limit[first] = chain.count
                break
            }
        }
        var relaxed = dfa
        for s in 1..<n where chainOf[s] >= 0 {
            let first = chainOf[s]
            for c in 0..<k {
                let t = dfa.next[s * k + c]
                relaxed.next[s * k + c] = t > 0 && chainOf[t] == first && dfa.action[s * k + c] == 0 ? first : t
            }
        }
        // The chain's other states are now unreachable and drop out.
        let (sub, order) = subautomaton(relaxed, from: 1)
        return (sub, order.map { limit[$0] })
    }

    /// Per state of `minimal` (the minimisation of `original` with `labels`),
    /// the label of the states it stands for: the two automata read the same
    /// bytes from their starts into corresponding states.
    static func labels(of minimal: DFA, from original: DFA, _ labels: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: minimal.stateCount)
        guard minimal.stateCount > 1 else { return out }
        var seen = [Bool](repeating: false, count: minimal.stateCount)
        var work = [(minimal.start, original.start)]
        seen[minimal.start] = true
        while let (m, o) = work.popLast() {
            out[m] = labels[o]
            for b in 0..<256 {
                let mt = minimal.next[m * minimal.classCount + Int(minimal.byteClass[b])]
                let ot = original.next[o * original.classCount + Int(original.byteClass[b])]
                if mt != 0 && !seen[mt] {
                    seen[mt] = true
                    work.append((mt, ot))
                }
            }
        }
        return out
    }
}
