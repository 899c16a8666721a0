// XText.decode beyond what the parser validates: RFC 3461 §4 writes hexchar
// in upper case only, and the parser refuses anything else, but decode is
// public and is also handed xtext from elsewhere (a stored ENVID, a log).
// Lower-case hex digits decode like upper-case ones; a "+" whose two bytes are
// not hex digits decodes them as 0 (decode does not validate: the parser has).

import SMTPCommandParser
import XCTest

final class XTextDecodingTests: XCTestCase {
    func decode(_ text: String) -> [UInt8] { XText.decode(Array(text.utf8)) }

    func testEveryHexDigitInEitherCase() {
        for value in 0...255 {
            let upper = String(format: "+%02X", value)
            XCTAssertEqual(decode(upper), [UInt8(value)], upper)
            XCTAssertEqual(decode(upper.lowercased()), [UInt8(value)], upper.lowercased())
        }
    }

    func testDigitsOutsideTheHexAlphabetDecodeAsZero() {
        // The bytes just outside each run of hex digits: "/", ":", "@", "G", "`", "g".
        for (text, expected) in [("+/0", 0x00), ("+:1", 0x01), ("+@2", 0x02), ("+G3", 0x03), ("+`4", 0x04), ("+g5", 0x05)] {
            XCTAssertEqual(decode(text), [UInt8(expected)], text)
        }
        // The same bytes as the low digit: "+3G" is 0x30, not 0x30 | whatever G might count as.
        for (text, expected) in [("+3/", 0x30), ("+3:", 0x30), ("+3@", 0x30), ("+3G", 0x30), ("+3`", 0x30), ("+3g", 0x30)] {
            XCTAssertEqual(decode(text), [UInt8(expected)], text)
        }
        // And after a high digit of 0, where a stray bit from the low digit would show.
        for text in ["+0/", "+0:", "+0@", "+0G", "+0`", "+0g"] {
            XCTAssertEqual(decode(text), [0], text)
        }
        XCTAssertEqual(decode("+zz"), [0])
        XCTAssertEqual(decode("a+"), Array("a+".utf8), "a \"+\" without two bytes after it stays")
    }
}
