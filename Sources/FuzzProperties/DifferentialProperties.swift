// Differential property: every generated automaton (all four namespaces)
// gives the same verdict as the reference interpreter on its profile's grammar.
//
// Input layout: byte 0 picks the automaton (byte0 % count, over
// SMTPGrammar.all + SMTPGrammarUTF8.all + SMTPGrammarLenient.all +
// SMTPGrammarLenientUTF8.all, in that order); the next at most 512 bytes are
// the input (the interpreter is slow on long inputs, and no rule needs more).
//
// The grammars are loaded once, from the grammar files the automata were
// generated from: Sources/SMTPCommandParser/Grammar/, found relative to this
// file's #filePath (override with SMTP_FUZZ_PACKAGE_ROOT when the binary runs
// away from its checkout). Each namespace's profile comes from the manifest
// (Grammar/abnfc.conf), the same mapping `abnfc generate` used.

import ABNF
import ABNFCompiler
import Foundation
import SMTPCommandParser

public enum DifferentialProperties {
    public static let maxInputLength = 512

    public struct Entry: Sendable {
        public let namespace: String
        public let profile: String
        public let automaton: Automaton
        public let interpreter: Interpreter
    }

    /// Every automaton with the interpreter of its profile, in selector order.
    public static let entries: [Entry] = loadEntries()

    static let namespaces: [(String, [Automaton])] = [
        ("SMTPGrammar", SMTPGrammar.all),
        ("SMTPGrammarUTF8", SMTPGrammarUTF8.all),
        ("SMTPGrammarLenient", SMTPGrammarLenient.all),
        ("SMTPGrammarLenientUTF8", SMTPGrammarLenientUTF8.all),
    ]

    /// Where Sources/SMTPCommandParser/Grammar/ is: SMTP_FUZZ_PACKAGE_ROOT, else the
    /// checkout this file was compiled in (three folders up from #filePath), else
    /// `smtp-grammar/` beside the executable (how OSS-Fuzz ships it: oss-fuzz/build.sh).
    public static var packageRoot: String {
        if let root = ProcessInfo.processInfo.environment["SMTP_FUZZ_PACKAGE_ROOT"], !root.isEmpty { return root }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let besideBinary = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
            .appendingPathComponent("smtp-grammar").path
        let manifest = "/Sources/SMTPCommandParser/Grammar/abnfc.conf"
        return [checkout, besideBinary].first { FileManager.default.fileExists(atPath: $0 + manifest) } ?? checkout
    }

    static func loadEntries() -> [Entry] {
        let generator = PackageGenerator(packagePath: packageRoot)
        let module = "Sources/SMTPCommandParser"
        do {
            let manifest = try generator.manifest(module: module)
            var interpreters: [String: Interpreter] = [:]
            var entries: [Entry] = []
            for (namespace, automata) in namespaces {
                guard let output = manifest.outputs.first(where: { $0.namespace == namespace }) else {
                    fatalError("\(module)/Grammar/abnfc.conf generates no namespace \(namespace)")
                }
                let interpreter: Interpreter
                if let known = interpreters[output.profile] {
                    interpreter = known
                } else {
                    interpreter = Interpreter(try generator.grammar(module: module, profile: output.profile))
                    interpreters[output.profile] = interpreter
                }
                for automaton in automata {
                    guard interpreter.compiled.ruleIndex(automaton.rule) != nil else {
                        fatalError("\(namespace).\(automaton.rule) has no rule in profile \(output.profile)")
                    }
                    entries.append(
                        Entry(namespace: namespace, profile: output.profile, automaton: automaton, interpreter: interpreter))
                }
            }
            return entries
        } catch {
            fatalError("cannot load the grammar profiles under \(packageRoot)/\(module) (set SMTP_FUZZ_PACKAGE_ROOT): \(error)")
        }
    }

    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        guard let selector = input.first else { return }
        let entry = entries[Int(selector) % entries.count]
        let bytes = UnsafeRawBufferPointer(rebasing: input[1..<min(input.count, 1 + maxInputLength)])
        try check(entry, bytes)
    }

    public static func check(_ entry: Entry, _ bytes: UnsafeRawBufferPointer) throws(PropertyViolation) {
        let automaton = entry.automaton
        var tags = CaptureTags()
        let outcome = automaton.match(bytes, captures: &tags)
        let plain = automaton.match(bytes)
        try require(
            outcome == plain, "capture-run-differs",
            "\(entry.namespace).\(automaton.rule): \(outcome) with captures, \(plain) without, on \(escaped(bytes))")
        let expected = entry.interpreter.matches(automaton.rule, bytes)
        try require(
            (outcome == .accepted) == expected, "automaton-differs-from-interpreter",
            "\(entry.namespace).\(automaton.rule) (profile \(entry.profile)): interpreter \(expected ? "accepts" : "rejects"), automaton \(outcome), on \(escaped(bytes))"
        )
        if case .rejected(let offset, _) = outcome {
            try require(
                offset >= 0 && offset < bytes.count, "reject-offset-out-of-bounds",
                "\(automaton.rule): \(offset) of \(bytes.count)")
        }
        if outcome == .accepted {
            for i in automaton.fields.indices {
                if let r = tags[field: i] {
                    try require(
                        r.lowerBound >= 0 && r.upperBound <= bytes.count, "capture-out-of-bounds",
                        "\(entry.namespace).\(automaton.rule) field \(automaton.fields[i]) = \(r) of \(bytes.count)")
                }
            }
        }
    }
}
