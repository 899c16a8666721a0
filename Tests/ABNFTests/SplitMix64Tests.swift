import XCTest

@testable import ABNF

final class SplitMix64Tests: XCTestCase {
    func testReferenceOutputs() {
        // Outputs of the reference splitmix64.c (Vigna) for these seeds.
        let rows: [(UInt64, [UInt64], UInt)] = [
            (0, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F], #line),
            (1_234_567, [0x599E_D017_FB08_FC85, 0x2C73_F084_5854_0FA5, 0x883E_BCE5_A3F2_7C77], #line),
        ]
        for (seed, expected, line) in rows {
            var rng = SplitMix64(seed: seed)
            XCTAssertEqual(rng.state, seed, line: line)
            XCTAssertEqual((0..<3).map { _ in rng.next() }, expected, "seed \(seed)", line: line)
            XCTAssertEqual(rng.state, seed &+ 3 &* 0x9E37_79B9_7F4A_7C15, line: line)
        }
    }

    func testDeterminism() {
        for seed: UInt64 in [0, 1, 42, .max] {
            var a = SplitMix64(seed: seed)
            var b = SplitMix64(seed: seed)
            XCTAssertEqual((0..<100).map { _ in a.next() }, (0..<100).map { _ in b.next() }, "seed \(seed)")
        }
        var c = SplitMix64(seed: 1)
        var d = SplitMix64(seed: 2)
        XCTAssertNotEqual((0..<10).map { _ in c.next() }, (0..<10).map { _ in d.next() })
        // Usable as a standard RandomNumberGenerator.
        var e = SplitMix64(seed: 9)
        var f = SplitMix64(seed: 9)
        XCTAssertEqual(
            (0..<20).map { _ in Int.random(in: 0..<1000, using: &e) }, (0..<20).map { _ in Int.random(in: 0..<1000, using: &f) })
    }

    func testSplitIsDeterministicAndIndependent() {
        var parent = SplitMix64(seed: 42)
        var twin = SplitMix64(seed: 42)
        var child = parent.split()
        var twinChild = twin.split()
        // Splitting consumes exactly one output of the parent.
        var reference = SplitMix64(seed: 42)
        let consumed = reference.next()
        XCTAssertEqual(parent.state, reference.state)
        XCTAssertEqual(child.state, consumed ^ 0x6A09_E667_F3BC_C909)

        let childOutputs = (0..<1000).map { _ in child.next() }
        XCTAssertEqual(childOutputs, (0..<1000).map { _ in twinChild.next() }, "same seed, same child")
        XCTAssertEqual(parent.state, twin.state, "using the child does not move the parent")
        let parentOutputs = (0..<1000).map { _ in parent.next() }
        // The streams share no values, so neither is a shifted copy of the other.
        XCTAssertTrue(Set(childOutputs).isDisjoint(with: parentOutputs))
        XCTAssertTrue(Set(childOutputs).isDisjoint(with: (0..<1000).map { _ in reference.next() }))

        // Successive splits give different children.
        var source = SplitMix64(seed: 7)
        var firstChild = source.split()
        var secondChild = source.split()
        let first = (0..<1000).map { _ in firstChild.next() }
        let second = (0..<1000).map { _ in secondChild.next() }
        XCTAssertTrue(Set(first).isDisjoint(with: second))

        // Child and parent outputs look uncorrelated: their XOR has about half its bits set.
        let bits = zip(childOutputs, parentOutputs).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
        XCTAssertEqual(Double(bits) / 1000, 32, accuracy: 1)
    }
}
