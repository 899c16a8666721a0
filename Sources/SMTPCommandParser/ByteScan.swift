// One byte scan shared by the parser (the "@" of a mailbox) and the session's
// DATA decoder (the next CR): both look for one byte value in a run where it
// is usually far off. Public so that the session module can use it (not
// `package`: a vendored copy may be built without a package name).

public enum ByteScan {
    /// The index of the first `target` in `bytes[from..<end]`, or `end` when
    /// there is none (`from` when `from >= end`). Eight bytes at a time: in
    /// `x = word ^ target…`, `(x - 0x01…) & ~x & 0x80…` flags the zero bytes,
    /// and the lowest flag is exact (a borrow only spreads upwards).
    @inlinable @inline(__always)
    public static func firstIndex(of target: UInt8, in bytes: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        let pattern = UInt64(target) &* 0x0101_0101_0101_0101
        var i = from
        while i &+ 8 <= end {
            // Little-endian order, so that the first byte is the lowest.
            let x = UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self).littleEndian ^ pattern
            let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if found != 0 { return i &+ (found.trailingZeroBitCount &>> 3) }
            i &+= 8
        }
        while i < end && bytes[i] != target { i &+= 1 }
        return i
    }
}
