// The proof over a whole package: for every generated file named by a
// grammar manifest (Sources/<Module>/Grammar/abnfc.conf), every
// non-recursive rule of its profile's grammar is checked against the
// automaton the file ships.
//
// A file generated with `only-changed` holds only the rules whose language
// the profile's own files change; code falls back to the file of the
// included profile for the others. Those fallbacks are proved too, against
// the including profile's grammar: that is the claim `only-changed` makes.
//
// The manifest is read here (a few lines of its documented format) rather
// than through ABNFCompiler, so that nothing of the generator is trusted.

import ABNF
import Foundation
import SMTPParserRuntime

/// A problem with the inputs of the proof (not a difference it found).
public struct ProofSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The parts of `abnfc.conf` the proof needs.
public struct ProofManifest: Sendable {
    public struct Output: Sendable {
        public var namespace: String
        public var profile: String
        /// Relative to the module folder.
        public var path: String
        public var onlyChanged: Bool
    }

    /// Each profile's items in order: grammar files, and `@NAME` includes.
    public var profiles: [(name: String, items: [String])] = []
    public var outputs: [Output] = []

    public static func parse(_ text: String, file: String) throws(ProofSetupError) -> ProofManifest {
        var manifest = ProofManifest()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.prefix { $0 != "#" }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let keyword = words.first else { continue }
            if keyword == "profile", words.count >= 3, words[1].hasSuffix(":") {
                manifest.profiles.append((String(words[1].dropLast()), Array(words[2...])))
            } else if keyword == "import", words.count == 2 {
                continue  // the generated files' imports do not change what they accept
            } else if keyword == "shuffle" {
                // The shuffle forms for the SIMD kernel: not proved (docs/proof.md says how
                // they are checked instead), and they change nothing the table automata accept.
                continue
            } else if keyword == "generate", words.count == 6 || words.count == 7, words[2] == "from", words[4] == "into" {
                manifest.outputs.append(
                    Output(namespace: words[1], profile: words[3], path: words[5], onlyChanged: words.count == 7))
            } else {
                throw ProofSetupError("\(file):\(n + 1): cannot read \"\(line)\"")
            }
        }
        return manifest
    }

    /// The grammar files of a profile, includes expanded, in load order.
    public func files(of profile: String) -> [String] {
        guard let entry = profiles.first(where: { $0.name == profile }) else { return [] }
        return entry.items.flatMap { $0.hasPrefix("@") ? files(of: String($0.dropFirst())) : [$0] }
    }

    /// The profiles `profile` includes, directly, in order.
    public func includes(of profile: String) -> [String] {
        profiles.first(where: { $0.name == profile })?.items.filter { $0.hasPrefix("@") }.map { String($0.dropFirst()) } ?? []
    }
}

/// The verdict on one rule.
public struct RuleProof: Sendable {
    public enum Outcome: Sendable {
        case equivalent
        /// Side `.first` is the generated automaton, `.second` the grammar
        /// (the independent construction).
        case different(Counterexample)
        /// The grammar has the rule but no generated file has its automaton.
        case missing
        /// A generated automaton for a rule the grammar does not have.
        case unexpected
        /// The generated tables or the independent construction failed.
        case failed(String)
    }

    public var rule: String
    /// The namespace of the file whose automaton was checked (the output's
    /// own, or the one an `only-changed` output falls back to).
    public var namespace: String?
    public var generatorStates: Int?
    /// Derivatives explored, and states after Hopcroft minimisation.
    public var independentStates: Int?
    public var minimalStates: Int?
    public var outcome: Outcome

    public var isFallback: Bool = false

    public var holds: Bool {
        if case .equivalent = outcome { return true }
        return false
    }
}

/// The proof of one generated file against its profile's grammar.
public struct FileProof: Sendable {
    public var module: String
    public var output: ProofManifest.Output
    /// Where the automata of rules missing from an `only-changed` file come from.
    public var fallbackNamespaces: [String]
    /// Own rules first (file order), then fallback rules (grammar order).
    public var rules: [RuleProof]
    /// Recursive rules of the profile's grammar (no finite automaton).
    public var recursiveRules: [String]
}

public struct ProofReport: Sendable {
    public var files: [FileProof]
    public var bounds: ProofBounds

    public var allRules: [RuleProof] { files.flatMap(\.rules) }
    public var holds: Bool { allRules.allSatisfy(\.holds) }
}

/// What the proof does not cover, read from the grammars themselves.
public struct ProofBounds: Sendable {
    public struct Note: Sendable, Hashable {
        public var location: SourceLocation
        public var lines: [String]
    }

    /// Per profile, the rules that refer to themselves.
    public var recursiveRules: [(profile: String, rules: [String])] = []
    /// Prose values (`<...>`, RFC 5234 §4); each is proved as the rule it is bound to.
    public var proseValues: [(rule: String, text: String, location: SourceLocation)] = []
    /// Comment paragraphs of the grammar files about constraints left to code
    /// ("in code", "NOT WRITTEN AS GRAMMAR") or approximations ("APPROXIMATION").
    public var notes: [Note] = []
}

public enum PackageProof {
    /// Proves every generated file of every grammar module under `packagePath`.
    /// `profiles` and `rules` restrict the proof (empty: all); rule names are
    /// case-insensitive.
    public static func run(packagePath: String, profiles: [String] = [], rules: [String] = []) throws(ProofSetupError)
        -> ProofReport
    {
        let modules = grammarModules(packagePath)
        guard !modules.isEmpty else {
            throw ProofSetupError("no Sources/*/Grammar/abnfc.conf under \(packagePath)")
        }
        var report = ProofReport(files: [], bounds: ProofBounds())
        let wantedRules = Set(rules.map { $0.lowercased() })
        var unknownRules = wantedRules
        var knownProfiles: [String] = []
        var notedFiles = Set<String>()
        for module in modules {
            let manifestPath = "\(module)/Grammar/abnfc.conf"
            let manifest = try ProofManifest.parse(try read(packagePath, manifestPath), file: manifestPath)
            knownProfiles += manifest.outputs.map(\.profile)
            var automataByNamespace: [String: [GeneratedAutomaton]] = [:]
            func automata(_ output: ProofManifest.Output) throws(ProofSetupError) -> [GeneratedAutomaton] {
                if let known = automataByNamespace[output.namespace] { return known }
                let path = "\(module)/\(output.path)"
                let text = try read(packagePath, path)
                let found: [GeneratedAutomaton]
                do {
                    found = try GeneratedCode.automata(in: text)
                } catch {
                    throw ProofSetupError("\(path):\(error.line): \(error.message)")
                }
                automataByNamespace[output.namespace] = found
                return found
            }
            for output in manifest.outputs where profiles.isEmpty || profiles.contains(output.profile) {
                let files = manifest.files(of: output.profile).map { "\(module)/Grammar/\($0)" }
                let grammar = try loadGrammar(packagePath, files)
                let own = try automata(output)
                let fallbacks = fallbackOutputs(manifest, output)
                var fallbackAutomata: [(String, [GeneratedAutomaton])] = []
                if output.onlyChanged {
                    for fallback in fallbacks { fallbackAutomata.append((fallback.namespace, try automata(fallback))) }
                }
                let selected: (String) -> Bool = { rules.isEmpty || wantedRules.contains($0.lowercased()) }
                let proof = prove(
                    grammar: grammar, own: (output.namespace, own), onlyChanged: output.onlyChanged,
                    fallbacks: fallbackAutomata, selected: selected)
                report.files.append(
                    FileProof(
                        module: module, output: output, fallbackNamespaces: output.onlyChanged ? fallbacks.map(\.namespace) : [],
                        rules: proof.rules, recursiveRules: proof.recursiveRules))
                report.bounds.recursiveRules.append((output.profile, proof.recursiveRules))
                collectBounds(grammar, files: files, into: &report.bounds, notedFiles: &notedFiles)
                for rule in grammar.rules { unknownRules.remove(rule.key) }
            }
        }
        if let unknown = profiles.first(where: { !knownProfiles.contains($0) }) {
            throw ProofSetupError(
                "no generated file is made from profile \"\(unknown)\" (profiles with output: \(knownProfiles.joined(separator: ", ")))"
            )
        }
        if !unknownRules.isEmpty {
            throw ProofSetupError(
                "no rule named \(unknownRules.sorted().map { "\"\($0)\"" }.joined(separator: ", ")) in the selected profiles")
        }
        return report
    }

    /// Proves the automata of one generated file (and its fallbacks) against `grammar`.
    public static func prove(
        grammar: Grammar, own: (namespace: String, automata: [GeneratedAutomaton]), onlyChanged: Bool = false,
        fallbacks: [(namespace: String, automata: [GeneratedAutomaton])] = [], selected: (String) -> Bool = { _ in true }
    ) -> (rules: [RuleProof], recursiveRules: [String]) {
        let recursive = withoutFiniteAutomaton(grammar)
        let construction = DerivativeConstruction(grammar)
        var results: [RuleProof] = []
        var covered = Set<String>()
        for generated in own.automata {
            covered.insert(generated.rule.lowercased())
            guard selected(generated.rule) else { continue }
            guard let rule = grammar[generated.rule] else {
                results.append(
                    RuleProof(
                        rule: generated.rule, namespace: own.namespace, generatorStates: generated.stateCount,
                        outcome: .unexpected))
                continue
            }
            results.append(check(generated, namespace: own.namespace, rule: rule, construction))
        }
        for rule in grammar.rules where !covered.contains(rule.key) && !recursive.contains(rule.key) && selected(rule.name) {
            let fallback =
                onlyChanged
                ? fallbacks.lazy.compactMap { f in f.automata.first { $0.rule.lowercased() == rule.key }.map { (f.namespace, $0) }
                }.first
                : nil
            guard let (namespace, generated) = fallback else {
                results.append(RuleProof(rule: rule.name, outcome: .missing))
                continue
            }
            var proof = check(generated, namespace: namespace, rule: rule, construction)
            proof.isFallback = true
            results.append(proof)
        }
        let recursiveNames = grammar.rules.filter { recursive.contains($0.key) }.map(\.name)
        return (results, recursiveNames)
    }

    /// Recursive rules and the rules that use them: they have no finite
    /// automaton (the generator matches them by recursive descent), so the
    /// proof does not cover them and says so.
    static func withoutFiniteAutomaton(_ grammar: Grammar) -> Set<String> {
        var found = GrammarChecker.recursiveRules(grammar)
        var changed = true
        while changed {
            changed = false
            for rule in grammar.rules where !found.contains(rule.key) {
                var usesOne = false
                GrammarChecker.walk(rule.element) { element in
                    switch element {
                    case .rule(let ref): usesOne = usesOne || found.contains(ref.key)
                    case .prose(let text, _): usesOne = usesOne || grammar[text].map { found.contains($0.key) } ?? false
                    default: break
                    }
                }
                if usesOne {
                    found.insert(rule.key)
                    changed = true
                }
            }
        }
        return found
    }

    /// Proves one generated automaton against the independent construction of `rule`.
    public static func check(
        _ generated: GeneratedAutomaton, namespace: String?, rule: Rule, _ construction: DerivativeConstruction
    ) -> RuleProof {
        var proof = RuleProof(rule: rule.name, namespace: namespace, generatorStates: generated.stateCount, outcome: .equivalent)
        let shipped: ByteDFA
        do {
            shipped = try ByteDFA(runtime: try generated.decoded())
        } catch {
            proof.outcome = .failed("generated automaton (line \(generated.line)): \(error.description)")
            return proof
        }
        let independent: ByteDFA
        do {
            independent = try construction.automaton(rule: rule.name)
        } catch {
            proof.outcome = .failed("independent construction: \(error.description)")
            return proof
        }
        proof.independentStates = independent.stateCount
        proof.minimalStates = independent.minimized().stateCount
        if let counterexample = Equivalence.compare(shipped, independent).counterexample {
            proof.outcome = .different(counterexample)
        }
        return proof
    }

    // MARK: Package layout

    static func grammarModules(_ packagePath: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packagePath + "/Sources")) ?? []
        return names.sorted().map { "Sources/\($0)" }.filter {
            FileManager.default.fileExists(atPath: "\(packagePath)/\($0)/Grammar/abnfc.conf")
        }
    }

    static func read(_ packagePath: String, _ relative: String) throws(ProofSetupError) -> String {
        guard let data = FileManager.default.contents(atPath: packagePath + "/" + relative) else {
            throw ProofSetupError("\(relative): cannot read the file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Loads and checks a profile's grammar files (relative to the package).
    public static func loadGrammar(_ packagePath: String, _ files: [String]) throws(ProofSetupError) -> Grammar {
        var sources: [GrammarSource] = []
        for file in files { sources.append(GrammarSource(name: file, text: try read(packagePath, file))) }
        do {
            return try Grammar.loadChecked(sources).0
        } catch {
            throw ProofSetupError(error.description)
        }
    }

    /// The outputs an `only-changed` output falls back to: those of the
    /// profiles it includes, nearest first, through profiles without output.
    static func fallbackOutputs(_ manifest: ProofManifest, _ output: ProofManifest.Output) -> [ProofManifest.Output] {
        var result: [ProofManifest.Output] = []
        var visited = Set<String>()
        func visit(_ profile: String) {
            for included in manifest.includes(of: profile) where visited.insert(included).inserted {
                if let found = manifest.outputs.first(where: { $0.profile == included }) { result.append(found) }
                visit(included)
            }
        }
        visit(output.profile)
        return result
    }

    // MARK: Bounds

    static func collectBounds(_ grammar: Grammar, files: [String], into bounds: inout ProofBounds, notedFiles: inout Set<String>)
    {
        for rule in grammar.rules {
            GrammarChecker.walk(rule.element) { element in
                if case .prose(let text, let location) = element,
                    !bounds.proseValues.contains(where: { $0.location == location })
                {
                    bounds.proseValues.append((rule.name, text, location))
                }
            }
        }
        for file in files where notedFiles.insert(file).inserted {
            guard let lines = grammar.sources[file] else { continue }
            var paragraph: [String] = []
            var first = 0
            func flush() {
                let text = paragraph.joined(separator: "\n")
                if text.contains("NOT WRITTEN AS GRAMMAR") || text.contains("APPROXIMATION")
                    || text.lowercased().contains("in code")
                {
                    bounds.notes.append(.init(location: SourceLocation(file: file, line: first + 1, column: 1), lines: paragraph))
                }
                paragraph = []
            }
            for (n, line) in lines.enumerated() {
                // Whole-line comments only; annotations after rules are not notes.
                guard line.hasPrefix(";") else {
                    flush()
                    continue
                }
                var text = Substring(line.drop { $0 == ";" })
                if text.hasPrefix(" ") { text = text.dropFirst() }
                if text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    flush()
                    continue
                }
                if paragraph.isEmpty { first = n }
                paragraph.append(String(text))
            }
            flush()
        }
    }
}
