import ABNF
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
        try run(arguments, bytes: Array(input.utf8))
    }

    /// The same with input bytes that need not be UTF-8. The input goes through a
    /// file: a pipe would fill before smtp-parse's output is read.
    func run(_ arguments: [String], bytes input: [UInt8]) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-parse-\(UUID().uuidString).txt")
        try Data(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = try smtpParse()
        process.arguments = arguments
        let stdout = Pipe()
        process.standardInput = try FileHandle(forReadingFrom: file)
        process.standardOutput = stdout
        try process.run()
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
        _ = try smtpParse()  // skips here, not inside an assertion, when smtp-parse is not built
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

    /// D5, RFC 5321 §4.2.4: on lines with HTAB, NUL and 8-bit bytes in and around the verb,
    /// smtp-parse's verb, code and fields are what the grammar's reference interpreter
    /// gives: the first token (up to SP or CR; with --lenient also HTAB) names the command
    /// rule, a token that is none is a 500, the rule's verdict (and the prose checks) give
    /// 250, 501 or the prose check's code, and the captures give the fields.
    func testVerbCodeAndFieldsAgreeWithTheInterpreterAroundTheVerb() throws {
        for (profile, arguments) in [("base", [String]()), ("lenient", ["--lenient"]), ("smtputf8", ["--smtputf8"])] {
            let grammar = try profileGrammar(profile)
            let agreement = Agreement(grammar: grammar, options: .strictMode, seed: 0)
            let generator = StringGenerator(agreement.interpreter)
            var lines: [[UInt8]] = []
            var rng = SplitMix64(seed: testSeed(0xC11E_0020))
            for rule in InterpreterAgreementTests.commandRules {
                for base in generator.covering(rule, seed: rng.next(), limit: 4).map(\.bytes) {
                    lines += Self.aroundTheVerb(base, verbLength: rule.utf8.count)
                }
            }
            lines = lines.filter { !$0.dropLast(2).contains(0x0A) && !$0.dropLast(2).contains(0x0D) }
            let output = try run(arguments + ["--max-line", "100000"], bytes: Array(lines.joined()))
            XCTAssertEqual(output.count, lines.count + 1, "one JSON object per line [\(profile)]")
            var compared = 0
            var byCode: [Int: Int] = [:]
            for (line, json) in zip(lines, output) {
                guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                    let verb = object["verb"] as? String, let code = object["code"] as? Int
                else {
                    XCTFail("[\(profile)] \(show(line)): not a JSON object with verb and code: \(json)")
                    continue
                }
                let expected = Self.interpreterVerdict(line, lenient: profile == "lenient", agreement)
                let what = "[\(profile)] \(show(line)) → \(json)"
                XCTAssertEqual(verb, expected.verb, what)
                XCTAssertEqual(code, expected.code, what)
                for (key, value) in expected.fields {
                    XCTAssertEqual(object[key] as? String, value, "\(what): field \(key)")
                }
                compared += 1
                byCode[expected.code, default: 0] += 1
            }
            // Each outcome occurs: the mutations are not all of one kind.
            for code in [250, 500, 501] { XCTAssertGreaterThan(byCode[code] ?? 0, 20, "[\(profile)] lines answered \(code)") }
            XCTAssertGreaterThan(compared, 500, "[\(profile)]")
        }
    }

    /// `line` and its variants with HTAB, NUL and 8-bit bytes before, inside and after
    /// its verb (the first `verbLength` bytes), and HTAB before its CRLF (L3).
    static func aroundTheVerb(_ line: [UInt8], verbLength: Int) -> [[UInt8]] {
        var variants = [line]
        func inserting(_ bytes: [UInt8], at i: Int) -> [UInt8] { Array(line[..<i]) + bytes + Array(line[i...]) }
        if line[verbLength] == 0x20 {
            var tab = line
            tab[verbLength] = 0x09
            variants.append(tab)
        }
        variants.append(inserting([0x09], at: verbLength))
        variants.append(inserting([0x09], at: line.count - 2))
        for bytes: [UInt8] in [[0x00], [0x80], [0xFF], [0xC3, 0xA9]] {
            for at in Set([0, verbLength / 2, verbLength, min(verbLength + 1, line.count - 2)]) {
                variants.append(inserting(bytes, at: at))
            }
        }
        return variants
    }

    /// What the grammar says of `line`: its verb as smtp-parse prints it, its reply code,
    /// and its text fields, from the reference interpreter and the prose checks alone.
    static func interpreterVerdict(_ line: [UInt8], lenient: Bool, _ agreement: Agreement)
        -> (verb: String, code: Int, fields: [String: String])
    {
        let (token, name) = firstTokenAsSpecified(line, lenient: lenient)
        let verb = String(decoding: token, as: UTF8.self).uppercased()
        guard InterpreterAgreementTests.commandRules.contains(name) else { return (verb, 500, [:]) }
        guard let tree = agreement.interpreter.parse(name, line) else { return (verb, 501, [:]) }
        if let broken = agreement.proseViolations(name, tree, line).first { return (verb, broken.kind.replyCode, [:]) }
        var fields: [String: String] = [:]
        for node in tree.children.flatMap(\.allNodes) {
            guard let capture = agreement.grammar[node.rule]?.captureName, fields[capture] == nil,
                ["domain", "path", "type", "token", "mechanism", "initialResponse", "argument"].contains(capture)
            else { continue }
            fields[capture] = String(decoding: line[node.range], as: UTF8.self)
        }
        return (verb, 250, fields)
    }
}
