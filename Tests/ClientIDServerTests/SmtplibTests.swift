// Draft §8 examples and the D-rules (docs/decisions.md), driven by Python's smtplib.

import Foundation
import XCTest

final class SmtplibTests: XCTestCase {
    /// Draft §8.1 over STARTTLS: the message lands in Maildir with a trace header.
    func testExample81OverSTARTTLS() async throws {
        let server = try await TestServer.start(self)
        let result = try await Programs.python(PythonClients.example81, ["starttls", "\(server.plainPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n"),
            [
                "EHLO 250 True False",  // D7: not advertised before TLS
                "STARTTLS 220",
                "EHLO 250 True True",  // D15
                "CLIENTID 250",
                "AUTH 235",
                "SENDMAIL {}",
                "QUIT 221",
            ])
        let files = server.messages()
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(server.messages("tmp").isEmpty)
        let message = try String(contentsOf: files[0], encoding: .utf8)
        XCTAssertTrue(
            message.hasPrefix(
                "Received: from client.example.net ([127.0.0.1])\r\n\tby server.example.com (clientid-server) with ESMTPSA id "),
            message)
        XCTAssertTrue(message.contains("\r\n\tfor <receiver@example.com>; "), message)
        XCTAssertTrue(message.hasSuffix("Subject: example 8.1\r\n\r\nHello from draft example 8.1\r\n"), message)
        XCTAssertFalse(message.contains("23bf83be"), "the CLIENTID token never goes into the message (D20)")
    }

    /// Draft §8.1 over implicit TLS (D16: encrypted from the first byte, CLIENTID at once).
    func testExample81OverImplicitTLS() async throws {
        let server = try await TestServer.start(self)
        let result = try await Programs.python(PythonClients.example81, ["implicit", "\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n"),
            [
                "EHLO 250 True True", "CLIENTID 250", "AUTH 235", "SENDMAIL {}", "QUIT 221",
            ])
        XCTAssertEqual(server.messages().count, 1)
    }

    func testDecisions() async throws {
        let server = try await TestServer.start(self)
        let result = try await Programs.python(PythonClients.decisions, ["\(server.plainPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = result.stdout.split(separator: "\n").map(String.init)
        func code(_ name: String) -> String? {
            out.first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1).prefix(3)) }
        }
        XCTAssertEqual(code("PLAIN-EHLO-CLIENTID"), "Fal", "D7: never advertised in plaintext")
        XCTAssertEqual(code("D7"), "500", "draft 8.2, D7")
        XCTAssertEqual(code("D7-MAIL"), "530", "RFC 6409 §4.3: MAIL needs AUTH (the draft's 8.2 shows 250 from a relay)")
        XCTAssertEqual(code("D7-QUIT"), "221")
        XCTAssertEqual(code("D8"), "503", "D8: TLS up, no EHLO yet")
        XCTAssertEqual(code("TLS-EHLO-CLIENTID"), "Tru")
        XCTAssertEqual(code("D11"), "501", "draft 8.4, D11")
        XCTAssertEqual(code("D4"), "501", "D4: DEVICE_ID breaks the draft's ABNF")
        XCTAssertEqual(code("D3"), "250", "D3: case-insensitive verb and type; D11: retry after 501")
        XCTAssertEqual(code("D9"), "503")
        XCTAssertEqual(code("RSET"), "250")
        XCTAssertEqual(code("D9-RSET"), "503")
        XCTAssertEqual(code("D15"), "Tru", "D15: still advertised after CLIENTID")
        XCTAssertEqual(code("D9-EHLO"), "503")
        XCTAssertEqual(code("D18"), "535")
        XCTAssertTrue(out.contains { $0.hasPrefix("D18 535 5.7.8 ") }, out.joined(separator: "\n"))
        XCTAssertEqual(code("D10"), "503", "D10: after any AUTH")
        XCTAssertEqual(code("STARTTLS-AGAIN"), "503")
    }

    /// D6: with support disabled the keyword is never advertised and the verb is unknown.
    func testClientIDDisabled() async throws {
        let server = try await TestServer.start(self) { $0.session.clientIDEnabled = false }
        let result = try await Programs.python(PythonClients.example81, ["implicit", "\(server.tlsPort)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout.split(separator: "\n"),
            [
                "EHLO 250 False True", "CLIENTID 500", "AUTH 235", "SENDMAIL {}", "QUIT 221",
            ])
    }
}
