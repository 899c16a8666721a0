import ABNF
import PropertyTesting
import SMTPCommandParser
import XCTest

/// Near misses of every command rule (a repetition bound exceeded or undercut
/// by one, a byte deleted, inserted or replaced, a space doubled, CRLF cut to
/// LF) get the verdict of the reference interpreter, with the same prose
/// checks: accepted exactly when the interpreter accepts, with the same fields.
final class NearMissProperties: XCTestCase {
    func testBaseProfile() throws { try checkNearMisses(Profile.base.get()) }
    func testSMTPUTF8Profile() throws { try checkNearMisses(Profile.smtputf8.get()) }
    func testLenientProfile() throws { try checkNearMisses(Profile.lenient.get()) }
    func testLenientSMTPUTF8Profile() throws { try checkNearMisses(Profile.lenientSMTPUTF8.get()) }

    func checkNearMisses(_ profile: Profile, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = profile.model
        for (_, rule) in commandRules {
            forAll(
                "near misses of \(rule) get the \(profile.name) interpreter's verdict",
                try profile.nearMisses(rule), iterations: 40, file: file, line: line
            ) { miss in
                model.judge(model.expected(line: miss.bytes), miss.bytes)
            }
        }
    }
}
