import ABNF
import ABNFCompiler
import Foundation
import PropertyTesting
import SMTPCommandParser
import XCTest

/// The package root, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Support, PropertyTests, Tests, file
    return url.path
}()

let parserModule = "Sources/SMTPCommandParser"

/// Every command rule of the parser (the `;@entry` command lines), by verb.
let commandRules: [(verb: String, rule: String)] = [
    ("EHLO", "ehlo"), ("HELO", "helo"), ("MAIL", "mail"), ("RCPT", "rcpt"), ("DATA", "data"), ("RSET", "rset"),
    ("VRFY", "vrfy"), ("EXPN", "expn"), ("HELP", "help"), ("NOOP", "noop"), ("QUIT", "quit"),
    ("STARTTLS", "starttls"), ("AUTH", "auth"), ("BDAT", "bdat"), ("CLIENTID", "clientid"),
]

/// One grammar profile of Grammar/abnfc.conf with the parser options that select it.
struct Profile: Sendable {
    let name: String
    let options: SMTPCommandParser.Options
    /// The profile's grammar as the manifest lists it: the reference for verdicts.
    let grammar: Grammar
    let interpreter: Interpreter
    let parser: SMTPCommandParser
    /// Generators over the profile plus Grammar/known-parameters.abnf, from small
    /// strings to ones long enough to reach the RFC 5321 §4.5.3.1 limits.
    let generators: [(weight: Int, generator: GrammarGenerator)]

    /// Unbounded repeats go at most this far past their minimum: 4 keeps lines
    /// short and readable; 16 reaches long domains and paths; 63 lets one Atom
    /// reach 64 octets, the local-part limit, and domains pass 255 octets. The
    /// choice budget keeps nested repeats from multiplying (lines stay around
    /// the 512-octet limit instead of reaching megabytes).
    static let sizes: [(weight: Int, unboundedExtra: Int, choiceBudget: Int?)] = [(2, 4, nil), (1, 16, 600), (1, 63, 400)]

    init(name: String, options: SMTPCommandParser.Options) throws {
        self.name = name
        self.options = options
        let manifest = try PackageGenerator(packagePath: packageRoot).manifest(module: parserModule)
        let sources = try manifest.files(of: name).map { file in
            let path = "\(parserModule)/Grammar/\(file)"
            return GrammarSource(name: path, text: try String(contentsOfFile: "\(packageRoot)/\(path)", encoding: .utf8))
        }
        let overlayPath = "Tests/PropertyTests/Grammar/known-parameters.abnf"
        let overlay = GrammarSource(
            name: overlayPath, text: try String(contentsOfFile: "\(packageRoot)/\(overlayPath)", encoding: .utf8))
        do {
            grammar = try Grammar.loadChecked(sources).0
            let generation = try Grammar.loadChecked(sources + [overlay]).0
            generators = Self.sizes.map {
                ($0.weight, GrammarGenerator(generation, unboundedExtra: $0.unboundedExtra, choiceBudget: $0.choiceBudget))
            }
        } catch {
            throw GenerationError("profile \(name): \(error.description)")
        }
        interpreter = Interpreter(grammar)
        parser = SMTPCommandParser(options: options)
    }

    /// Strings of `rule` at any of the sizes (the smallest is the simplest).
    func strings(_ rule: String) throws -> Gen<GrammarText> {
        .weighted(try generators.map { ($0.weight, try $0.generator.string(rule)) })
    }

    /// Short strings only (for properties whose cost grows with the length squared).
    func shortStrings(_ rule: String) throws -> Gen<GrammarText> {
        try generators[0].generator.string(rule)
    }

    func nearMisses(_ rule: String) throws -> Gen<GrammarNearMiss> {
        .weighted(try generators.map { ($0.weight, try $0.generator.nearMiss(rule)) })
    }

    /// A valid line of any command rule (verb chosen first; EHLO is the simplest).
    func anyCommand() throws -> Gen<GrammarText> {
        .oneOf(try commandRules.map { try strings($0.rule) })
    }

    /// A short valid line of any command rule.
    func anyShortCommand() throws -> Gen<GrammarText> {
        .oneOf(try commandRules.map { try shortStrings($0.rule) })
    }

    var model: CommandModel { CommandModel(profile: self) }

    static let base = Result { try Profile(name: "base", options: .init()) }
    static let smtputf8 = Result { try Profile(name: "smtputf8", options: .init(smtputf8: true)) }
    static let lenient = Result { try Profile(name: "lenient", options: .init(lenient: true)) }
    static let lenientSMTPUTF8 = Result { try Profile(name: "lenient-smtputf8", options: .init(lenient: true, smtputf8: true)) }

    static func all() throws -> [Profile] {
        [try base.get(), try smtputf8.get(), try lenient.get(), try lenientSMTPUTF8.get()]
    }
}

extension SMTPCommandParser {
    /// Parses `line`. With a SIMD kernel (this CPU's, the parser's default), the
    /// line is also parsed by the table automata alone, and a difference fails
    /// the running test: every line a property suite generates holds the two
    /// paths to the same command or error.
    func result(_ line: [UInt8]) -> Result<SMTPCommand, SMTPSyntaxError> {
        func parse(_ parser: SMTPCommandParser) -> Result<SMTPCommand, SMTPSyntaxError> {
            do throws(SMTPSyntaxError) { return .success(try parser.parse(line)) } catch { return .failure(error) }
        }
        let found = parse(self)
        if let kernel {
            let tables = parse(SMTPCommandParser(options: options, kernel: nil))
            if found != tables {
                XCTFail("\"\(escaped(line))\": the \(kernel) kernel gives \(found), the table automata \(tables)")
            }
        }
        return found
    }
}

/// A command with its fields as text, for failure messages.
func show(_ command: SMTPCommand, _ line: [UInt8]) -> String {
    let owned = line.withUnsafeBytes { OwnedSMTPCommand(command, line: $0) }
    var text = "\(command)"
    text += " = \"\(escaped(owned.serialized()))\""
    return text
}

func show(_ error: SMTPSyntaxError) -> String {
    "\(error.replyCode) \(error.kind) at offset \(error.offset) in rule \(error.rule)"
}
