import ABNFCompiler
import Foundation
import XCTest

final class VendoringTests: XCTestCase {
    func testSHA256KnownVectors() {
        // FIPS 180-4 examples.
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testVendorCopiesModulesWithProvenanceHeaders() throws {
        let sources = NSTemporaryDirectory() + "vendor-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: sources) }
        // The drift test already checks Generated/ is in sync.
        let result = try Vendoring.vendor(packagePath: packageRoot, to: sources + "/SMTPCommandParser", checkGenerated: false)
        XCTAssertTrue(result.copied.contains("SMTPCommandParser/CommandParser.swift"))
        XCTAssertTrue(result.copied.contains("SMTPCommandParser/Generated/SMTPGrammar.swift"))
        XCTAssertTrue(result.copied.contains("SMTPCommandParser/Grammar/clientid.abnf"))
        XCTAssertTrue(result.copied.contains("SMTPParserRuntime/Automaton.swift"))
        XCTAssertEqual(result.declarations, Vendoring.modules.map(\.declaration))
        let grammar = try String(
            contentsOfFile: packageRoot + "/Sources/SMTPCommandParser/Grammar/clientid.abnf", encoding: .utf8)
        for file in ["SMTPCommandParser/CommandParser.swift", "SMTPParserRuntime/Automaton.swift"] {
            let vendored = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            XCTAssertTrue(vendored.hasPrefix("// Vendored from smtp-clientid-toolkit"), file)
            XCTAssertTrue(vendored.contains("\(SHA256.hex(Array(grammar.utf8)))  SMTPCommandParser/Grammar/clientid.abnf"), file)
            XCTAssertTrue(vendored.contains("generator \(Vendoring.generatorVersion)"), file)
        }
        // Grammar files are copied unchanged.
        XCTAssertEqual(try String(contentsOfFile: sources + "/SMTPCommandParser/Grammar/clientid.abnf", encoding: .utf8), grammar)
        // The vendored Swift files import only each other's modules (and the standard library).
        let vendoredModules = Set(Vendoring.modules.map(\.name))
        for file in result.copied where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@_exported import ") {
                let module = String(line.split(separator: " ").last!)
                XCTAssertTrue(vendoredModules.contains(module), "\(file) imports \(module)")
            }
        }
    }

    func testVendorRefusesAFolderNotNamedForTheParser() {
        XCTAssertThrowsError(
            try Vendoring.vendor(packagePath: packageRoot, to: NSTemporaryDirectory() + "Sources", checkGenerated: false)
        ) {
            XCTAssertTrue("\($0)".contains("name the parser's own folder"), "\($0)")
        }
    }
}
