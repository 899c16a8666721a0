// swift-tools-version:6.1
// Benchmarks: a nested package so the root package never builds the harness.
//   swift package benchmark            package-benchmark suites (throughput, mallocs)
//   swift run -c release parser-throughput   one-run ratio table (README figures)
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between
// checkouts (CI clones into another folder): derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The deterministic corpus, the baselines and the workloads, shared by both runners.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "SMTPCommandParser", package: root),
                .product(name: "ABNF", package: root),
            ]
        ),
        .executableTarget(
            name: "ParserBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SMTPCommandParser", package: root),
            ],
            path: "Benchmarks/ParserBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SessionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SMTPSession", package: root),
            ],
            path: "Benchmarks/SessionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "parser-throughput",
            dependencies: ["BenchmarkSupport"]
        ),
    ]
)
