// swift-tools-version:6.1
// The root package builds and tests without Fuzz/ and Benchmarks/, which are
// nested packages depending on this one by path (see their own Package.swift).
import PackageDescription

let package = Package(
    name: "smtp-clientid-toolkit",
    platforms: [.macOS(.v15)],
    products: [
        // The reference SMTP submission server (ClientIDServer below).
        .executable(name: "clientid-server", targets: ["clientid-server"]),
        .library(name: "ABNF", targets: ["ABNF"]),
        .library(name: "ABNFCompiler", targets: ["ABNFCompiler"]),
        .library(name: "SMTPCommandParser", targets: ["SMTPCommandParser"]),
        .library(name: "SMTPSession", targets: ["SMTPSession"]),
        .library(name: "ClientIDPolicy", targets: ["ClientIDPolicy"]),
        .library(name: "ClientIDPolicyYAML", targets: ["ClientIDPolicyYAML"]),
        .library(name: "DeviceRegistrySQLite", targets: ["DeviceRegistrySQLite"]),
        .library(name: "DeviceRegistryPostgres", targets: ["DeviceRegistryPostgres"]),
        .executable(name: "abnfc", targets: ["abnfc"]),
        .executable(name: "smtp-parse", targets: ["smtp-parse"]),
        .executable(name: "smtp-fuzz", targets: ["smtp-fuzz"]),
        // Not an API: products only because the nested Fuzz/ package links its harnesses
        // against them (a package can depend only on another package's products).
        .library(name: "FuzzProperties", targets: ["FuzzProperties"]),
        .library(name: "FuzzServerProperties", targets: ["FuzzServerProperties"]),
        // The mutant catalogue shared with Mutation/ (the nested package of the swift-syntax instrumenter).
        .library(name: "MutationCatalog", targets: ["MutationCatalog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // NIO is imported by three modules only: ClientIDServer (sockets, TLS, its certificate,
        // logs), DeviceRegistryPostgres (postgres-nio) and FuzzServerProperties (EmbeddedChannel).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        // `swift package generate-documentation` (DocC catalogues under Sources/*/*.docc); build-time only.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Policy file (ClientIDPolicyYAML), device registry store and its keyed hash (DeviceRegistrySQLite).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The device registry shared by several servers (DeviceRegistryPostgres, `--registry postgres://`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // RFC 5234/7405 grammar model, parser, checker, reference interpreter and
        // random generation. Standard library only.
        .target(name: "ABNF"),
        // Compiles a checked grammar to deterministic automata and emits Swift.
        .target(name: "ABNFCompiler", dependencies: ["ABNF"]),
        // The runtime of generated automata (table decoder and matcher, recursive
        // descent): no generated code, so the generator and the proof build even
        // when generated code does not compile. Standard library only; vendored
        // with the parser.
        .target(name: "SMTPParserRuntime"),
        // The vendorable parser: grammar files, generated code and the typed
        // layer in one folder, over SMTPParserRuntime.
        .target(
            name: "SMTPCommandParser",
            dependencies: ["SMTPParserRuntime"],
            exclude: ["Grammar", "VERIFICATION.md"]
        ),
        // Proves the generated automata accept exactly their rules' languages,
        // by an independent construction, reading the committed tables through
        // the shipped decoder. Standard library (+ Foundation to read files).
        .target(name: "ABNFProof", dependencies: ["ABNF", "SMTPParserRuntime"]),
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
        .target(name: "TestGrammarFixtures", dependencies: ["SMTPParserRuntime"], exclude: ["Grammar"]),
        .testTarget(name: "ABNFTests", dependencies: ["ABNF"]),
        .testTarget(
            name: "SMTPCommandParserTests",
            dependencies: ["ABNF", "ABNFCompiler", "SMTPCommandParser", "SMTPParserRuntime"]
        ),
        .testTarget(
            name: "ABNFCompilerTests",
            dependencies: ["ABNF", "ABNFCompiler", "SMTPCommandParser", "TestGrammarFixtures"]
        ),
        .testTarget(
            name: "ABNFProofTests",
            dependencies: ["ABNF", "ABNFCompiler", "ABNFProof", "SMTPParserRuntime"]
        ),
        // The properties the fuzz harnesses check (Fuzz/, a nested package), shared
        // with the regression replay test so a saved input is judged the same way.
        .target(
            name: "FuzzProperties",
            dependencies: ["ABNF", "ABNFCompiler", "SMTPCommandParser", "SMTPSession", "ClientIDPolicy", "ClientIDRuleModel"]
        ),
        // The CLIENTID rules D6–D11 as a client follows them: the one model the fuzz
        // properties and the property suites check the session against. Test support.
        .target(name: "ClientIDRuleModel"),
        // The server-pipeline target's checks: ClientIDServer's pipeline on NIO's EmbeddedChannel.
        // Apart from FuzzProperties so that smtp-fuzz never builds NIO.
        .target(
            name: "FuzzServerProperties",
            dependencies: [
                "FuzzProperties", "ClientIDServer", "SMTPSession",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Replays Corpus/Regressions/<target>/* (and the parser/framer seeds) through FuzzProperties.
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["FuzzProperties", "FuzzServerProperties", "SMTPCommandParser", "ABNF"]
        ),
        // smtp-fuzz: builds the Fuzz/ harnesses, runs a campaign, triages crashes, reports;
        // mutation testing and coverage of the parser module; the verification record.
        .target(name: "FuzzCampaign", dependencies: ["ABNF", "ABNFCompiler", "ABNFProof", "FuzzProperties", "MutationCatalog"]),
        // The mutants as Mutation/'s smtp-mutate writes them and smtp-fuzz reads them. Standard library only.
        .target(name: "MutationCatalog"),
        .executableTarget(
            name: "smtp-fuzz",
            dependencies: ["FuzzCampaign", "FuzzProperties", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "FuzzCampaignTests", dependencies: ["FuzzCampaign", "FuzzProperties"], exclude: ["Fixtures"]),
        // CLIENTID policy engine (draft §6, §7; D17–D21): configuration model, decisions,
        // audit events, the device registry protocol. Standard library only.
        .target(name: "ClientIDPolicy"),
        // Reads a policy file (YAML, docs/policy.md) into ClientIDPolicy's configuration.
        .target(
            name: "ClientIDPolicyYAML",
            dependencies: ["ClientIDPolicy", .product(name: "Yams", package: "Yams")]
        ),
        // The persistent device registry (SQLite via GRDB) and the HMAC-SHA256 device keys (D20).
        .target(
            name: "DeviceRegistrySQLite",
            dependencies: [
                "ClientIDPolicy",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The device registry shared by several servers: PostgreSQL (postgres-nio), same contract,
        // plus per-device connection holds counted across servers (docs/server.md).
        .target(
            name: "DeviceRegistryPostgres",
            dependencies: [
                "ClientIDPolicy",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Sans-IO SMTP submission session: bytes and events in, actions out. No I/O.
        .target(name: "SMTPSession", dependencies: ["SMTPCommandParser", "ClientIDPolicy"]),
        .testTarget(
            name: "SMTPSessionTests",
            dependencies: ["SMTPSession", "SMTPCommandParser", "ClientIDPolicy", "ClientIDRuleModel"],
            exclude: ["Transcripts"]
        ),
        .testTarget(
            name: "ClientIDPolicyTests",
            dependencies: [
                "ClientIDPolicy", "ClientIDPolicyYAML", "DeviceRegistrySQLite", "SMTPSession",
                "DeviceRegistryPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Property-based testing for XCTest suites: seeded choices, generators read from the
        // grammar files, shrinking through the derivation (docs/properties.md).
        .target(name: "PropertyTesting", dependencies: ["ABNF"]),
        .testTarget(
            name: "PropertyTests",
            dependencies: [
                "ABNF", "ABNFCompiler", "SMTPCommandParser", "PropertyTesting", "SMTPSession", "ClientIDPolicy",
                "ClientIDRuleModel",
            ],
            exclude: ["Grammar"]
        ),
        // The reference submission server: a thin SwiftNIO driver of SMTPSession, TLS,
        // Maildir delivery, deadlines, logs (docs/architecture.md, docs/server.md).
        .target(
            name: "ClientIDServer",
            dependencies: [
                "SMTPSession", "ClientIDPolicy", "ClientIDPolicyYAML", "DeviceRegistrySQLite",
                "DeviceRegistryPostgres",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "clientid-server",
            dependencies: [
                "ClientIDServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts the server in-process and drives it with real clients (smtplib, swaks, openssl,
        // Thunderbird).
        .testTarget(
            name: "ClientIDServerTests",
            dependencies: [
                "ClientIDServer", "SMTPSession", "DeviceRegistrySQLite",
                "DeviceRegistryPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ]
)
