// A set of byte values: the alphabet symbols of the independent construction.

/// A subset of 0...255, as four 64-bit words.
struct ByteSet: Hashable, Sendable {
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private var w3: UInt64 = 0

    init() {}

    /// The bytes `lo...hi` (empty when `lo > hi`).
    init(_ lo: UInt8, _ hi: UInt8) {
        guard lo <= hi else { return }
        for b in lo...hi { insert(b) }
    }

    var isEmpty: Bool { w0 | w1 | w2 | w3 == 0 }

    func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    mutating func formUnion(_ other: ByteSet) {
        w0 |= other.w0
        w1 |= other.w1
        w2 |= other.w2
        w3 |= other.w3
    }
}
