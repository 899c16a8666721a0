// Mutation/EQUIVALENT: mutants that change no behaviour, each with the
// one-line argument why. A mutant listed there is not scored; it is still
// run, and a kill shows the note is wrong.

import Foundation

public struct EquivalentMutants: Sendable {
    /// Key → reason.
    public var reasons: [String: String]

    public init(reasons: [String: String] = [:]) { self.reasons = reasons }

    /// Lines `<key> <reason>`; `#` starts a comment line. A missing file is an empty list.
    public static func parse(_ text: String) throws -> EquivalentMutants {
        var reasons: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: " ", maxSplits: 1)
            let key = String(parts[0])
            let reason = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            guard key.contains(":"), !reason.isEmpty else {
                throw CampaignError(
                    "Mutation/EQUIVALENT:\(number + 1): expected \"<key> <why it is equivalent>\", got \"\(line)\"")
            }
            guard reasons[key] == nil else { throw CampaignError("Mutation/EQUIVALENT:\(number + 1): \(key) is listed twice") }
            reasons[key] = reason
        }
        return EquivalentMutants(reasons: reasons)
    }

    public static func load(_ path: String) throws -> EquivalentMutants {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return EquivalentMutants() }
        return try parse(text)
    }
}
