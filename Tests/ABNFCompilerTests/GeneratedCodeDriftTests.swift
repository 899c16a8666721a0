import ABNFCompiler
import XCTest

/// The committed Generated/ files must be exactly what the generator writes
/// from the committed grammar files. (They were written by another process,
/// so this also shows the output does not depend on hash seeds.)
final class GeneratedCodeDriftTests: XCTestCase {
    func testGeneratedCodeMatchesGrammarFiles() throws {
        let generator = PackageGenerator(packagePath: packageRoot)
        let files = try generator.generatedFiles()
        XCTAssertFalse(files.isEmpty, "no generated files found from \(packageRoot)")
        for file in files {
            let committed = FileManager.default.contents(atPath: packageRoot + "/" + file.path)
                .map { String(decoding: $0, as: UTF8.self) }
            if committed != file.contents {
                XCTFail("\(file.path) is out of date with the grammar files. Run: \(PackageGenerator.command)")
            }
        }
    }
}
