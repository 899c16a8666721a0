import ABNF
import PropertyTesting
import SMTPCommandParser
import XCTest

/// Parse, serialise (`OwnedSMTPCommand.serialized()`), parse again: the same command.
final class RoundTripProperties: XCTestCase {
    func testBaseProfile() throws { try checkRoundTrip(Profile.base.get()) }
    func testSMTPUTF8Profile() throws { try checkRoundTrip(Profile.smtputf8.get()) }
    func testLenientProfile() throws { try checkRoundTrip(Profile.lenient.get()) }
    func testLenientSMTPUTF8Profile() throws { try checkRoundTrip(Profile.lenientSMTPUTF8.get()) }

    func checkRoundTrip(_ profile: Profile, file: StaticString = #filePath, line: UInt = #line) throws {
        let parser = profile.parser
        forAll(
            "parse, serialise, parse again gives the same command (\(profile.name))",
            try profile.anyCommand(), iterations: 200, file: file, line: line
        ) { text in
            guard case .success(let command) = parser.result(text.bytes) else {
                // Rejections are judged by CommandAcceptanceProperties; here they are counted.
                return .pass(as: "not accepted (a prose limit or the test overlay)")
            }
            let owned = text.bytes.withUnsafeBytes { OwnedSMTPCommand(command, line: $0) }
            let serialized = owned.serialized()
            switch parser.result(serialized) {
            case .success(let again):
                let ownedAgain = serialized.withUnsafeBytes { OwnedSMTPCommand(again, line: $0) }
                if ownedAgain == owned { return .pass(as: "round trip") }
                return .fail(
                    "serialized as \"\(escaped(serialized))\", which parses as \(show(again, serialized)), not \(show(command, text.bytes))"
                )
            case .failure(let error):
                return .fail("serialized as \"\(escaped(serialized))\", which the parser rejects: \(show(error))")
            }
        }
    }
}
