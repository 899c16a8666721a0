// ByteScan.firstIndex: the first `target` in bytes[from..<end], or `end`,
// found eight bytes at a time. The word trick flags a byte equal to the
// target; these inputs put near misses (the target with one bit flipped, its
// neighbours) in every lane of a word, before the real occurrence, and past
// `end`, where the scan must not look.

import SMTPCommandParser
import XCTest

final class ByteScanTests: XCTestCase {
    func firstIndex(_ target: UInt8, _ bytes: [UInt8], from: Int, to end: Int) -> Int {
        bytes.withUnsafeBufferPointer { ByteScan.firstIndex(of: target, in: $0.baseAddress!, from: from, to: end) }
    }

    func testEveryLaneAndEveryNearMiss() {
        for target: UInt8 in [0x00, 0x0D, 0x40, 0x7F, 0x80, 0xFF] {
            let decoys = Set([target ^ 1, target ^ 2, target ^ 0x80, target &+ 1, target &- 1, target ^ 0x20]).subtracting([
                target
            ])
            for decoy in decoys {
                for length in [1, 7, 8, 9, 15, 16, 17, 24, 25] {
                    for position in 0..<length {
                        // Decoys everywhere, the target once; and once more past the end.
                        var bytes = [UInt8](repeating: decoy, count: length + 9)
                        bytes[position] = target
                        bytes[length] = target
                        XCTAssertEqual(
                            firstIndex(target, bytes, from: 0, to: length), position,
                            "target \(target) decoy \(decoy) length \(length) at \(position)")
                        // From past it: none before the end.
                        XCTAssertEqual(firstIndex(target, bytes, from: position + 1, to: length), length)
                    }
                    var none = [UInt8](repeating: decoy, count: length + 9)
                    none[length] = target
                    XCTAssertEqual(firstIndex(target, none, from: 0, to: length), length, "none: the end, not past it")
                }
            }
        }
    }

    func testTheFirstOfSeveralAndAnEmptyRange() {
        let bytes = Array("abc@def@ghijklmnop@q".utf8)
        let at = UInt8(ascii: "@")
        XCTAssertEqual(firstIndex(at, bytes, from: 0, to: bytes.count), 3)
        XCTAssertEqual(firstIndex(at, bytes, from: 4, to: bytes.count), 7)
        XCTAssertEqual(firstIndex(at, bytes, from: 8, to: bytes.count), 18)
        XCTAssertEqual(firstIndex(at, bytes, from: 8, to: 18), 18, "the end when the next one is at the end")
        XCTAssertEqual(firstIndex(at, bytes, from: 5, to: 5), 5)
        XCTAssertEqual(firstIndex(at, bytes, from: 6, to: 5), 6, "from past the end: from")
    }

    /// The parser finds a mailbox's "@" with it: a local part over 64 octets is
    /// refused wherever the scan's words fall (RFC 5321 §4.5.3.1.1).
    func testLocalPartLimitWhateverTheFirstLetter() {
        for first in ["A", "a", "?", "@"] where first != "@" {
            let local = first + String(repeating: "b", count: 64)
            let line = Array("MAIL FROM:<\(local)@example.com>\r\n".utf8)
            XCTAssertEqual(parseResult(line, .strictMode).error?.kind, .localPartTooLong, local)
            let fits = Array("MAIL FROM:<\(local.dropLast())@example.com>\r\n".utf8)
            XCTAssertNil(parseResult(fits, .strictMode).error, String(local.dropLast()))
        }
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
