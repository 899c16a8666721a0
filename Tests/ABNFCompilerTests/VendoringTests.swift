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

    func testVendorCopiesModuleWithProvenanceHeaders() throws {
        let destination = NSTemporaryDirectory() + "vendor-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: destination) }
        // The drift test already checks Generated/ is in sync.
        let result = try Vendoring.vendor(packagePath: packageRoot, to: destination, checkGenerated: false)
        XCTAssertTrue(result.copied.contains("CommandParser.swift"))
        XCTAssertTrue(result.copied.contains("Generated/SMTPGrammar.swift"))
        XCTAssertTrue(result.copied.contains("Grammar/clientid.abnf"))
        let grammar = try String(
            contentsOfFile: packageRoot + "/Sources/SMTPCommandParser/Grammar/clientid.abnf", encoding: .utf8)
        let vendored = try String(contentsOfFile: destination + "/CommandParser.swift", encoding: .utf8)
        XCTAssertTrue(vendored.hasPrefix("// Vendored from smtp-clientid-toolkit"))
        XCTAssertTrue(vendored.contains("\(SHA256.hex(Array(grammar.utf8)))  Grammar/clientid.abnf"))
        XCTAssertTrue(vendored.contains("(toolkit \(ToolkitVersion.current))."))
        // Grammar files are copied unchanged.
        XCTAssertEqual(try String(contentsOfFile: destination + "/Grammar/clientid.abnf", encoding: .utf8), grammar)
        // Only the standard library is imported by the vendored Swift files.
        for file in result.copied where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: destination + "/" + file, encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") }
            XCTAssertEqual(imports, [], "\(file) imports \(imports)")
        }
    }
}
