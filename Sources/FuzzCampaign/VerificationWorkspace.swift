// A small package generated inside the checkout (under a git-ignored
// `.build-*` folder) that builds a chosen set of the root package's targets,
// and Fuzz/'s harnesses, by linking their folders: the parser's tests and
// harnesses without the rest of the package (NIO, the server, the registry),
// and optionally with the mutated modules (the parser and the runtime it
// depends on) replaced by their instrumented copies.
// The targets' definitions are read from `swift package dump-package`, so the
// workspace follows Package.swift (a new C target or setting of the parser
// comes along) instead of keeping a second copy of it.

import Foundation

public struct PackageTarget: Sendable, Equatable {
    public enum Kind: String, Sendable { case regular, test, executable, system }
    public var name: String
    public var kind: Kind
    /// Relative to the package that declares it.
    public var path: String
    public var exclude: [String]
    public var sources: [String]?
    /// `.copy("x")` / `.process("x")` as Swift source.
    public var resources: [String]
    public var publicHeadersPath: String?
    /// Settings as Swift source, by tool ("c", "cxx", "swift", "linker").
    public var settings: [String: [String]]
    /// Local target names (products of the root package already resolved to their targets).
    public var dependencies: [String]
    /// External products this target needs ("product (package)"): such a target cannot join a workspace.
    public var externalProducts: [String]
}

public struct PackageDescriptionDump: Sendable {
    public var targets: [String: PackageTarget]
    public var order: [String]
    public var platforms: [String]

    /// Runs `swift package dump-package` in `packagePath`. `rootIdentity` and
    /// `rootProducts` resolve a nested package's product dependencies on the root.
    public static func load(packagePath: String, rootIdentity: String? = nil, rootProducts: [String: [String]] = [:]) throws
        -> (PackageDescriptionDump, products: [String: [String]])
    {
        // A scratch folder of its own: the package's .build may be locked by a build in progress.
        let result = try runTool(
            Toolchain.swift,
            ["package", "--package-path", packagePath, "--scratch-path", packagePath + "/.build-dump", "dump-package"],
            timeout: 600)
        guard result.status == 0, let start = result.output.firstIndex(of: "{") else {
            throw CampaignError("swift package dump-package failed in \(packagePath):\n\(result.output.suffix(2000))")
        }
        // Resolution messages may precede the JSON on the same stream.
        let json = Data(result.output[start...].utf8)
        guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw CampaignError("swift package dump-package in \(packagePath): not a JSON object")
        }
        return try parse(object, rootIdentity: rootIdentity, rootProducts: rootProducts)
    }

    public static func parse(_ object: [String: Any], rootIdentity: String?, rootProducts: [String: [String]]) throws
        -> (PackageDescriptionDump, products: [String: [String]])
    {
        var targets: [String: PackageTarget] = [:]
        var order: [String] = []
        for t in object["targets"] as? [[String: Any]] ?? [] {
            guard let name = t["name"] as? String, let type = t["type"] as? String else { continue }
            guard let kind = PackageTarget.Kind(rawValue: type) else { continue }  // plugins, macros, binaries
            let defaultFolder = kind == .test ? "Tests" : "Sources"
            var dependencies: [String] = []
            var external: [String] = []
            for d in t["dependencies"] as? [[String: Any]] ?? [] {
                if let byName = (d["byName"] ?? d["target"]) as? [Any], let dep = byName.first as? String {
                    dependencies.append(dep)
                } else if let product = d["product"] as? [Any], let dep = product.first as? String {
                    let package = product.count > 1 ? product[1] as? String : nil
                    if let package, package == rootIdentity, let resolved = rootProducts[dep] {
                        dependencies += resolved
                    } else {
                        external.append("\(dep) (\(package ?? "?"))")
                    }
                }
            }
            var settings: [String: [String]] = [:]
            for s in t["settings"] as? [[String: Any]] ?? [] {
                guard let tool = s["tool"] as? String, let kind = s["kind"] as? [String: Any] else { continue }
                settings[tool, default: []].append(try renderSetting(kind, tool: tool, condition: s["condition"], target: name))
            }
            let resources = try (t["resources"] as? [[String: Any]] ?? []).map { r -> String in
                guard let path = r["path"] as? String, let rule = r["rule"] as? [String: Any], let ruleName = rule.keys.first
                else {
                    throw CampaignError("target \(name): a resource this tool cannot read")
                }
                switch ruleName {
                case "copy": return ".copy(\(literal(path)))"
                case "process": return ".process(\(literal(path)))"
                case "embedInCode": return ".embedInCode(\(literal(path)))"
                default: throw CampaignError("target \(name): resource rule \(ruleName) is not supported")
                }
            }
            targets[name] = PackageTarget(
                name: name, kind: kind, path: t["path"] as? String ?? "\(defaultFolder)/\(name)",
                exclude: t["exclude"] as? [String] ?? [], sources: t["sources"] as? [String], resources: resources,
                publicHeadersPath: t["publicHeadersPath"] as? String, settings: settings, dependencies: dependencies,
                externalProducts: external)
            order.append(name)
        }
        var products: [String: [String]] = [:]
        for p in object["products"] as? [[String: Any]] ?? [] {
            if let name = p["name"] as? String, let list = p["targets"] as? [String] { products[name] = list }
        }
        var platforms: [String] = []
        for p in object["platforms"] as? [[String: Any]] ?? [] {
            guard let name = p["platformName"] as? String, let version = p["version"] as? String else { continue }
            let platform =
                ["macos": "macOS", "ios": "iOS", "tvos": "tvOS", "watchos": "watchOS", "visionos": "visionOS"][name] ?? name
            platforms.append(".\(platform)(\(literal(version)))")
        }
        return (PackageDescriptionDump(targets: targets, order: order, platforms: platforms), products)
    }

    static func literal(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// One `dump-package` setting (`{"define": {"_0": "X=1"}}`) as Swift source.
    static func renderSetting(_ kind: [String: Any], tool: String, condition: Any?, target: String) throws -> String {
        guard let (name, value) = kind.first else { throw CampaignError("target \(target): an empty setting") }
        let payload = (value as? [String: Any])?["_0"]
        let text = payload as? String
        var call: String
        switch name {
        case "define" where tool == "swift":
            call = ".define(\(literal(text ?? "")))"
        case "define":
            let parts = (text ?? "").split(separator: "=", maxSplits: 1).map(String.init)
            call =
                parts.count == 2 ? ".define(\(literal(parts[0])), to: \(literal(parts[1])))" : ".define(\(literal(text ?? "")))"
        case "headerSearchPath": call = ".headerSearchPath(\(literal(text ?? "")))"
        case "unsafeFlags": call = ".unsafeFlags([\(((payload as? [String]) ?? []).map(literal).joined(separator: ", "))])"
        case "enableExperimentalFeature": call = ".enableExperimentalFeature(\(literal(text ?? "")))"
        case "enableUpcomingFeature": call = ".enableUpcomingFeature(\(literal(text ?? "")))"
        case "swiftLanguageMode": call = ".swiftLanguageMode(.v\(text ?? "6"))"
        case "linkedLibrary": call = ".linkedLibrary(\(literal(text ?? "")))"
        case "linkedFramework": call = ".linkedFramework(\(literal(text ?? "")))"
        case "interoperabilityMode": call = ".interoperabilityMode(.\(text ?? "Cxx"))"
        default:
            throw CampaignError(
                "target \(target): setting \(name) is not supported by the verification workspace; add it to FuzzCampaign/VerificationWorkspace.swift"
            )
        }
        if let condition = condition as? [String: Any] {
            var parts: [String] = []
            if let platforms = condition["platformNames"] as? [String], !platforms.isEmpty {
                parts.append("platforms: [\(platforms.map { "." + ($0 == "macos" ? "macOS" : $0) }.joined(separator: ", "))]")
            }
            if let config = condition["config"] as? String { parts.append("configuration: .\(config)") }
            if !parts.isEmpty { call.removeLast(); call += ", .when(\(parts.joined(separator: ", "))))" }
        }
        return call
    }
}

public struct VerificationWorkspace {
    /// The workspace folder (a package).
    public let folder: String
    public let packageRoot: String
    /// The package name: its test bundle is `<name>PackageTests.xctest`.
    public static let packageName = "ParserChecks"

    public init(folder: String, packageRoot: String) {
        self.folder = folder
        self.packageRoot = packageRoot
    }

    public var testBundle: String { "\(Self.packageName)PackageTests.xctest" }

    /// The root package's targets and Fuzz/'s harness targets, read once.
    public struct Definitions: Sendable {
        public var root: PackageDescriptionDump
        public var fuzz: PackageDescriptionDump

        public static func load(packageRoot: String) throws -> Definitions {
            let (root, products) = try PackageDescriptionDump.load(packagePath: packageRoot)
            let identity = URL(fileURLWithPath: packageRoot).lastPathComponent.lowercased()
            let (fuzz, _) = try PackageDescriptionDump.load(
                packagePath: packageRoot + "/Fuzz", rootIdentity: identity, rootProducts: products)
            return Definitions(root: root, fuzz: fuzz)
        }

        /// Test targets of the root package that reach `module` through local targets only.
        public func testTargets(reaching module: String) -> [String] {
            root.order.filter { name in
                guard let t = root.targets[name], t.kind == .test else { return false }
                let closure = self.closure([name], includeFuzz: false)
                return closure.contains(module) && closure.allSatisfy { root.targets[$0]?.externalProducts.isEmpty ?? true }
            }
        }

        /// `names` and every local target they depend on.
        public func closure(_ names: [String], includeFuzz: Bool) -> [String] {
            var seen: [String] = []
            var stack = names
            while let name = stack.popLast() {
                guard !seen.contains(name) else { continue }
                seen.append(name)
                let target = (includeFuzz ? fuzz.targets[name] : nil) ?? root.targets[name]
                stack += target?.dependencies ?? []
            }
            return seen
        }
    }

    /// Writes Package.swift and the links. `instrumented`: module name → folder of its
    /// instrumented copy (inside the workspace), used instead of the module's own folder.
    public func write(
        _ definitions: Definitions, targets selected: [String], harnesses: [String] = [], instrumented: [String: String] = [:]
    ) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Every top-level entry of the checkout but the package's own files, so
        // targets keep their relative paths (and code that finds files from #filePath works).
        let skip: Set<String> = ["Package.swift", "Package.resolved", ".git", ".swiftpm"]
        for entry in try fm.contentsOfDirectory(atPath: packageRoot) where !skip.contains(entry) && !entry.hasPrefix(".build") {
            let link = folder + "/" + entry
            if (try? fm.destinationOfSymbolicLink(atPath: link)) != nil { continue }
            if fm.fileExists(atPath: link) { continue }
            try fm.createSymbolicLink(atPath: link, withDestinationPath: packageRoot + "/" + entry)
        }
        let names = definitions.closure(selected + harnesses, includeFuzz: true)
        var lines: [String] = []
        for name in definitions.root.order + definitions.fuzz.order where names.contains(name) {
            let isHarness = definitions.fuzz.targets[name] != nil && definitions.root.targets[name] == nil
            guard var target = isHarness ? definitions.fuzz.targets[name] : definitions.root.targets[name] else { continue }
            if !target.externalProducts.isEmpty {
                throw CampaignError(
                    "target \(name) needs \(target.externalProducts.joined(separator: ", ")): the verification workspace builds local targets only"
                )
            }
            if isHarness { target.path = "Fuzz/" + target.path }
            if let copy = instrumented[name] { target.path = copy }
            lines.append(Self.render(target))
        }
        let manifest = """
            // swift-tools-version:6.1
            // Generated by smtp-fuzz (Sources/FuzzCampaign/VerificationWorkspace.swift) from
            // `swift package dump-package` of the checkout: do not edit, it is rewritten on every run.
            import PackageDescription

            let package = Package(
                name: "\(Self.packageName)",
                platforms: [\(definitions.root.platforms.joined(separator: ", "))],
                targets: [
            \(lines.map { "        " + $0 + "," }.joined(separator: "\n"))
                ]
            )

            """
        let path = folder + "/Package.swift"
        // Unchanged manifest, unchanged build plan: SwiftPM then rebuilds only what changed.
        if fm.contents(atPath: path) != Data(manifest.utf8) { try Data(manifest.utf8).write(to: URL(fileURLWithPath: path)) }
    }

    static func render(_ t: PackageTarget) -> String {
        let literal = PackageDescriptionDump.literal
        var args = ["name: \(literal(t.name))"]
        args.append("dependencies: [\(t.dependencies.map { ".target(name: \(literal($0)))" }.joined(separator: ", "))]")
        args.append("path: \(literal(t.path))")
        if !t.exclude.isEmpty { args.append("exclude: [\(t.exclude.map(literal).joined(separator: ", "))]") }
        if let sources = t.sources { args.append("sources: [\(sources.map(literal).joined(separator: ", "))]") }
        if !t.resources.isEmpty { args.append("resources: [\(t.resources.joined(separator: ", "))]") }
        if t.kind == .regular, let headers = t.publicHeadersPath { args.append("publicHeadersPath: \(literal(headers))") }
        for (tool, label) in [
            ("c", "cSettings"), ("cxx", "cxxSettings"), ("swift", "swiftSettings"), ("linker", "linkerSettings"),
        ] {
            if let list = t.settings[tool], !list.isEmpty { args.append("\(label): [\(list.joined(separator: ", "))]") }
        }
        let factory =
            switch t.kind {
            case .regular: "target"
            case .test: "testTarget"
            case .executable: "executableTarget"
            case .system: "systemLibrary"
            }
        return ".\(factory)(\(args.joined(separator: ", ")))"
    }
}
