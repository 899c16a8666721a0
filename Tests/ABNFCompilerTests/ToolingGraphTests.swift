import ABNFCompiler
import Foundation
import XCTest

/// The package's target graph, as `swift package dump-package` reports it.
struct PackageGraph {
    /// Each target's dependencies inside the package (products of other packages left out).
    var dependencies: [String: [String]] = [:]
    /// Each target's declared path, if any.
    var paths: [String: String] = [:]
    /// Each target's excluded paths.
    var excludes: [String: [String]] = [:]

    static func load() throws -> PackageGraph {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Its own scratch path: `swift test` holds the lock on the package's .build.
        let scratch = NSTemporaryDirectory() + "dump-package-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        process.arguments = ["swift", "package", "--package-path", packageRoot, "--scratch-path", scratch, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let targets = json["targets"] as? [[String: Any]]
        else {
            throw GenerationError("swift package dump-package failed (exit \(process.terminationStatus))")
        }
        var graph = PackageGraph()
        let names = Set(targets.compactMap { $0["name"] as? String })
        for target in targets {
            guard let name = target["name"] as? String else { continue }
            var local: [String] = []
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                // {"byName": ["X", null]} or {"target": ["X", null]}; products are {"product": [...]}.
                for key in ["byName", "target"] {
                    if let entry = dependency[key] as? [Any], let dependencyName = entry.first as? String,
                        names.contains(dependencyName)
                    {
                        local.append(dependencyName)
                    }
                }
            }
            graph.dependencies[name] = local
            graph.paths[name] = target["path"] as? String
            graph.excludes[name] = target["exclude"] as? [String] ?? []
        }
        return graph
    }

    /// `target` and every target it depends on, directly or not.
    func closure(of target: String) -> Set<String> {
        var seen: Set<String> = [target]
        var work = [target]
        while let next = work.popLast() {
            for dependency in dependencies[next] ?? [] where seen.insert(dependency).inserted { work.append(dependency) }
        }
        return seen
    }
}

final class ToolingGraphTests: XCTestCase {
    /// The generator must build when generated code does not compile, or a
    /// broken generation could not be fixed by generating again: no target
    /// `abnfc` needs may hold generated code (a module with a grammar manifest).
    func testGeneratorBuildsWithoutGeneratedCode() throws {
        let graph = try PackageGraph.load()
        let generatedModules = Set(
            PackageGenerator(packagePath: packageRoot).grammarModules().map { String($0.split(separator: "/").last!) })
        XCTAssertTrue(generatedModules.contains("SMTPCommandParser"), "expected the parser among \(generatedModules)")
        let needed = graph.closure(of: "abnfc")
        XCTAssertTrue(needed.contains("ABNFProof"), "abnfc no longer proves? \(needed.sorted())")
        XCTAssertEqual(needed.intersection(generatedModules), [], "abnfc depends on generated code through \(needed.sorted())")
    }

    /// `abnfc vendor` copies the targets `Vendoring.modules` names and prints
    /// their declarations: they must be the parser's targets as Package.swift
    /// declares them, or the vendored copy would miss one or declare it wrongly.
    func testVendoredModulesAreTheParsersTargets() throws {
        let graph = try PackageGraph.load()
        let vendored = Vendoring.modules
        XCTAssertEqual(Set(vendored.map(\.name)), graph.closure(of: "SMTPCommandParser"))
        for module in vendored {
            XCTAssertEqual(Set(module.dependencies), Set(graph.dependencies[module.name] ?? []), module.name)
            XCTAssertEqual(Set(module.exclude), Set(graph.excludes[module.name] ?? []), module.name)
            XCTAssertNil(graph.paths[module.name], "\(module.name) has a custom path; vendoring copies Sources/\(module.name)")
            // Dependencies come first, so the printed declarations read in order.
            let position = vendored.firstIndex(of: module)!
            for dependency in module.dependencies {
                XCTAssertLessThan(vendored.firstIndex { $0.name == dependency } ?? .max, position, module.name)
            }
        }
    }
}
