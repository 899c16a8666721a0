// swift-tools-version:6.1
// Mutation: the swift-syntax instrumenter behind `smtp-fuzz mutants`, a nested
// package so that neither the root package's build nor CI's pays for
// swift-syntax (1-2.5 minutes of compile per clean build). It reads the
// hand-written files of the parser module and of the modules it depends on
// and writes an instrumented copy of each with every mutant behind a
// run-time selector (mutation switching); the rest
// (building, running the checks, the report) is in the root package's
// FuzzCampaign. See README.md.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between
// checkouts (CI clones into another folder): derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "Mutation",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smtp-mutate", targets: ["smtp-mutate"])
    ],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/swiftlang/swift-syntax", "600.0.1"..<"604.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "MutationInstrumenter",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftParser", package: "swift-syntax"),
                .product(name: "SwiftOperators", package: "swift-syntax"),
                .product(name: "MutationCatalog", package: root),
            ]
        ),
        .executableTarget(
            name: "smtp-mutate",
            dependencies: [
                "MutationInstrumenter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MutationInstrumenterTests", dependencies: ["MutationInstrumenter"]),
    ]
)
