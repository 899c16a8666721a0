// `abnfc generate` and `abnfc verify`: find each module's grammar manifest
// (`Sources/<Module>/Grammar/abnfc.conf`), load its profiles, compile every
// rule and write (or compare) the generated Swift files.
//
// Manifest lines (# starts a comment):
//   profile NAME: FILE...              grammar files, in load order; @OTHER includes a profile
//   generate NAMESPACE from PROFILE into PATH [only-changed]
//   import MODULE                      generated files import MODULE (the runtime)
//   shuffle [except RULE...]           also write each entry rule's shuffle form (ShuffleTables.swift),
//                                      with references to the RULEs matching nothing
// PATH is relative to the module folder. `only-changed` keeps only the rules
// whose language the profile's own files change (for example the SMTPUTF8
// extensions), so the base rules are not generated twice.

import ABNF
import Foundation

public struct GenerationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct Manifest: Sendable {
    public struct Output: Sendable {
        public var namespace: String
        public var profile: String
        public var path: String
        public var onlyChanged: Bool
    }

    /// Each profile's own files (an `@include` is kept as "@NAME").
    public var profiles: [(name: String, items: [String])] = []
    public var outputs: [Output] = []
    /// Modules the generated files import (when the runtime lives elsewhere).
    public var imports: [String] = []
    /// With a `shuffle` line: the rules its shuffle forms leave out (nil: no shuffle forms).
    public var shuffleExcluded: [String]?

    public static func parse(_ text: String, file: String) throws(Diagnostic) -> Manifest {
        var manifest = Manifest()
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let keyword = words.first else { continue }
            func fail(_ message: String) -> Diagnostic {
                Diagnostic(
                    .error, at: SourceLocation(file: file, line: number + 1, column: 1), message, lineText: String(rawLine))
            }
            switch keyword {
            case "profile":
                guard words.count >= 3, words[1].hasSuffix(":") else {
                    throw fail("expected \"profile NAME: FILE...\"")
                }
                let name = String(words[1].dropLast())
                for item in words[2...] where item.hasPrefix("@") {
                    guard manifest.profiles.contains(where: { $0.name == item.dropFirst() }) else {
                        throw fail("profile \"\(item.dropFirst())\" is not defined above this line")
                    }
                }
                manifest.profiles.append((name, Array(words[2...])))
            case "import":
                guard words.count == 2 else { throw fail("expected \"import MODULE\"") }
                manifest.imports.append(words[1])
            case "shuffle":
                guard words.count == 1 || (words.count >= 3 && words[1] == "except") else {
                    throw fail("expected \"shuffle\" or \"shuffle except RULE...\"")
                }
                guard manifest.shuffleExcluded == nil else { throw fail("a second \"shuffle\" line") }
                manifest.shuffleExcluded = Array(words.dropFirst(2))
            case "generate":
                guard words.count == 6 || words.count == 7, words[2] == "from", words[4] == "into",
                    words.count == 6 || words[6] == "only-changed"
                else {
                    throw fail("expected \"generate NAMESPACE from PROFILE into PATH [only-changed]\"")
                }
                guard manifest.profiles.contains(where: { $0.name == words[3] }) else {
                    throw fail("profile \"\(words[3])\" is not defined")
                }
                manifest.outputs.append(
                    Output(namespace: words[1], profile: words[3], path: words[5], onlyChanged: words.count == 7))
            default:
                throw fail("unknown directive \"\(keyword)\": expected \"profile\", \"generate\", \"import\" or \"shuffle\"")
            }
        }
        return manifest
    }

    /// The files of a profile, includes expanded, in load order.
    public func files(of profile: String) -> [String] {
        guard let entry = profiles.first(where: { $0.name == profile }) else { return [] }
        return entry.items.flatMap { $0.hasPrefix("@") ? files(of: String($0.dropFirst())) : [$0] }
    }

    /// The files a profile adds to its included profiles.
    public func ownFiles(of profile: String) -> [String] {
        profiles.first(where: { $0.name == profile })?.items.filter { !$0.hasPrefix("@") } ?? []
    }
}

public struct GeneratedFile: Sendable, Equatable {
    /// Relative to the package root.
    public var path: String
    public var contents: String
}

public struct PackageGenerator {
    public let packagePath: String
    public static let command = "swift run abnfc generate"

    public init(packagePath: String) {
        self.packagePath = (packagePath as NSString).standardizingPath
    }

    /// Module folders (relative to the package) that have a grammar manifest.
    public func grammarModules() -> [String] {
        let sources = packagePath + "/Sources"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sources)) ?? []
        return names.sorted().filter { FileManager.default.fileExists(atPath: "\(sources)/\($0)/Grammar/abnfc.conf") }
            .map { "Sources/\($0)" }
    }

    func read(_ relative: String) throws -> String {
        let path = packagePath + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GenerationError("\(relative): cannot read the file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    public func manifest(module: String) throws -> Manifest {
        let path = "\(module)/Grammar/abnfc.conf"
        do {
            return try Manifest.parse(try read(path), file: path)
        } catch let diagnostic as Diagnostic {
            throw GenerationError(diagnostic.description)
        }
    }

    /// Loads and checks a profile's grammar (errors thrown, warnings ignored).
    public func grammar(module: String, profile: String) throws -> Grammar {
        let manifest = try manifest(module: module)
        let sources = try manifest.files(of: profile).map { file in
            GrammarSource(name: "\(module)/Grammar/\(file)", text: try read("\(module)/Grammar/\(file)"))
        }
        do {
            return try Grammar.loadChecked(sources).0
        } catch {
            throw GenerationError(error.description)
        }
    }

    /// Every generated file, as `generate` would write it.
    public func generatedFiles(progress: (String) -> Void = { _ in }) throws -> [GeneratedFile] {
        var files: [GeneratedFile] = []
        for module in grammarModules() {
            let manifest = try manifest(module: module)
            for output in manifest.outputs {
                progress("\(module)/\(output.path) from profile \(output.profile)")
                let grammar = try grammar(module: module, profile: output.profile)
                let rules =
                    output.onlyChanged
                    ? Self.changedRules(
                        grammar, ownFiles: manifest.ownFiles(of: output.profile).map { "\(module)/Grammar/\($0)" })
                    : grammar.rules.map(\.name)
                let compiled = try Self.compile(grammar, rules: rules, progress: progress)
                if output.onlyChanged && !compiled.descent.isEmpty {
                    throw GenerationError(
                        "\(module)/Grammar/abnfc.conf: \(output.path) is only-changed but has recursive rules (\(compiled.descent.map(\.name).joined(separator: ", "))); generate them from a full profile"
                    )
                }
                var shuffle: [SwiftEmitter.Shuffle]?
                if let excluded = manifest.shuffleExcluded {
                    progress("\(module)/\(output.path): shuffle forms")
                    shuffle = try Self.shuffleForms(grammar, compiled.automata.map(\.dfa), excluding: excluded)
                }
                let text = SwiftEmitter.emit(
                    .init(
                        namespace: output.namespace,
                        grammarFiles: manifest.files(of: output.profile).map { "\(module)/Grammar/\($0)" },
                        command: Self.command, imports: manifest.imports, automata: compiled.automata,
                        descent: compiled.descent, grammar: grammar, shuffle: shuffle))
                files.append(GeneratedFile(path: "\(module)/\(output.path)", contents: text))
            }
        }
        return files
    }

    /// Compiles `rules`: each to an automaton, except the rules that are
    /// recursive or use a recursive rule, which get set-based recursive
    /// descent (`descent`). Entry rules keep their captures; other rules are
    /// plain recognisers.
    public static func compile(_ grammar: Grammar, rules: [String], progress: (String) -> Void = { _ in }) throws
        -> (automata: [(dfa: DFA, location: SourceLocation)], descent: [Rule])
    {
        let needsDescent = descentRules(grammar)
        var automata: [(DFA, SourceLocation)] = []
        var descent: [Rule] = []
        for name in rules {
            let rule = grammar[name]!
            if needsDescent.contains(rule.key) {
                descent.append(rule)
                continue
            }
            do {
                let dfa = try DFABuilder.build(grammar, rule: rule.name, captures: rule.isEntry)
                automata.append((dfa, rule.location))
            } catch {
                throw GenerationError("\(rule.location): error: \(error.description)")
            }
        }
        return (automata, descent)
    }

    /// The shuffle form of each entry rule among `automata`, or why it has none.
    public static func shuffleForms(_ grammar: Grammar, _ automata: [DFA], excluding excluded: [String]) throws
        -> [SwiftEmitter.Shuffle]
    {
        for name in excluded where grammar[name] == nil {
            throw GenerationError("shuffle except \(name): no such rule in the grammar")
        }
        var forms: [SwiftEmitter.Shuffle] = []
        for dfa in automata where grammar[dfa.rule]?.isEntry == true {
            do {
                switch try ShuffleTableBuilder.build(grammar, rule: dfa.rule, fields: dfa.fields, excluding: excluded) {
                case .success(let tables): forms.append(SwiftEmitter.Shuffle(rule: dfa.rule, tables: tables, reason: nil))
                case .failure(let why): forms.append(SwiftEmitter.Shuffle(rule: dfa.rule, tables: nil, reason: why.description))
                }
            } catch {
                throw GenerationError("\(dfa.rule): shuffle form: \(error)")
            }
        }
        return forms
    }

    /// Recursive rules and every rule that uses one: they have no finite automaton.
    public static func descentRules(_ grammar: Grammar) -> Set<String> {
        var result = GrammarChecker.recursiveRules(grammar)
        var grew = true
        while grew {
            grew = false
            for rule in grammar.rules where !result.contains(rule.key) {
                var uses = false
                GrammarChecker.walk(rule.element) { element in
                    if case .rule(let ref) = element, result.contains(ref.key) { uses = true }
                    if case .prose(let text, _) = element, let bound = grammar[text], result.contains(bound.key) { uses = true }
                }
                if uses {
                    result.insert(rule.key)
                    grew = true
                }
            }
        }
        return result
    }

    /// Rules defined or extended in `ownFiles`, and every rule that uses them.
    public static func changedRules(_ grammar: Grammar, ownFiles: [String]) -> [String] {
        var touched = Set<String>()
        for rule in grammar.rules where ownFiles.contains(rule.location.file) { touched.insert(rule.key) }
        // `=/` increments keep the rule's first location; find them by their alternatives' locations.
        for rule in grammar.rules {
            GrammarChecker.walk(rule.element) { element in
                if case .rule(let ref) = element, ownFiles.contains(ref.location.file) { touched.insert(rule.key) }
            }
        }
        var changed = touched
        var grew = true
        while grew {
            grew = false
            for rule in grammar.rules where !changed.contains(rule.key) {
                var uses = false
                GrammarChecker.walk(rule.element) { element in
                    if case .rule(let ref) = element, changed.contains(ref.key) { uses = true }
                }
                if uses {
                    changed.insert(rule.key)
                    grew = true
                }
            }
        }
        return grammar.rules.filter { changed.contains($0.key) }.map(\.name)
    }

    /// Writes every generated file; returns the paths whose contents changed.
    public func write(progress: (String) -> Void = { _ in }) throws -> [String] {
        var changed: [String] = []
        for file in try generatedFiles(progress: progress) {
            let path = packagePath + "/" + file.path
            if let old = FileManager.default.contents(atPath: path), String(decoding: old, as: UTF8.self) == file.contents {
                continue
            }
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            changed.append(file.path)
        }
        return changed
    }

    /// Paths whose committed contents differ from what `write` would produce.
    public func staleFiles(progress: (String) -> Void = { _ in }) throws -> [String] {
        try generatedFiles(progress: progress).filter { file in
            guard let data = FileManager.default.contents(atPath: packagePath + "/" + file.path) else { return true }
            return String(decoding: data, as: UTF8.self) != file.contents
        }.map(\.path)
    }
}
