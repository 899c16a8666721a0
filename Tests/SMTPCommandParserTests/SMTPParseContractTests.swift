import Foundation
import XCTest

/// The smtp-parse CLI contract (Sources/smtp-parse/SMTPParse.swift): one JSON
/// object per input line, in order, keys and values exactly as below.
final class SMTPParseContractTests: XCTestCase {
    /// The smtp-parse built beside this test bundle, else the package's debug build.
    func smtpParse() throws -> URL {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        directories.append(URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        directories.append(URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/debug"))
        for directory in directories {
            let candidate = directory.appendingPathComponent("smtp-parse")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip(
            """
            smtp-parse executable not found in \(directories.map(\.path)); \
            build it first (`swift build --build-tests`) to check its contract
            """)
    }

    /// Runs smtp-parse with `arguments` on `input`; returns its standard output lines.
    func run(_ arguments: [String], _ input: String) throws -> [String] {
        let process = Process()
        process.executableURL = try smtpParse()
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func testOneJSONObjectPerLineWithCRLFAndLFEndings() throws {
        let input = [
            "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n",
            "MAIL FROM:<a@b> SIZE=10 SMTPUTF8\n",
            "clientid MAC\r\n",
            "EHLO client.example.net\n",
            "GET / HTTP/1.1\r\n",
            "BDAT 10 LAST\n",
            "AUTH PLAIN =\n",
            "RCPT TO:<Postmaster> NOTIFY=NEVER\n",
            "HELP\n",
            "VRFY \"a\\\"b\"\n",
            "MAIL FROM:<a@b> SIZE=99999999999999999999\r\n",
            "RCPT TO:<a@b> RET=FULL\n",
            "DATA\r\n",
            "QUIT",
        ].joined()
        let expected = [
            #"{"verb":"CLIENTID","code":250,"type":"UUID","token":"23bf83be-aad7-46aa-9e0f-39191ccf402f"}"#,
            #"{"verb":"MAIL","code":250,"path":"a@b","parameters":[["SIZE","10"],["SMTPUTF8",null]]}"#,
            #"{"verb":"CLIENTID","code":501,"error":"invalid arguments at offset 12 (rule clientid); syntax: CLIENTID SP client-id-type SP client-id-token CRLF"}"#,
            #"{"verb":"EHLO","code":250,"domain":"client.example.net"}"#,
            #"{"verb":"GET","code":500,"error":"unknown command"}"#,
            #"{"verb":"BDAT","code":250,"size":10,"last":true}"#,
            #"{"verb":"AUTH","code":250,"mechanism":"PLAIN","initialResponse":"="}"#,
            #"{"verb":"RCPT","code":250,"path":"Postmaster","parameters":[["NOTIFY","NEVER"]]}"#,
            #"{"verb":"HELP","code":250,"argument":null}"#,
            #"{"verb":"VRFY","code":250,"argument":"\"a\\\"b\""}"#,
            #"{"verb":"MAIL","code":552,"error":"size too large at offset 21 (rule size-value); syntax: SIZE=1*20DIGIT (RFC 1870)"}"#,
            #"{"verb":"RCPT","code":555,"error":"parameter not allowed here at offset 14 (rule ret-param); syntax: RET=FULL / HDRS (RFC 3461 §4.3)"}"#,
            #"{"verb":"DATA","code":250}"#,
            #"{"verb":"QUIT","code":250}"#,
            "",
        ]
        let output = try run([], input)
        XCTAssertEqual(output.count, expected.count, output.joined(separator: "\n"))
        for (i, (got, want)) in zip(output, expected).enumerated() {
            XCTAssertEqual(got, want, "output line \(i + 1)")
        }
    }

    func testLenientSMTPUTF8AndMaxLineOptions() throws {
        XCTAssertEqual(
            try run(["--lenient"], "MAIL FROM: a@b\n"), [#"{"verb":"MAIL","code":250,"path":"a@b","parameters":[]}"#, ""])
        XCTAssertEqual(
            try run([], "MAIL FROM: a@b\n"),
            [
                #"{"verb":"MAIL","code":501,"error":"invalid arguments at offset 10 (rule Reverse-path); syntax: MAIL FROM:<reverse-path> [SP mail-parameters] CRLF"}"#,
                "",
            ])
        XCTAssertEqual(
            try run(["--smtputf8"], "RCPT TO:<jörg@example.com>\r\n"),
            [#"{"verb":"RCPT","code":250,"path":"jörg@example.com","parameters":[]}"#, ""])
        XCTAssertEqual(
            try run(["--max-line", "20"], "NOOP " + String(repeating: "x", count: 30) + "\n"),
            [
                #"{"verb":"NOOP","code":500,"error":"line too long: 37 octets with CRLF, limit 20 (RFC 5321 §4.5.3.1.4)"}"#, "",
            ])
        XCTAssertEqual(try run([], ""), [""])
    }
}
