// swift-tools-version:6.1
// Fuzz: libFuzzer harnesses, a nested package so the root package never links
// libFuzzer. One executable target per harness; each file exports
// LLVMFuzzerTestOneInput and has no main (libFuzzer supplies it), so build the
// harnesses only with the sanitizer flags:
//   swift build -c release --sanitize=fuzzer --sanitize=address \
//     -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz --product fuzz-parser
// `fuzz-replay` is a plain executable that runs the same checks over files
// (no libFuzzer; for a debugger): swift build --scratch-path .build-replay --product fuzz-replay
// See README.md.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between
// checkouts (CI clones into another folder): derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let harnesses = ["parser", "framer", "differential", "grammar", "session", "kernel"]

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v15)],
    products: (harnesses + ["server-pipeline"]).map { .executable(name: "fuzz-\($0)", targets: ["fuzz-\($0)"]) } + [
        .executable(name: "fuzz-replay", targets: ["fuzz-replay"])
    ],
    dependencies: [
        .package(path: "..")
    ],
    targets: harnesses.map {
        .executableTarget(name: "fuzz-\($0)", dependencies: [.product(name: "FuzzProperties", package: root)])
    } + [
        // ClientIDServer's NIO pipeline on an EmbeddedChannel (builds NIO, BoringSSL, GRDB: slow).
        .executableTarget(
            name: "fuzz-server-pipeline",
            dependencies: [
                .product(name: "FuzzProperties", package: root), .product(name: "FuzzServerProperties", package: root),
            ]
        ),
        .executableTarget(
            name: "fuzz-replay",
            dependencies: [
                .product(name: "FuzzProperties", package: root), .product(name: "FuzzServerProperties", package: root),
            ]
        ),
    ]
)
