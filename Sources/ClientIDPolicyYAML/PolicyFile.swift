// Reads a YAML policy file (docs/policy.md) into a PolicyConfiguration. The model
// and its checks live in ClientIDPolicy; this target only adds Yams and file reading.

import ClientIDPolicy
import Foundation
import Yams

/// Why a policy file could not be read, with the path of the offending key.
public struct PolicyFileError: Error, Sendable, CustomStringConvertible {
    public let file: String?
    public let path: String
    public let problem: String
    public var description: String { "\(file.map { "\($0): " } ?? "")\(path.isEmpty ? "" : "\(path): ")\(problem)" }
}

extension PolicyConfiguration {
    /// Decodes a policy from YAML text. An empty document is the default policy.
    public static func fromYAML(_ text: String, file: String? = nil) throws(PolicyFileError) -> PolicyConfiguration {
        if text.split(whereSeparator: \.isNewline).allSatisfy({
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("#") || $0.allSatisfy(\.isWhitespace)
        }) {
            return PolicyConfiguration()
        }
        do {
            return try YAMLDecoder().decode(PolicyConfiguration.self, from: text)
        } catch let error as DecodingError {
            let (path, problem) = Self.describe(error)
            throw PolicyFileError(file: file, path: path, problem: problem)
        } catch {
            throw PolicyFileError(file: file, path: "", problem: "not valid YAML: \(error)")
        }
    }

    /// Reads and decodes a YAML policy file.
    public static func load(yamlFile path: String) throws(PolicyFileError) -> PolicyConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PolicyFileError(file: path, path: "", problem: "cannot read: \(error.localizedDescription)")
        }
        return try fromYAML(text, file: path)
    }

    static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .dataCorrupted(let c): return (path(c.codingPath), c.debugDescription)
        case .keyNotFound(let key, let c): return (path(c.codingPath + [key]), "missing: \(c.debugDescription)")
        case .typeMismatch(let type, let c): return (path(c.codingPath), "expected \(type): \(c.debugDescription)")
        case .valueNotFound(let type, let c): return (path(c.codingPath), "expected \(type), found nothing")
        @unknown default: return ("", "\(error)")
        }
    }
}
