// swift-tools-version:6.1
// The root package builds and tests without Fuzz/ and Benchmarks/, which are
// nested packages depending on this one by path (see their own Package.swift).
import PackageDescription

let package = Package(
    name: "smtp-clientid-toolkit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ABNF", targets: ["ABNF"]),
        .library(name: "ABNFCompiler", targets: ["ABNFCompiler"]),
        .library(name: "SMTPCommandParser", targets: ["SMTPCommandParser"]),
        .executable(name: "abnfc", targets: ["abnfc"]),
        .executable(name: "smtp-parse", targets: ["smtp-parse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // RFC 5234/7405 grammar model, parser, checker, reference interpreter and
        // random generation. Standard library only.
        .target(name: "ABNF"),
        // Compiles a checked grammar to deterministic automata and emits Swift.
        .target(name: "ABNFCompiler", dependencies: ["ABNF"]),
        // The vendorable parser: standard library only, grammar files and
        // generated code in one folder.
        .target(
            name: "SMTPCommandParser",
            exclude: ["Grammar"]
        ),
        // Proves the generated automata accept exactly their rules' languages,
        // by an independent construction. Standard library (+ Foundation to read files).
        .target(name: "ABNFProof", dependencies: ["ABNF", "SMTPCommandParser"]),
        .executableTarget(
            name: "abnfc",
            dependencies: [
                "ABNF", "ABNFCompiler", "ABNFProof",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "smtp-parse",
            dependencies: [
                "SMTPCommandParser",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Generated from a recursive grammar (RFC 5322 comments): tests the
        // generator's recursive-descent fallback.
        .target(name: "TestGrammarFixtures", dependencies: ["SMTPCommandParser"], exclude: ["Grammar"]),
        .testTarget(name: "ABNFTests", dependencies: ["ABNF"]),
        .testTarget(
            name: "ABNFCompilerTests",
            dependencies: ["ABNF", "ABNFCompiler", "SMTPCommandParser", "TestGrammarFixtures"]
        ),
        .testTarget(
            name: "ABNFProofTests",
            dependencies: ["ABNF", "ABNFCompiler", "ABNFProof", "SMTPCommandParser"]
        ),
    ]
)
