// ShuffleAutomaton's decoder and matcher, on small tables written here in the
// generator's format (ShuffleAutomaton.init says it): the generated forms
// exercise only the sizes the grammar happens to need (literals of 6, 8 and
// 10 bytes, a few tag sets), so each boundary of the format is held here: a
// prefix and a literal of every length up to 16, folded and exact prefix
// bytes, tags on transitions and at the end, tag sets of one and of several
// tags, and a state's run limit.

import XCTest

@testable import SMTPParserRuntime

#if canImport(Glibc)
import Glibc
#endif

final class ShuffleAutomatonTests: XCTestCase {
    /// The tables in the generator's format (base64 of the fields in order).
    static func tables(
        prefix: String, folds: [Bool]? = nil, states: Int, classes: Int, byteClass: [UInt8] = Array(repeating: 0, count: 256),
        next: [UInt8]? = nil, accept: [UInt8], limits: [UInt16] = Array(repeating: 0, count: 16)
    ) -> String {
        let p = Array(prefix.utf8)
        var bytes = [UInt8(p.count)] + p + (folds ?? p.map { (0x41...0x5A).contains($0 & ~0x20) }).map { $0 ? 1 : 0 }
        bytes += [UInt8(states), UInt8(classes)] + byteClass + (next ?? Array(repeating: 0, count: 16 * classes))
        bytes += accept + Array(repeating: 0, count: 16 - accept.count)
        bytes += limits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        return AutomatonAPITests.base64(bytes)
    }

    /// A form that is its prefix alone: state 1 accepts, setting tag 1.
    static func literal(_ prefix: String, folds: [Bool]? = nil) -> ShuffleAutomaton {
        ShuffleAutomaton(
            rule: "literal", tagMasks: [0, 1 << 1],
            tables: tables(prefix: prefix, folds: folds, states: 2, classes: 1, accept: [0, 1]))
    }

    /// The digits form's tables, with one part changed.
    static func digitsTables(
        states: Int = 3, classes: Int = 2, digitClass: UInt8 = 1, firstDigit: UInt8 = 0x12, accept: UInt8 = 2
    ) -> String {
        var byteClass = [UInt8](repeating: 0, count: 256)
        for b in 0x30...0x39 { byteClass[b] = digitClass }
        var next = [UInt8](repeating: 0, count: 16 * classes)
        if classes > 1 {
            next[16 + 1] = firstDigit  // digit in state 1: to 2, tag set 1
            next[16 + 2] = 0x02  // digit in state 2: stay
        }
        var limits = [UInt16](repeating: 0, count: 16)
        limits[2] = 9
        return tables(
            prefix: "AB:", states: states, classes: classes, byteClass: byteClass, next: next, accept: [0, 0, accept],
            limits: limits)
    }

    static let digitsMasks: [UInt64] = [0, 1 << 0, 1 << 1 | 1 << 3]

    /// "AB:" (letters in either case) then 1-9 digits: a transition's tag set
    /// starts field 0 at the first digit; at the end, set 2 ends fields 0 and 1
    /// (two tags in one set). State 2 reads at most 9 digits.
    static let digits = ShuffleAutomaton(rule: "digits", tagMasks: digitsMasks, tables: digitsTables())

    static var kernels: [ShuffleKernel] { ShuffleKernel.allCases.filter(\.isSupported) }

    /// The tags a match sets (nil: not accepted; -1: not set).
    func run(_ form: ShuffleAutomaton, _ input: String, _ kernel: ShuffleKernel) -> [Int32]? {
        run(form, bytes: Array(input.utf8), kernel)
    }

    func tags(_ set: [Int: Int32]) -> [Int32] { (0..<16).map { set[$0] ?? -1 } }

    func testAnX86CPUThatRunsAVX2RunsSSSE3() throws {
        #if arch(x86_64)
        if ShuffleKernel.avx2.isSupported { XCTAssertTrue(ShuffleKernel.ssse3.isSupported) }
        XCTAssertEqual(ShuffleKernel.best, ShuffleKernel.allCases.last { $0.isSupported })
        #else
        throw XCTSkip("the kernels are x86-64 ones")
        #endif
    }

    func testTheDecodedSizes() {
        let form = Self.digits
        XCTAssertEqual(form.prefix, Array("AB:".utf8))
        XCTAssertEqual(form.stateCount, 3)
        XCTAssertEqual(form.classCount, 2)
        XCTAssertEqual(form.longestRunLimit, 9)
        XCTAssertEqual(form.matcher.literalLength, -1, "state 1 reads digits: not a literal")
        XCTAssertEqual(Self.literal("QUIT").longestRunLimit, 0)
    }

    /// Literals of every length the format allows, each byte of them checked:
    /// the matcher reads them as words of 4 and 8 bytes with overlapping loads.
    func testALiteralOfEveryLengthMatchesItselfOnly() {
        let alphabet = Array("Q1W2E3R4T5Y6U7I8".utf8)
        for length in 1...16 {
            let text = Array(alphabet.prefix(length))
            let form = Self.literal(String(decoding: text, as: UTF8.self))
            XCTAssertEqual(form.matcher.literalLength, length, "\(length) bytes: a literal")
            let lower = text.map(asciiLower)
            for kernel in ShuffleKernel.allCases {
                for input in [text, lower] {
                    XCTAssertEqual(
                        run(form, String(decoding: input, as: UTF8.self), kernel), tags([1: Int32(length)]), "\(input)")
                }
                for k in 0..<length {
                    for flip: UInt8 in [0x01, 0x40, 0x80] {
                        var other = text
                        other[k] ^= flip
                        XCTAssertNil(
                            run(form, String(decoding: other, as: UTF8.self), kernel), "\(length) bytes, byte \(k) ^ \(flip)")
                    }
                }
                XCTAssertNil(run(form, String(decoding: text.dropLast(), as: UTF8.self), kernel), "\(length) bytes: one short")
                XCTAssertNil(run(form, String(decoding: text + [0x51], as: UTF8.self), kernel), "\(length) bytes: one more")
            }
        }
    }

    /// A literal sets every tag of its tag set at its end, tag 0 included.
    func testALiteralSetsEachTagOfItsSet() {
        let form = ShuffleAutomaton(
            rule: "literal", tagMasks: [0, 1 << 0 | 1 << 1 | 1 << 15],
            tables: Self.tables(prefix: "QUIT", states: 2, classes: 1, accept: [0, 1]))
        for kernel in ShuffleKernel.allCases {
            XCTAssertEqual(run(form, "quit", kernel), tags([0: 4, 1: 4, 15: 4]), "\(kernel)")
        }
    }

    /// A prefix byte marked exact ("A" with no fold) does not match "a"; one
    /// marked folded does. A non-letter is never folded by the generator.
    func testPrefixFoldsFollowTheTable() {
        let form = Self.literal("AB:", folds: [false, true, false])
        for kernel in ShuffleKernel.allCases {
            XCTAssertNotNil(run(form, "Ab:", kernel))
            XCTAssertNotNil(run(form, "AB:", kernel))
            XCTAssertNil(run(form, "aB:", kernel), "A is exact")
            XCTAssertNil(run(form, "AB\u{1A}", kernel), ": is exact")
        }
    }

    /// Through the kernel: the prefix in either case, tags on the transition
    /// and at the end (a set of two tags), the run limit, and what it leaves
    /// to the tables (rejected, incomplete, past the limit).
    func testTheKernelRunsTheTables() throws {
        let kernels = Self.kernels
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel") }
        let form = Self.digits
        for kernel in kernels {
            XCTAssertEqual(run(form, "AB:1", kernel), tags([0: 3, 1: 4, 3: 4]), "\(kernel)")
            XCTAssertEqual(run(form, "ab:123456789", kernel), tags([0: 3, 1: 12, 3: 12]), "\(kernel): 9 digits, the limit")
            for rejected in ["AB:", "AB:12x", "AB;12", "AC:12", "AB:1234567890", "ab:12 "] {
                XCTAssertNil(run(form, rejected, kernel), "\(kernel): \(rejected)")
            }
        }
    }

    /// Tags the run does not set are left as they were; a rejected run sets none.
    func testAMatchSetsOnlyItsTags() throws {
        let kernels = Self.kernels
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel") }
        for kernel in kernels {
            var tags = CaptureTags()
            tags.apply(1 << 5 | 1 << 2, at: 7)
            let before = tags
            let rejected = Array("AB:x".utf8).withUnsafeBytes { Self.digits.matcher.match($0, captures: &tags, kernel: kernel) }
            XCTAssertFalse(rejected)
            XCTAssertEqual(tags, before)
            let taken = Array("AB:42".utf8).withUnsafeBytes { Self.digits.matcher.match($0, captures: &tags, kernel: kernel) }
            XCTAssertTrue(taken)
            XCTAssertEqual((0..<16).map { tags.tags[$0] }, self.tags([0: 3, 1: 5, 2: 7, 3: 5, 5: 7]))
        }
    }

    /// The largest sizes the format takes decode: a 16-byte prefix, 16
    /// states, the kernel's number of tag sets with tags up to 15.
    func testTheLargestTablesDecode() throws {
        var next = [UInt8](repeating: 0, count: 16)
        next[15] = 0x7F  // state 15 loops, setting tag set 7: the highest a transition carries
        let masks = (0..<Int(32)).map { $0 == 0 ? UInt64(0) : 1 << UInt64($0 % 16) }
        let form = ShuffleAutomaton(
            rule: "large", tagMasks: masks,
            tables: Self.tables(prefix: "ABCDEFGHIJKLMNOP", states: 16, classes: 1, next: next, accept: [0, 31]))
        XCTAssertEqual(form.stateCount, 16)
        XCTAssertEqual(form.prefix.count, 16)
        XCTAssertEqual(form.matcher.literalLength, 16)
        for kernel in ShuffleKernel.allCases {
            XCTAssertEqual(run(form, "abcdefghijklmnop", kernel), tags([15: 16]))
        }
    }

    /// A form over raw bytes: `prefix`, then bytes of class 1 (`members`)
    /// through `chain` states (1 → 2 → … → chain, which loops), the first
    /// setting tag set `firstSet`, state `chain` accepting with set `acceptSet`; `limit` on
    /// state `chain`.
    static func chain(
        _ chain: Int, members: [UInt8], masks: [UInt64], prefix: String = "AB:", folds: [Bool]? = nil, firstSet: UInt8 = 1,
        acceptSet: UInt8 = 2, limit: UInt16 = 0
    ) -> ShuffleAutomaton {
        var byteClass = [UInt8](repeating: 0, count: 256)
        for b in members { byteClass[Int(b)] = 1 }
        var next = [UInt8](repeating: 0, count: 32)
        for q in 1..<chain { next[16 + q] = UInt8(q + 1) | (q == 1 ? firstSet << 4 : 0) }
        next[16 + chain] = UInt8(chain)
        var accept = [UInt8](repeating: 0, count: 16)
        accept[chain] = acceptSet
        var limits = [UInt16](repeating: 0, count: 16)
        limits[chain] = limit
        let t = tables(
            prefix: prefix, folds: folds, states: chain + 1, classes: 2, byteClass: byteClass, next: next, accept: accept,
            limits: limits)
        return ShuffleAutomaton(rule: "chain", tagMasks: masks, tables: t)
    }

    func run(_ form: ShuffleAutomaton, bytes: [UInt8], _ kernel: ShuffleKernel) -> [Int32]? {
        var tags = CaptureTags()
        let taken = bytes.withUnsafeBytes { form.matcher.match($0, captures: &tags, kernel: kernel) }
        return taken ? (0..<16).map { tags.tags[$0] } : nil
    }

    /// The edges of the tables: a byte row for bytes 0x00 and 0xFF, a run
    /// limit past 255, the sixteenth state's transitions and limit, an exact
    /// prefix letter, a form whose start state neither reads nor accepts.
    func testTheEdgesOfTheTables() throws {
        let kernels = Self.kernels
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel") }
        let ab = Array("AB:".utf8)
        let single: [UInt64] = [0, 1 << 0, 1 << 1]
        for kernel in kernels {
            let ends = Self.chain(2, members: [0x00, 0xFF], masks: single)
            XCTAssertEqual(run(ends, bytes: ab + [0x00, 0xFF, 0x00], kernel), tags([0: 3, 1: 6]), "\(kernel): NUL and 0xFF")
            XCTAssertNil(run(ends, bytes: ab + [0x00, 0xFE], kernel), "\(kernel): 0xFE is not in the class")

            let long = Self.chain(2, members: Array("0123456789".utf8), masks: single, limit: 300)
            XCTAssertEqual(long.longestRunLimit, 300)
            let digits = [UInt8](repeating: 0x37, count: 301)
            XCTAssertEqual(run(long, bytes: ab + digits.dropLast(), kernel), tags([0: 3, 1: 303]), "\(kernel): 300 digits")
            XCTAssertNil(run(long, bytes: ab + digits + [0x37], kernel), "\(kernel): 302 digits, past the limit")

            let sixteen = Self.chain(15, members: Array("0123456789".utf8), masks: single, limit: 20)
            XCTAssertEqual(sixteen.stateCount, 16)
            for n in 14...35 {
                let expected = n <= 33 ? tags([0: 3, 1: Int32(3 + n)]) : nil
                XCTAssertEqual(
                    run(sixteen, bytes: ab + [UInt8](repeating: 0x31, count: n), kernel), expected, "\(kernel): \(n) digits")
            }

            let exact = Self.chain(2, members: [0x31], masks: single, folds: [false, true, false])
            XCTAssertNotNil(run(exact, bytes: Array("Ab:1".utf8), kernel), "\(kernel): B folds")
            XCTAssertNil(run(exact, bytes: Array("aB:1".utf8), kernel), "\(kernel): A is exact")

            let stuck = ShuffleAutomaton(
                rule: "stuck", tagMasks: [0, 1], tables: Self.tables(prefix: "AB", states: 2, classes: 1, accept: [0, 0]))
            XCTAssertEqual(stuck.matcher.literalLength, -1, "its start state does not accept")
            XCTAssertNil(run(stuck, bytes: Array("AB".utf8), kernel))

            // A start state that accepts and also reads (class 0, the only one) is no literal.
            var loop = [UInt8](repeating: 0, count: 16)
            loop[1] = 0x01
            let reads = ShuffleAutomaton(
                rule: "reads", tagMasks: [0, 1 << 1],
                tables: Self.tables(prefix: "AB", states: 2, classes: 1, next: loop, accept: [0, 1]))
            XCTAssertEqual(reads.matcher.literalLength, -1, "its start state reads")
            XCTAssertEqual(run(reads, bytes: Array("ABxy".utf8), kernel), tags([1: 4]), "\(kernel)")
        }
    }

    /// A tag set of several tags on a transition sets each of them; so does
    /// one in the eighth set, the last a transition can carry.
    func testTransitionSetsOfSeveralTags() throws {
        let kernels = Self.kernels
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel") }
        let digits = Array("0123456789".utf8)
        for kernel in kernels {
            let two = Self.chain(2, members: digits, masks: [0, 1 << 0 | 1 << 2, 1 << 1])
            XCTAssertEqual(run(two, "AB:12", kernel), tags([0: 3, 1: 5, 2: 3]), "\(kernel)")
            let seventh = Self.chain(2, members: digits, masks: [0, 1 << 0, 1 << 1, 0, 0, 0, 0, 1 << 4 | 1 << 6], firstSet: 7)
            XCTAssertEqual(run(seventh, "AB:12", kernel), tags([1: 5, 4: 3, 6: 3]), "\(kernel)")
            // Accept value 1 is an accepting one like any other above 0.
            let first = Self.chain(2, members: digits, masks: [0, 1 << 0 | 1 << 1], acceptSet: 1)
            XCTAssertEqual(run(first, "AB:12", kernel), tags([0: 5, 1: 5]), "\(kernel)")
        }
    }

    /// Whether `body` stops the process (a precondition), run in a child
    /// process so that this one goes on. The child's output is dropped, and
    /// an alarm ends it should it hang.
    func stops(_ body: () -> Void) -> Bool {
        #if canImport(Glibc)
        let pid = fork()
        if pid == 0 {
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 1)
            dup2(null, 2)
            alarm(20)
            body()
            _exit(0)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let signal = status & 0x7F
        return signal == SIGILL || signal == SIGTRAP
        #else
        return true
        #endif
    }

    /// Tables the generator cannot have written are refused when decoded,
    /// not run by the kernel (whose loads trust the sizes and ranges).
    func testMalformedTablesStopTheProcess() throws {
        #if !canImport(Glibc)
        throw XCTSkip("runs each case in a forked process")
        #endif
        // Decoded here as well, not only in a child: `smtp-fuzz mutants` learns
        // which code a test reaches from this process (a child writes no trace).
        XCTAssertEqual(ShuffleAutomaton(rule: "digits", tagMasks: Self.digitsMasks, tables: Self.digitsTables()).stateCount, 3)
        XCTAssertFalse(stops { _ = ShuffleAutomaton(rule: "digits", tagMasks: Self.digitsMasks, tables: Self.digitsTables()) })
        let cases: [(String, [UInt64], String)] = [
            ("truncated", Self.digitsMasks, String(Self.digitsTables().dropLast(4))),
            ("trailing bytes", Self.digitsMasks, Self.tables(prefix: "AB:", states: 3, classes: 2, accept: [0, 0, 2]) + "AAAA"),
            ("a 17-byte prefix", [0, 1], Self.tables(prefix: "ABCDEFGHIJKLMNOPQ", states: 2, classes: 1, accept: [0, 1])),
            ("17 states", Self.digitsMasks, Self.digitsTables(states: 17)),
            ("no byte class", Self.digitsMasks, Self.digitsTables(classes: 0, digitClass: 0)),
            ("a byte class out of range", Self.digitsMasks, Self.digitsTables(digitClass: 2)),
            ("a tag beyond 15", [0, 1 << 0, 1 << 16], Self.digitsTables()),
            ("a transition to state 3 of 3", Self.digitsMasks, Self.digitsTables(firstDigit: 0x13)),
            ("a transition to state 2 of 2", Self.digitsMasks, Self.digitsTables(states: 2, firstDigit: 0x12)),
            ("a transition to state 15 of 3", Self.digitsMasks, Self.digitsTables(firstDigit: 0x1F)),
            ("a transition setting set 3 of 3", Self.digitsMasks, Self.digitsTables(firstDigit: 0x32)),
            ("a transition setting set 8", Array(repeating: 1, count: 10), Self.digitsTables(firstDigit: 0x82)),
            ("an accept value of set 3 of 3", Self.digitsMasks, Self.digitsTables(accept: 3)),
            ("33 tag sets", Array(repeating: 1, count: 33), Self.digitsTables()),
        ]
        for (what, masks, tables) in cases {
            XCTAssertTrue(stops { _ = ShuffleAutomaton(rule: "malformed", tagMasks: masks, tables: tables) }, what)
        }
    }
}
