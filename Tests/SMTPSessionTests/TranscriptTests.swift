// The draft's §8 examples and other conversations, as transcripts (Transcripts/),
// each replayed whole and trickled byte by byte.

import XCTest

final class TranscriptTests: XCTestCase {
    private func run(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try runTranscript(name, file: file, line: line)
        try runTranscript(name, trickle: true, file: file, line: line)
    }

    func testDraft81UUIDAsClientIdentity() throws { try run("draft-8.1-uuid.txt") }
    func testDraft81AuthLoginTakenLiterally() throws { try run("draft-8.1-auth-login-literal.txt") }
    func testDraft82ClientIDWithoutTLS() throws { try run("draft-8.2-no-tls.txt") }
    func testDraft83RejectionHappensAtAuth() throws { try run("draft-8.3-rejection.txt") }
    func testDraft84MalformedClientID() throws { try run("draft-8.4-malformed.txt") }
    func testPipelinedSubmission() throws { try run("pipelining.txt") }
    func testImplicitTLS() throws { try run("implicit-tls.txt") }
    func testSTARTTLSCommandInjection() throws { try run("starttls-injection.txt") }
    func testSecurityLayerDiscardsTheIdentity() throws { try run("security-layer.txt") }
    func testChunking() throws { try run("bdat.txt") }
}
