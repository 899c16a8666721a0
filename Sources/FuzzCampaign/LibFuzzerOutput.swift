// Reading libFuzzer's and the sanitizers' text output: status lines, final
// stats, crash symptoms and stack frames.

import Foundation

/// One status line: `#123456 NEW cov: 1058 ft: 2475 corp: 294/13394b lim: 405 exec/s: 43690 rss: 222Mb`.
public struct LibFuzzerStatus: Equatable, Sendable {
    public var executions: Int
    public var event: String
    public var coverage: Int
    public var features: Int
    public var corpusFiles: Int
    public var execsPerSecond: Int

    public init(executions: Int, event: String, coverage: Int, features: Int, corpusFiles: Int, execsPerSecond: Int) {
        self.executions = executions
        self.event = event
        self.coverage = coverage
        self.features = features
        self.corpusFiles = corpusFiles
        self.execsPerSecond = execsPerSecond
    }

    public static func parse(_ line: Substring) -> LibFuzzerStatus? {
        guard line.first == "#" else { return nil }
        let words = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, let executions = Int(words[0]) else { return nil }
        var status = LibFuzzerStatus(
            executions: executions, event: String(words[1]), coverage: 0, features: 0, corpusFiles: 0, execsPerSecond: 0)
        var i = 2
        var sawCoverage = false
        while i + 1 < words.count {
            let value = words[i + 1]
            switch words[i] {
            case "cov:": status.coverage = Int(value) ?? 0; sawCoverage = true
            case "ft:": status.features = Int(value) ?? 0
            case "corp:": status.corpusFiles = Int(value.split(separator: "/").first ?? "") ?? 0
            case "exec/s:": status.execsPerSecond = Int(value) ?? 0
            default: i -= 1  // a word without a value (e.g. "L:" pairs, "MS:"): step by one
            }
            i += 2
        }
        return sawCoverage ? status : nil
    }
}

/// What a reproduced crash says about itself.
public struct CrashSignature: Equatable, Sendable, Codable {
    /// Lower-case words joined by "-": the property's symptom, the sanitizer's
    /// error, or the Swift runtime's message.
    public var symptom: String
    /// The first project frames of the stack (mangled names), innermost first.
    public var frames: [String]

    /// Stable across runs and builds of the same code: symptom and frame names, no addresses.
    public var hash: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in ([symptom] + frames).joined(separator: "|").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(String(h, radix: 16).suffix(8)).leftPadded(to: 8)
    }

    public var regressionName: String { "\(symptom)-\(hash)" }

    /// Reads the output of a harness run on one input (stderr and stdout together).
    public static func parse(_ output: String, artifactKind: String = "crash") -> CrashSignature? {
        var symptom: String?
        for line in output.split(separator: "\n") {
            if let range = line.range(of: "PROPERTY VIOLATED [") {
                // "... PROPERTY VIOLATED [parser] round-trip-mismatch: details"
                let rest = line[range.upperBound...]
                if let close = rest.firstIndex(of: "]") {
                    let after = rest[rest.index(after: close)...].drop(while: { $0 == " " })
                    symptom = String(after.prefix(while: { $0 != ":" && $0 != " " }))
                    break
                }
            }
            if symptom == nil, let range = line.range(of: "ERROR: AddressSanitizer: ") {
                symptom = slug(line[range.upperBound...].prefix(while: { $0 != " " }))
            }
            if symptom == nil, line.contains("ERROR: LeakSanitizer") { symptom = "memory-leak" }
            if symptom == nil, line.contains("ERROR: libFuzzer: timeout") { symptom = "timeout" }
            if symptom == nil, line.contains("ERROR: libFuzzer: out-of-memory") { symptom = "out-of-memory" }
            if symptom == nil, let range = line.range(of: "Fatal error: ") {
                symptom = slug(line[range.upperBound...])
            }
        }
        let frames = projectFrames(output)
        if symptom == nil {
            guard output.contains("ERROR: libFuzzer") || output.contains("ERROR: AddressSanitizer") || !frames.isEmpty else {
                return nil
            }
            symptom = artifactKind == "crash" ? "crash" : artifactKind
        }
        return CrashSignature(symptom: symptom!, frames: Array(frames.prefix(3)))
    }

    /// Stack frames of the first stack trace in project code: not libFuzzer,
    /// the sanitizers, the Swift runtime, libc, or the harness's own trap helper.
    public static func projectFrames(_ output: String) -> [String] {
        var frames: [String] = []
        var inTrace = false
        for line in output.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix("#"), let inRange = trimmed.range(of: " in ") else {
                if inTrace && !frames.isEmpty { break }  // only the first trace
                continue
            }
            inTrace = true
            let symbol = trimmed[inRange.upperBound...].prefix(while: { $0 != " " })
            let location = trimmed[inRange.upperBound...].dropFirst(symbol.count)
            let skip = [
                "fuzzer::", "__sanitizer", "__asan", "__interceptor", "__libc", "_start", "main", "LLVMFuzzerTestOneInput",
                "runOrTrap", "assertionFailure", "fatalError", "swift_", "abort", "raise", "gsignal",
            ]
            if skip.contains(where: { symbol.hasPrefix($0) || symbol.contains($0) }) { continue }
            if location.contains("libswiftCore.so") || location.contains("libc.so") || location.contains("libFuzzer") { continue }
            frames.append(String(symbol))
        }
        return frames
    }

    static func slug(_ text: Substring) -> String {
        var words: [String] = []
        var current = ""
        for c in text.lowercased() {
            if c.isLetter || c.isNumber {
                current.append(c)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
            if words.count == 5 { break }
        }
        if !current.isEmpty && words.count < 5 { words.append(current) }
        return words.isEmpty ? "crash" : words.joined(separator: "-")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
