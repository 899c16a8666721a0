// The fuzz targets by name: the names of Corpus/<target>/, of the harness
// binaries (fuzz-<target>) and of `smtp-fuzz --target`.

import Foundation

public enum FuzzTarget: String, CaseIterable, Sendable {
    case parser
    case framer
    case differential
    case grammar
    case session
    /// The SIMD kernel path against the table automata (KernelProperties).
    case kernel
    /// The server's NIO pipeline: its checks live in FuzzServerProperties (which
    /// imports NIO and ClientIDServer), so this module and smtp-fuzz never build NIO.
    case serverPipeline = "server-pipeline"

    /// The libFuzzer harness product in Fuzz/Package.swift.
    public var harness: String { "fuzz-\(rawValue)" }

    /// Whether `check` can judge this target's inputs here, or only
    /// `ServerPipelineProperties.check` in FuzzServerProperties can.
    public var checkedInFuzzProperties: Bool { self != .serverPipeline }

    /// What the harness checks, one line (for --help and reports).
    public var summary: String {
        switch self {
        case .parser: "SMTPCommandParser.parse: ranges in bounds, reply codes, round trip, strict ⇒ lenient"
        case .framer: "LineFramer: any chunking gives the same lines/errors as one feed and as a reference model"
        case .differential: "every generated automaton agrees with the reference interpreter"
        case .grammar: "GrammarParser/Grammar.load/GrammarChecker: errors not traps, locations inside the text"
        case .session:
            "SMTPSession driven by events: one reply per command in order, CLIENTID rules D6-D10, STARTTLS drops plaintext (D13)"
        case .kernel:
            "SIMD kernel path = table automata: the parser's same command or error, shuffle automata accept only what tables do, same captures"
        case .serverPipeline:
            "ClientIDServer's NIO pipeline on an EmbeddedChannel: chunking-independent, same replies as the session, bounded"
        }
    }

    /// A few words, for tables.
    public var shortSummary: String {
        switch self {
        case .parser: "parse: bounds, reply codes, round trip, strict ⇒ lenient"
        case .framer: "chunked feeds = one feed = reference model"
        case .differential: "generated automata = reference interpreter"
        case .grammar: "ABNF front end: diagnostics, never traps"
        case .session: "session vs wire model: replies, CLIENTID, D13"
        case .kernel: "SIMD kernel path = table automata"
        case .serverPipeline: "NIO pipeline: chunking, replies = session, bounds"
        }
    }

    /// Checks one input; throws the first broken property.
    public func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        switch self {
        case .parser: try ParserProperties.check(input)
        case .framer: try FramerProperties.check(input)
        case .differential: try DifferentialProperties.check(input)
        case .grammar: try GrammarProperties.check(input)
        case .session: try SessionProperties.check(input)
        case .kernel: try KernelProperties.check(input)
        case .serverPipeline:
            // Not a pass: replaying such an input here must fail loudly.
            throw PropertyViolation(
                "checked-elsewhere", "server-pipeline inputs are judged by ServerPipelineProperties.check (FuzzServerProperties)")
        }
    }

    /// Checks one input held in an array; returns the broken property, if any
    /// (for the replay tool and the regression test).
    public func violation(_ bytes: [UInt8]) -> PropertyViolation? {
        violation(bytes, using: check)
    }

    /// The same with another module's check (FuzzServerProperties).
    public func violation(
        _ bytes: [UInt8], using check: (UnsafeRawBufferPointer) throws(PropertyViolation) -> Void
    ) -> PropertyViolation? {
        bytes.withUnsafeBytes { buffer in
            do throws(PropertyViolation) {
                try check(buffer)
                return nil
            } catch {
                return error
            }
        }
    }

    /// For harnesses: checks `input` and traps with a greppable line on a violation,
    /// so libFuzzer saves the input and `smtp-fuzz` can name the symptom.
    /// Symptoms listed in SMTP_FUZZ_IGNORE (comma-separated; "*" for all) are open bugs
    /// already saved under Corpus/Regressions and listed in KNOWN_FAILURES:
    /// not trapping on them lets a campaign look for new bugs meanwhile.
    public func runOrTrap(_ input: UnsafeRawBufferPointer) {
        runOrTrap(input, using: check)
    }

    /// The same with another module's check (FuzzServerProperties).
    public func runOrTrap(
        _ input: UnsafeRawBufferPointer, using check: (UnsafeRawBufferPointer) throws(PropertyViolation) -> Void
    ) {
        do throws(PropertyViolation) {
            try check(input)
        } catch {
            if FuzzTarget.ignoredSymptoms.contains(error.symptom) || FuzzTarget.ignoredSymptoms.contains("*") { return }
            fatalError("PROPERTY VIOLATED [\(rawValue)] \(error.symptom): \(error.detail)")
        }
    }

    static let ignoredSymptoms: Set<String> = {
        guard let value = getenv("SMTP_FUZZ_IGNORE") else { return [] }
        return Set(String(cString: value).split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
    }()
}
