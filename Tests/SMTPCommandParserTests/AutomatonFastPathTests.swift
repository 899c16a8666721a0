// The matching layout `Automaton.init` builds, read back field by field and
// compared with the generated tables it comes from (Automaton.swift
// documents both). AutomatonLayoutTests holds the fast walk to a plain walk
// on inputs; this holds the layout itself to its description, so a fast
// path that is lost (a self-loop no longer skipped, a chain cut short) or an
// encoding that only works for today's small tables fails here, not as a
// silent slowdown or a wrong result on a larger grammar.

import XCTest

@testable import SMTPCommandParser
@testable import SMTPParserRuntime

final class AutomatonFastPathTests: XCTestCase {
    static let profiles: [(String, [Automaton])] = [
        ("base", SMTPGrammar.all), ("smtputf8", SMTPGrammarUTF8.all), ("lenient", SMTPGrammarLenient.all),
        ("lenient-smtputf8", SMTPGrammarLenientUTF8.all),
    ]

    /// The transition word's fields do not overlap: flags above the set index,
    /// the set index (8 bits) above the row.
    func testTransitionWordFieldsAreDisjoint() {
        let flags = [Automaton.tagsBit, Automaton.loopBit, Automaton.chainBit, Automaton.deadBit]
        for flag in flags { XCTAssertEqual(flag.nonzeroBitCount, 1, "each flag is one bit: \(String(flag, radix: 16))") }
        XCTAssertEqual(Set(flags).count, 4, "four different flags")
        let setField = UInt32(0xFF) << Automaton.setShift
        XCTAssertEqual(Automaton.rowMask, (1 << Automaton.setShift) - 1, "the row is everything below the set index")
        XCTAssertEqual(setField & Automaton.rowMask, 0)
        for flag in flags {
            XCTAssertEqual(
                flag & (setField | Automaton.rowMask), 0, "flag \(String(flag, radix: 16)) inside the set or row field")
            XCTAssertGreaterThan(flag, Automaton.rowMask)
        }
        // A plain transition (just a row) is below every flag: the hot loop tests `entry < deadBit`.
        XCTAssertEqual(flags.min(), Automaton.deadBit)
        XCTAssertEqual(Automaton.actionFlag, 0x8000, "the generated tables' tag flag (ABNFCompiler writes bit 15)")
    }

    func testEveryTransitionDecodesToTheGeneratedTable() {
        var checked = 0
        for (profile, automata) in Self.profiles {
            for a in automata {
                XCTAssertEqual(a.rowWidth, a.classCount + 2, "\(profile) \(a.rule): transitions, then two metadata columns")
                XCTAssertEqual(a.startRow, a.start * a.rowWidth)
                XCTAssertEqual([a.loopColumn, a.chainColumn], [a.classCount, a.classCount + 1])
                for b in 0..<256 { XCTAssertEqual(a.fastClasses[b], a.byteClass[b]) }
                for (i, mask) in a.tagMasks.enumerated() { XCTAssertEqual(a.fastMasks[i], mask) }
                for s in 0..<a.stateCount {
                    for c in 0..<a.classCount {
                        let generated = a.next[s * a.classCount + c]
                        let target = Int(generated & ~Automaton.actionFlag)
                        let word = a.fastNext[s * a.rowWidth + c]
                        checked += 1
                        guard target != 0 else {
                            XCTAssertEqual(word, Automaton.deadBit, "\(profile) \(a.rule) state \(s) class \(c): dead")
                            continue
                        }
                        XCTAssertEqual(Int(word & Automaton.rowMask), target * a.rowWidth, "\(profile) \(a.rule) \(s)/\(c): row")
                        let tags = generated & Automaton.actionFlag != 0
                        XCTAssertEqual(word & Automaton.tagsBit != 0, tags, "\(profile) \(a.rule) \(s)/\(c): tags flag")
                        XCTAssertEqual(
                            a.fastAction[s * a.rowWidth + c], tags ? a.action[s * a.classCount + c] : 0,
                            "\(profile) \(a.rule) \(s)/\(c): tag mask index")
                        // The target's run is announced on the way in, with its set.
                        let loop = Int(a.fastNext[target * a.rowWidth + a.loopColumn] & 0xFFFF)
                        let chain = a.fastNext[target * a.rowWidth + a.chainColumn]
                        let set = Int((word >> Automaton.setShift) & 0xFF)
                        XCTAssertEqual(word & Automaton.loopBit != 0, loop != 0, "\(profile) \(a.rule) \(s)/\(c): loop flag")
                        XCTAssertEqual(
                            word & Automaton.chainBit != 0, loop == 0 && chain != 0, "\(profile) \(a.rule) \(s)/\(c): chain flag")
                        XCTAssertEqual(
                            set, loop != 0 ? loop : chain != 0 ? Int(chain >> 24) : 0, "\(profile) \(a.rule) \(s)/\(c): set")
                    }
                    XCTAssertEqual(
                        Int(a.fastNext[s * a.rowWidth + a.loopColumn] >> 16), Int(a.accept[s]),
                        "\(profile) \(a.rule) \(s): accept")
                }
            }
        }
        XCTAssertGreaterThan(checked, 50_000)
    }

    /// The bytes on which `s` stays in `s` without setting tags (Automaton.swift: a self-loop).
    func selfLoop(_ a: Automaton, _ s: Int) -> [Bool] {
        (0..<256).map { b in
            let entry = a.next[s * a.classCount + Int(a.byteClass[b])]
            return Int(entry & ~Automaton.actionFlag) == s && entry & Automaton.actionFlag == 0
        }
    }

    func member(_ a: Automaton, set: Int, _ b: Int) -> Bool { a.loopTables[set * 256 + b] != 0 }

    /// Every state that loops on at least `minimumLoopBytes` bytes is skipped with a
    /// membership table of exactly those bytes; no other state is.
    func testEverySelfLoopIsSkippedWithItsOwnBytes() {
        var loops = 0
        for (profile, automata) in Self.profiles {
            for a in automata {
                for b in 0..<256 { XCTAssertFalse(member(a, set: 0, b), "set 0 is the empty set") }
                for s in 1..<a.stateCount {
                    let bytes = selfLoop(a, s)
                    let set = Int(a.fastNext[s * a.rowWidth + a.loopColumn] & 0xFFFF)
                    guard bytes.filter({ $0 }).count >= Automaton.minimumLoopBytes else {
                        XCTAssertEqual(set, 0, "\(profile) \(a.rule) state \(s): a short loop gets no table")
                        continue
                    }
                    loops += 1
                    XCTAssertNotEqual(set, 0, "\(profile) \(a.rule) state \(s) loops on \(bytes.filter { $0 }.count) bytes")
                    for b in 0..<256 where member(a, set: set, b) != bytes[b] {
                        XCTFail(
                            "\(profile) \(a.rule) state \(s): byte \(b) in the table: \(member(a, set: set, b)), loops: \(bytes[b])"
                        )
                        break
                    }
                    XCTAssertEqual(
                        a.fastNext[s * a.rowWidth + a.chainColumn], 0, "\(profile) \(a.rule) state \(s): a loop is no chain")
                }
            }
        }
        XCTAssertGreaterThan(loops, 100, "the grammar's *atext, *VCHAR and the like")
    }

    /// A chain entry says: from here, `left` bytes of the set each move one state on,
    /// through the rows listed in `chainRows`. Checked against the generated table.
    func testEveryChainEntryFollowsTheGeneratedTable() {
        var chains = 0
        for (profile, automata) in Self.profiles {
            for a in automata {
                for s in 1..<a.stateCount {
                    let info = a.fastNext[s * a.rowWidth + a.chainColumn]
                    guard info != 0 else { continue }
                    chains += 1
                    let set = Int(info >> 24)
                    let offset = Int((info >> 10) & 0x3FFF)
                    let left = Int(info & 0x3FF)
                    XCTAssertGreaterThanOrEqual(left, Automaton.minimumChainBytes, "\(profile) \(a.rule) state \(s)")
                    XCTAssertLessThanOrEqual(left, Automaton.maximumChainBytes + 1)
                    let bytes = (0..<256).filter { member(a, set: set, $0) }
                    XCTAssertGreaterThanOrEqual(
                        bytes.count, Automaton.minimumLoopBytes, "\(profile) \(a.rule) state \(s): set size")
                    var state = s
                    for k in 0...left {
                        XCTAssertEqual(
                            Int(a.chainRows[offset + k]), state * a.rowWidth, "\(profile) \(a.rule) chain of \(s), step \(k)")
                        guard k < left else { break }
                        // Every byte of the set moves this state to the same next one, with no tags.
                        let targets = Set(bytes.map { a.next[state * a.classCount + Int(a.byteClass[$0])] })
                        XCTAssertEqual(targets.count, 1, "\(profile) \(a.rule) chain of \(s), step \(k): one target")
                        guard let entry = targets.first, entry & Automaton.actionFlag == 0, entry != 0 else {
                            XCTFail("\(profile) \(a.rule) chain of \(s), step \(k): the set leads nowhere or sets tags")
                            break
                        }
                        state = Int(entry)
                    }
                }
            }
        }
        XCTAssertGreaterThan(chains, 20, "counted repetitions such as 1*128VCHAR and 1*20DIGIT")
    }

    /// The counted runs Automaton.swift names as the reason for chains are chains.
    func testTheDocumentedCountedRunsAreChains() throws {
        func chainLength(_ a: Automaton, after prefix: String) -> Int {
            var state = a.start
            for b in prefix.utf8 { state = Int(a.next[state * a.classCount + Int(a.byteClass[Int(b)])] & ~Automaton.actionFlag) }
            return Int(a.fastNext[state * a.rowWidth + a.chainColumn] & 0x3FF)
        }
        // After the token's first byte (it sets a tag), 127 more VCHAR (1*128VCHAR).
        XCTAssertEqual(chainLength(SMTPGrammar.clientid, after: "CLIENTID UUID xx"), 126)
        // SIZE=1*20DIGIT: after its first digit, 19 more.
        XCTAssertGreaterThanOrEqual(chainLength(SMTPGrammar.sizeParam, after: "SIZE=12"), Automaton.minimumChainBytes)
    }
}
