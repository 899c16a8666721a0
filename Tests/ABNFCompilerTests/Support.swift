import ABNF
import ABNFCompiler
import Foundation
import SMTPCommandParser

/// The package root, found from this file's path. Links resolved: the mutation and coverage
/// workspaces (`.build-mutants/`, `.build-coverage/`) build these tests through a link to
/// Tests/, and their own Package.swift is not the package's (ToolingGraphTests reads it).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    url.deleteLastPathComponent()  // ABNFCompilerTests
    url.deleteLastPathComponent()  // Tests
    url.deleteLastPathComponent()
    return url.path
}()

let parserModule = "Sources/SMTPCommandParser"

/// The checked grammar of a manifest profile, loaded once per process.
func profileGrammar(_ profile: String) throws -> Grammar {
    try PackageGenerator(packagePath: packageRoot).grammar(module: parserModule, profile: profile)
}

/// The seed of a randomised test: `ABNF_SEED` when set (to replay a failure), else `fallback`.
func testSeed(_ fallback: UInt64) -> UInt64 {
    ProcessInfo.processInfo.environment["ABNF_SEED"].flatMap { UInt64($0) } ?? fallback
}

func escaped(_ bytes: [UInt8]) -> String { escapedLine(bytes) }
