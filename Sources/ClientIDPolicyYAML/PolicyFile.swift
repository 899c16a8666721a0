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
    /// Where in the file (1-based), when known: `file:line:column:` leads the description.
    public var line: Int? = nil
    public var column: Int? = nil
    public var description: String {
        let position = line.map { line in ":\(line)" + (column.map { ":\($0)" } ?? "") } ?? ""
        let place = file.map { "\($0)\(position): " } ?? (position.isEmpty ? "" : "\(position.dropFirst()): ")
        return "\(place)\(path.isEmpty ? "" : "\(path): ")\(problem)"
    }
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
            // YAMLDecoder reports a syntax error as data corrupted, with the YamlError under it.
            if case .dataCorrupted(let context) = error, let syntax = context.underlyingError as? YamlError {
                throw Self.syntaxError(syntax, file: file)
            }
            let (path, problem) = Self.describe(error)
            let mark = Self.mark(of: error, in: text)
            throw PolicyFileError(file: file, path: path, problem: problem, line: mark?.line, column: mark?.column)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
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

    static func syntaxError(_ error: YamlError, file: String?) -> PolicyFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return PolicyFileError(
                file: file, path: "", problem: "not valid YAML: \(problem)\(context.map { " (\($0.text))" } ?? "")",
                line: mark.line, column: mark.column)
        default:
            return PolicyFileError(file: file, path: "", problem: "not valid YAML: \(error)")
        }
    }

    /// The position of the node a decoding error is about (its parent for a missing key).
    static func mark(of error: DecodingError, in text: String) -> Mark? {
        let keys: [any CodingKey]
        switch error {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            keys = c.codingPath
        @unknown default:
            return nil
        }
        guard var node = try? Yams.compose(yaml: text) else { return nil }
        for key in keys {
            if let index = key.intValue, let sequence = node.sequence, index < sequence.count {
                node = sequence[index]
            } else if let child = node.mapping?[key.stringValue] {
                node = child
            } else {
                break
            }
        }
        return node.mark
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
