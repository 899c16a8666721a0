// The small public value types callers switch on and store: the error kinds'
// numbers (assigned once, never reused: SMTPSyntaxError.swift), error
// equality, and RFC 3461's NOTIFY flags.

import SMTPCommandParser
import XCTest

final class ValueTypeTests: XCTestCase {
    /// Every kind by its number, name, reply code and enhanced status.
    func testErrorKindsKeepTheirNumbers() {
        let table: [(SMTPSyntaxError.Kind, UInt8, String, Int, String)] = [
            (.unknownCommand, 1, "unknown command", 500, "5.5.1"), (.invalidArguments, 2, "invalid arguments", 501, "5.5.4"),
            (.incomplete, 3, "incomplete command", 500, "5.5.2"), (.pathTooLong, 4, "path too long", 501, "5.1.3"),
            (.localPartTooLong, 5, "local part too long", 501, "5.1.3"), (.domainTooLong, 6, "domain too long", 501, "5.1.2"),
            (.invalidAddressLiteral, 7, "invalid address literal", 501, "5.1.2"),
            (.invalidParameter, 8, "invalid parameter value", 501, "5.5.4"),
            (.duplicateParameter, 9, "duplicate parameter", 501, "5.5.4"),
            (.parameterNotAllowed, 10, "parameter not allowed here", 555, "5.5.4"),
            (.sizeTooLarge, 11, "size too large", 552, "5.3.4"),
            (.lineTooLong, 12, "line too long", 500, "5.5.6"), (.bareLineFeed, 13, "bare LF", 500, "5.5.2"),
            (.bareCarriageReturn, 14, "bare CR", 500, "5.5.2"), (.nulByte, 15, "NUL byte", 501, "5.5.2"),
            (.nonASCII, 16, "non-ASCII byte without SMTPUTF8", 501, "5.5.2"),
        ]
        for (kind, number, name, code, status) in table {
            XCTAssertEqual(kind.number, number, name)
            XCTAssertEqual("\(kind.name)", name)
            XCTAssertEqual(kind.replyCode, code, name)
            XCTAssertEqual("\(kind.enhancedStatus)", status, name)
        }
        XCTAssertEqual(Set(table.map(\.0)).count, table.count, "all different")
    }

    func testErrorsAreEqualOnlyInKindOffsetAndRule() {
        let e = SMTPSyntaxError(.invalidArguments, offset: 5, rule: "ehlo", hint: "EHLO domain")
        XCTAssertEqual(
            e, SMTPSyntaxError(.invalidArguments, offset: 5, rule: "ehlo", hint: "another hint"), "the hint is text only")
        XCTAssertNotEqual(e, SMTPSyntaxError(.nulByte, offset: 5, rule: "ehlo", hint: "EHLO domain"))
        XCTAssertNotEqual(e, SMTPSyntaxError(.invalidArguments, offset: 6, rule: "ehlo", hint: "EHLO domain"))
        XCTAssertNotEqual(e, SMTPSyntaxError(.invalidArguments, offset: 5, rule: "Domain", hint: "EHLO domain"))
        XCTAssertNotEqual(e, SMTPSyntaxError(.nulByte, offset: 6, rule: "ehlo", hint: "EHLO domain"))
    }

    /// RFC 3461 §4.1: three independent flags; NEVER is none of them.
    func testNotifyFlags() {
        let flags: [DSNNotify] = [.success, .failure, .delay]
        for f in flags { XCTAssertEqual(f.rawValue.nonzeroBitCount, 1, "\(f.rawValue)") }
        XCTAssertEqual(Set(flags.map(\.rawValue)).count, 3)
        XCTAssertEqual(DSNNotify.never.rawValue, 0)
        XCTAssertEqual([DSNNotify.success, .failure, .delay].map(\.rawValue), [1, 2, 4])
        let rows: [(String, DSNNotify)] = [
            ("NEVER", []), ("SUCCESS", [.success]), ("FAILURE", [.failure]), ("DELAY", [.delay]),
            ("SUCCESS,DELAY", [.success, .delay]), ("FAILURE,DELAY,SUCCESS", [.success, .failure, .delay]),
        ]
        for (value, expected) in rows {
            let line = Array("RCPT TO:<a@b> NOTIFY=\(value)\r\n".utf8)
            guard case .success(.rcpt(let r)) = parseResult(line, .strictMode) else { XCTFail(value); continue }
            XCTAssertEqual(r.notify, expected, value)
            for f in flags { XCTAssertEqual(r.notify?.contains(f), expected.contains(f), "\(value): \(f.rawValue)") }
        }
    }
}
