// `abnfc prove`: a thin shell over ABNFProof. Reads the committed generated
// files, proves each automaton against an independent construction from the
// grammar, prints one line per rule, the totals and what is not covered.

import ABNFProof
import ArgumentParser

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove that the generated automata accept exactly their rules' languages.",
        discussion: """
            Reads the Automaton(...) tables of every generated file named in \
            Sources/*/Grammar/abnfc.conf, decodes them with the runtime's Automaton.init, and \
            checks each against a DFA built independently from the grammar (Brzozowski \
            derivatives) by a breadth-first search of the product automaton. On a difference \
            it prints the shortest string only one side accepts (the first such in byte \
            order). Rules missing from an only-changed file are proved with the automaton of \
            the file it falls back to. Capture positions are not compared. Exits 1 on any \
            difference, missing or unreadable automaton; 2 when the inputs cannot be read. \
            See docs/proof.md.
            """)

    @OptionGroup var package: PackageOptions
    @Option(help: "Only the generated file(s) of this manifest profile (repeatable), e.g. base or smtputf8.")
    var profile: [String] = []
    @Argument(help: "Rules to prove (case-insensitive; default: every rule).") var rules: [String] = []

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let report: ProofReport
        do {
            report = try PackageProof.run(packagePath: package.packagePath, profiles: profile, rules: rules)
        } catch {
            note("error: \(error.description)")
            throw ExitCode(2)
        }
        let elapsed = clock.now - started
        let width = max(24, report.allRules.map(\.rule.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func padLeft(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }

        for file in report.files {
            let own = file.rules.filter { !$0.isFallback }
            let fallback = file.rules.filter(\.isFallback)
            var title = "\(file.module)/\(file.output.path) (profile \(file.output.profile), \(own.count) rules"
            if file.output.onlyChanged {
                title += ", only-changed, falling back to \(file.fallbackNamespaces.joined(separator: ", "))"
            }
            print(title + ")")
            print("  " + pad("rule", width) + "  generator  independent  minimal  result")
            func line(_ proof: RuleProof) {
                let counts =
                    padLeft(proof.generatorStates.map(String.init) ?? "-", 9) + "  "
                    + padLeft(proof.independentStates.map(String.init) ?? "-", 11) + "  "
                    + padLeft(proof.minimalStates.map(String.init) ?? "-", 7)
                let via = proof.isFallback ? " (automaton of \(proof.namespace ?? "?"))" : ""
                print("  " + pad(proof.rule, width) + "  " + counts + "  " + verdict(proof) + via)
            }
            for proof in own { line(proof) }
            if !fallback.isEmpty {
                let bad = fallback.filter { !$0.holds }
                if rules.isEmpty {
                    for proof in bad { line(proof) }
                    let sources = Set(fallback.compactMap(\.namespace)).sorted().joined(separator: ", ")
                    print(
                        "  + \(fallback.count) rules not in this file, proved with the automata of \(sources): "
                            + (bad.isEmpty ? "all equivalent" : "\(bad.count) not equivalent (above)"))
                } else {
                    for proof in fallback { line(proof) }
                }
            }
            print("")
        }

        let all = report.allRules
        func count(_ match: (RuleProof.Outcome) -> Bool) -> Int { all.filter { match($0.outcome) }.count }
        let equivalent = count { if case .equivalent = $0 { true } else { false } }
        let different = count { if case .different = $0 { true } else { false } }
        let missing = count { if case .missing = $0 { true } else { false } }
        let unexpected = count { if case .unexpected = $0 { true } else { false } }
        let failed = count { if case .failed = $0 { true } else { false } }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let files = report.files.count == 1 ? "1 generated file" : "\(report.files.count) generated files"
        print(
            "Totals: \(all.count) rule proofs in \(files): \(equivalent) equivalent, "
                + "\(different) different, \(missing) missing, \(unexpected) unexpected, \(failed) unreadable.")
        print(
            "  states: generator \(all.compactMap(\.generatorStates).reduce(0, +)), independent "
                + "\(all.compactMap(\.independentStates).reduce(0, +)) derivatives, "
                + "\(all.compactMap(\.minimalStates).reduce(0, +)) after minimisation")
        print("  running time: \(Int((seconds * 1000).rounded())) ms")
        print("")
        printBounds(report.bounds)
        if !report.holds { throw ExitCode(1) }
    }

    func verdict(_ proof: RuleProof) -> String {
        switch proof.outcome {
        case .equivalent:
            return "equivalent"
        case .different(let c):
            let (yes, no) =
                c.acceptedBy == .first ? ("the generated automaton", "the grammar") : ("the grammar", "the generated automaton")
            return "DIFFERENT: \"\(escapedBytes(c.input))\" (\(c.input.count) bytes) is accepted by \(yes), rejected by \(no)"
        case .missing:
            return "MISSING: the grammar has this rule, no generated file has its automaton"
        case .unexpected:
            return "UNEXPECTED: a generated automaton for a rule the grammar does not have"
        case .failed(let why):
            return "UNREADABLE: \(why)"
        }
    }

    func printBounds(_ bounds: ProofBounds) {
        print("Not covered by this proof:")
        print("  - Capture positions. Equivalence is about acceptance only; where captures start and end")
        print("    is checked by the differential tests (Tests/ABNFCompilerTests) and the fuzzers instead.")
        let recursive = bounds.recursiveRules.filter { !$0.rules.isEmpty }
        if recursive.isEmpty {
            let profiles = bounds.recursiveRules.map(\.profile).joined(separator: ", ")
            print("  - Recursive rules (no finite automaton): none in \(profiles.isEmpty ? "the selected profiles" : profiles).")
        } else {
            print(
                "  - Rules without a finite automaton (recursive, or using one): generated as recursive descent,\n    compared with the interpreter by the differential tests, not proved:"
            )
            for (profile, names) in recursive { print("      \(profile): \(names.joined(separator: ", "))") }
        }
        if bounds.proseValues.isEmpty {
            print("  - Prose values (<...>): none.")
        } else {
            print("  - Prose values, proved as the rule they are bound to (the prose itself is not checked):")
            for p in bounds.proseValues { print("      <\(p.text)> in \(p.rule) (\(p.location))") }
        }
        print("  - The grammar's fidelity to the RFC text. The proof is against the grammar files; their")
        print("    REWRITE and APPROXIMATION deviations are listed in Grammar/README.md. For example")
        print("    General-address-literal with the tag \"IPv6\" accepts any \"IPv6:\" 1*dcontent, so")
        print("    address-literal accepts literals that IPv6-address-literal rejects; which tags are")
        print("    standardised is left to code.")
        print("  - The grammar parser. Both sides start from the same parsed model (ABNF's parser, `=/`")
        print("    merging, core rules), so a misreading there is invisible here (Tests/ABNFTests cover it).")
        print("  - The runtime's matching loop. The tables are decoded by the shipped Automaton.init; the")
        print("    semantics of Automaton.match (state 0 rejects at once) are modelled, not executed, so any")
        print("    layout match derives from the tables for speed is covered by the tests, not here.")
        print("  - The shuffle forms the SIMD kernel steps (the Shuffle enum of each generated file). They only")
        print("    ever accept, and the parser takes their verdict only then: the fuzz target `kernel` and the")
        print("    parser tests hold every line they accept to the table automaton's verdict and captures.")
        print("  - Constraints the grammar files leave to code or approximate (from their comments):")
        for note in bounds.notes {
            print("      \(note.location.file):\(note.location.line)")
            for line in note.lines { print("        \(line)") }
        }
    }
}
