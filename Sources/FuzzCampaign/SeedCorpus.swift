// The seed corpus, generated from the grammar so every alternative and
// repetition bound of every command rule is in it (StringGenerator.covering),
// plus the draft's §8 example lines and hand-written hostile inputs. Output
// is deterministic: fixed seeds, names from a hash of the content.
//
// Each file is written as <corpus>/<target>/seed-<kind>-<hash>; `write` first
// deletes the old seed-* files and leaves the inputs libFuzzer merged in
// (named by their SHA-1) alone.

import ABNF
import ABNFCompiler
import Foundation
import FuzzProperties

public struct SeedCorpus {
    public let packageRoot: String
    public private(set) var files: [FuzzTarget: [(name: String, bytes: [UInt8])]] = [:]
    private var seen: Set<[UInt8]> = []

    /// Profiles in the order of ParserProperties' option byte (bit 0 lenient, bit 1 SMTPUTF8).
    static let profiles = ["base", "lenient", "smtputf8", "lenient-smtputf8"]
    static let commands = [
        "ehlo", "helo", "mail", "rcpt", "data", "rset", "vrfy", "expn", "help", "noop", "quit",
        "starttls", "auth", "bdat", "clientid",
    ]

    public init(packageRoot: String) throws {
        self.packageRoot = packageRoot
        try build()
    }

    mutating func add(_ target: FuzzTarget, _ kind: String, _ bytes: [UInt8]) {
        guard seen.insert([UInt8(FuzzTarget.allCases.firstIndex(of: target)!)] + bytes).inserted else { return }
        files[target, default: []].append(("seed-\(kind)-\(Self.hash(bytes))", bytes))
    }

    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return String(String(h, radix: 16).suffix(8)).leftPadded(to: 8)
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Draft §8 (draft-storey-smtp-client-id-08), every client line of its four examples.
    public static let draftExamples = [
        "EHLO client.example.net", "STARTTLS", "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f",
        "AUTH LOGIN dGVzdAB0ZXN0ADEyMzQ=", "MAIL FROM:<sender@example.net>", "RCPT TO:<receiver@example.com>",
        "DATA", "QUIT", "CLIENTID MAC 08:9e:01:70:f6:46", "CLIENTID MAC",
    ]

    /// Hostile lines: framing tricks, smuggling, injection payloads, limits and overflows.
    public static let hostileLines: [(String, [UInt8])] = {
        var list: [(String, [UInt8])] = [
            ("bare-lf", bytes("EHLO a.example\n")),
            ("bare-cr", bytes("EHLO a.example\r")),
            ("cr-cr-lf", bytes("EHLO a.example\r\r\n")),
            ("nul", bytes("EHLO a\0.example\r\n")),
            ("nul-in-token", bytes("CLIENTID UUID ab\0cd\r\n")),
            ("kib-without-crlf", [UInt8](repeating: UInt8(ascii: "A"), count: 1024)),
            ("smuggle-lf-dot-lf", bytes("\n.\nMAIL FROM:<evil@example.net>\r\n")),
            ("smuggle-cr-dot-cr", bytes("\r.\rRCPT TO:<victim@example.com>\r\n")),
            ("smuggle-pipelined", bytes("RSET\r\nMAIL FROM:<evil@example.net>\r\n")),
            ("shell-in-path", bytes("MAIL FROM:<;sleep 10;>\r\n")),
            ("shell-in-local-part", bytes("MAIL FROM:<`id`@example.net>\r\n")),
            ("exim-expansion", bytes("RCPT TO:<${run{/bin/sh -c 'id'}}@example.com>\r\n")),
            ("exim-expansion-helo", bytes("EHLO ${run{/bin/sh}}\r\n")),
            ("size-max", bytes("MAIL FROM:<a@example.net> SIZE=18446744073709551615\r\n")),
            ("size-overflow", bytes("MAIL FROM:<a@example.net> SIZE=18446744073709551616\r\n")),
            ("size-huge", bytes("MAIL FROM:<a@example.net> SIZE=99999999999999999999\r\n")),
            ("bdat-overflow", bytes("BDAT 18446744073709551616 LAST\r\n")),
            ("xtext-crlf", bytes("MAIL FROM:<a@example.net> ENVID=x+0D+0AQUIT AUTH=a+0D+0A@b\r\n")),
            ("xtext-orcpt-crlf", bytes("RCPT TO:<b@example.com> ORCPT=rfc822;b+0D+0A@example.com NOTIFY=SUCCESS,FAILURE\r\n")),
            ("xtext-bad-hex", bytes("MAIL FROM:<a@example.net> ENVID=x+0g\r\n")),
            ("duplicate-size", bytes("MAIL FROM:<a@example.net> SIZE=1 SIZE=2\r\n")),
            ("notify-on-mail", bytes("MAIL FROM:<a@example.net> NOTIFY=NEVER\r\n")),
            ("ret-on-rcpt", bytes("RCPT TO:<a@example.net> RET=FULL\r\n")),
            ("clientid-device-id", bytes("CLIENTID DEVICE_ID 12345\r\n")),
            ("clientid-angle-type", bytes("CLIENTID <product_short_code>UUID x\r\n")),
            ("clientid-type-17", bytes("CLIENTID ABCDEFGHIJKLMNOPQ x\r\n")),
            ("clientid-token-129", bytes("CLIENTID UUID " + String(repeating: "x", count: 129) + "\r\n")),
            ("clientid-two-spaces", bytes("CLIENTID  UUID x\r\n")),
            ("clientid-lower", bytes("clientid uuid 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n")),
            ("clientid-utf8-token", bytes("CLIENTID UUID caf\u{E9}\r\n")),
            ("ipv6-too-many-groups", bytes("EHLO [IPv6:1:2:3:4:5:6:7:8:9]\r\n")),
            ("ipv6-ok", bytes("EHLO [IPv6:2001:db8::1]\r\n")),
            ("ipv4-literal", bytes("EHLO [192.0.2.1]\r\n")),
            ("general-literal", bytes("EHLO [x-tag:abc]\r\n")),
            (
                "path-257",
                bytes("MAIL FROM:<" + String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 190) + ".c>\r\n")
            ),
            ("local-part-65", bytes("MAIL FROM:<" + String(repeating: "a", count: 65) + "@example.net>\r\n")),
            (
                "domain-256",
                bytes("EHLO " + Array(repeating: String(repeating: "d", count: 63), count: 4).joined(separator: ".") + "\r\n")
            ),
            ("line-513", bytes("NOOP " + String(repeating: "x", count: 506) + "\r\n")),
            ("source-route", bytes("RCPT TO:<@a.example,@b.example:c@d.example>\r\n")),
            ("quoted-local-part", bytes("MAIL FROM:<\"a\\\"b@c\"@example.net>\r\n")),
            ("postmaster", bytes("RCPT TO:<Postmaster>\r\n")),
            ("vrfy-smtputf8", bytes("VRFY j\u{F6}rg SMTPUTF8\r\n")),
            ("vrfy-trailing-space", bytes("VRFY a \r\n")),
            ("overlong-utf8", [UInt8]("MAIL FROM:<".utf8) + [0xC0, 0xAE] + [UInt8]("@example.net>\r\n".utf8)),
            ("utf16-surrogate", [UInt8]("MAIL FROM:<".utf8) + [0xED, 0xA0, 0x80] + [UInt8]("@example.net>\r\n".utf8)),
            ("mail-space-before-path", bytes("MAIL FROM: <a@example.net>\r\n")),
            ("trailing-space", bytes("QUIT \r\n")),
            ("tab-separator", bytes("EHLO\ta.example\r\n")),
            ("unknown-verb", bytes("XCLIENT ADDR=1.2.3.4\r\n")),
            ("long-verb", bytes("ABCDEFGHIJ\r\n")),
            // Short and odd verbs: one letter and nothing more (a read before the line would
            // show under ASan), nine letters ending in a verb, bytes beside the delimiters.
            ("one-letter", bytes("X")),
            ("one-letter-cr", bytes("Q\r")),
            ("verb-after-a-letter", bytes("XSTARTTLS\r\n")),
            ("verb-then-vt", bytes("QUIT\u{0B}\r\n")),
            ("verb-then-bare-lf", bytes("STARTTLS\nQUIT\r\n")),
            ("empty-line", bytes("\r\n")),
            ("auth-initial-response", bytes("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")),
            ("auth-cancel", bytes("AUTH PLAIN =\r\n")),
        ]
        list += draftExamples.enumerated().map { ("draft-8-\($0.offset)", bytes($0.element + "\r\n")) }
        return list
    }()

    mutating func build() throws {
        let generator = PackageGenerator(packagePath: packageRoot)
        let module = "Sources/SMTPCommandParser"
        var validLines: [[UInt8]] = []

        // Parser: every command rule of every profile, covered.
        for (option, profile) in Self.profiles.enumerated() {
            let strings = StringGenerator(try generator.grammar(module: module, profile: profile), unboundedExtra: 3)
            for (i, rule) in Self.commands.enumerated() {
                for s in strings.covering(rule, seed: UInt64(0xC0DE_0000 + 97 * option + i), limit: option == 0 ? 24 : 8) {
                    add(.parser, "\(profile)-\(rule)", [UInt8(option)] + s.bytes)
                    add(.kernel, "\(profile)-\(rule)", [UInt8(option)] + s.bytes)
                    if option == 0 { validLines.append(s.bytes) }
                }
            }
        }
        for (name, line) in Self.hostileLines {
            for option in 0..<4 {
                add(.parser, name, [UInt8(option)] + line)
                add(.kernel, name, [UInt8(option)] + line)
            }
        }

        // Framer: sessions (the draft's, and grammar lines strung together) and
        // hostile streams, under several chunkings and limits.
        let layouts: [[UInt8]] = [
            [0xF0, 0], [0xF0, 1, 1], [0xF0, 3, 7, 2, 13], [0xF0, 2, 0, 5], [0x3D, 1, 4], [0x05, 2, 3, 1],
        ]
        let draft = Self.draftExamples.flatMap { Self.bytes($0 + "\r\n") }
        for layout in layouts { add(.framer, "draft-session", layout + draft) }
        var rng = SplitMix64(seed: 0xF7A3_E500)
        for n in 0..<24 {
            var stream: [UInt8] = []
            for _ in 0..<(2 + Int(rng.next() % 6)) { stream += validLines[Int(rng.next() % UInt64(validLines.count))] }
            add(.framer, "grammar-session", layouts[n % layouts.count] + stream)
        }
        for (name, line) in Self.hostileLines {
            add(.framer, name, layouts[0] + Self.bytes("EHLO a.example\r\n") + line + Self.bytes("QUIT\r\n"))
            add(.framer, name, layouts[2] + line + line)
        }

        // Differential: every automaton of every namespace, covering strings and near misses.
        var misses = SplitMix64(seed: 0xD1FF_0000)
        for (index, entry) in DifferentialProperties.entries.enumerated() where index < 256 {
            let strings = StringGenerator(entry.interpreter, unboundedExtra: 3)
            let rule = entry.automaton.rule
            for s in strings.covering(rule, seed: UInt64(0xD1FF_0000 + index), limit: 4)
            where s.bytes.count <= DifferentialProperties.maxInputLength {
                add(.differential, "\(entry.namespace)-\(rule)", [UInt8(index)] + s.bytes)
            }
            for _ in 0..<2 {
                if let miss = strings.nearMiss(rule, rng: &misses), miss.bytes.count <= DifferentialProperties.maxInputLength {
                    add(.differential, "\(entry.namespace)-\(rule)-miss", [UInt8(index)] + miss.bytes)
                }
            }
        }

        // Kernel: each shuffle automaton on its rule's covering strings (byte 0 bit 2: automaton mode).
        for (index, entry) in KernelProperties.automata.enumerated() where index < 256 {
            guard let profile = DifferentialProperties.entries.first(where: { $0.namespace == entry.file }) else { continue }
            let strings = StringGenerator(profile.interpreter, unboundedExtra: 3)
            for s in strings.covering(entry.table.rule, seed: UInt64(0x5E1F_0000 + index), limit: 4) {
                add(.kernel, "\(entry.file)-\(entry.table.rule)-shuffle", [4, UInt8(index)] + s.bytes)
            }
        }

        // Grammar: the project's grammar files rule by rule (blank-line paragraphs),
        // whole files split in two, random texts of ABNF's own grammar, broken grammars.
        let manifest = try generator.manifest(module: module)
        let grammarFiles = manifest.files(of: "lenient-smtputf8").map { "\(packageRoot)/\(module)/Grammar/\($0)" }
        for file in grammarFiles + ["\(packageRoot)/Fuzz/rfc5234-abnf.abnf"] {
            guard let data = FileManager.default.contents(atPath: file) else { throw CampaignError("cannot read \(file)") }
            let text = [UInt8](data)
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            var paragraph: [UInt8] = []
            for line in text.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if line.isEmpty {
                    if paragraph.contains(where: { $0 != 0x0A && $0 != 0x3B }) && !paragraph.allSatisfy({ $0 == 0x0A }) {
                        add(.grammar, name, [0xFF] + paragraph)
                    }
                    paragraph = []
                } else {
                    paragraph += line + [0x0A]
                }
            }
            if text.count <= 4000 { add(.grammar, "\(name)-whole", [0x80] + text) }
        }
        let abnf = try GrammarSelection(packagePath: packageRoot, files: ["\(packageRoot)/Fuzz/rfc5234-abnf.abnf"], profile: nil)
            .load()
        let texts = StringGenerator(abnf, unboundedExtra: 1, maxDepth: 8)
        for s in texts.covering("rulelist", seed: 0xAB4F_0001, limit: 60) where s.bytes.count <= 1500 {
            add(.grammar, "abnf-rulelist", [0xFF] + s.bytes)
        }
        let broken = [
            "a = \"x\" b\n", "a = 3*2\"x\"\n", "a = a \"x\"\n", "a =/ \"x\"\n", "a = \"x\"\na = \"y\"\n", "ALPHA = \"x\"\n",
            "a = <prose>\n", "a = <unclosed\n", "a = (\"x\"\n", "a = [\"x\"\n", "a = %x41-\n", "a = %x41.\n", "a = %b102\n",
            "a = %d256\n", "a = 99999999999\"x\"\n", "a = 1000000*\"x\"\n", "a = \"unclosed\n", "a = %s\n", "a = %i\"x\"\n",
            " a = \"x\"\n", "a\n", "= \"x\"\n", "a = \"x\" ; comment\n\t/ \"y\"\n", "a = 0*0\"x\"\n", "a = *b\nb = *a\n",
            "a = \"x\"\r\nb = a\r\n", "a = \"x\"\rb = a\r", "a = \t\"x\"\n", "a = \"\u{E9}\"\n", "a-b-c = %x30-39 / %x41-46\n",
        ]
        for (i, g) in broken.enumerated() {
            add(.grammar, "handmade", [0xFF] + Self.bytes(g))
            if i % 3 == 0 { add(.grammar, "handmade-split", [0x80] + Self.bytes(g + g)) }
        }

        try addSessionSeeds(validLines: validLines)
    }

    /// A transcript's client side (Tests/SMTPSessionTests/Transcripts, format in its
    /// README): the settings, what the client sends (`C:` with CRLF, `C+` without) and
    /// the driver's answers (`*:`). Server lines are the session's business, not the seed's.
    struct TranscriptSeed {
        var configuration: UInt8 = 0
        var limits: UInt8 = 0
        var steps: [SessionInput.Event] = []
        var clientBytes: [UInt8] {
            steps.flatMap { step -> [UInt8] in if case .receive(let bytes) = step { bytes } else { [] } }
        }

        init(_ text: String) {
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let body = String(line.dropFirst(3))
                if line.hasPrefix("% ") {
                    switch line.dropFirst(2) {
                    case "implicit-tls": configuration |= 1
                    case "clientid-disabled": configuration |= 2
                    case "allow-auth-without-tls": configuration |= 4
                    case "no-auth-required": configuration |= 32
                    default:
                        if line.hasPrefix("% max-message-size "), let n = Int(line.dropFirst(19)) {
                            limits |= n <= 16 ? 1 : n <= 100 ? 2 : n <= 1000 ? 3 : 0
                        }
                    }
                } else if line.hasPrefix("C: ") {
                    steps.append(.receive(Self.unescape(body) + [13, 10]))
                } else if line.hasPrefix("C+ ") {
                    steps.append(.receive(Self.unescape(body)))
                } else if line.hasPrefix("*: ") {
                    switch body {
                    case "tls": steps.append(.tlsEstablished)
                    case "credentials accepted": steps.append(.credentials(.accepted))
                    case "credentials rejected": steps.append(.credentials(.rejected))
                    case "credentials temporary-failure": steps.append(.credentials(.temporaryFailure))
                    case "credentials accepted-with-security-layer": steps.append(.credentials(.acceptedWithSecurityLayer))
                    case "delivery temporary-failure": steps.append(.delivery(.temporaryFailure))
                    case "delivery permanent-failure": steps.append(.delivery(.permanentFailure))
                    default: if body.hasPrefix("delivered") { steps.append(.delivery(.stored(queueID: nil))) }
                    }
                }
            }
        }

        static func unescape(_ text: String) -> [UInt8] {
            var out: [UInt8] = []
            var escape = false
            for b in text.utf8 {
                if escape {
                    out.append(b == UInt8(ascii: "r") ? 13 : b == UInt8(ascii: "n") ? 10 : b == UInt8(ascii: "0") ? 0 : b)
                    escape = false
                } else if b == UInt8(ascii: "\\") {
                    escape = true
                } else {
                    out.append(b)
                }
            }
            return out
        }

        var sessionInput: [UInt8] {
            var builder = SessionInput.Builder(configuration: configuration, limits: limits)
            for step in steps {
                if case .receive(let bytes) = step, bytes.count > 2, bytes.suffix(2) == [13, 10],
                    let text = String(validating: bytes.dropLast(2), as: UTF8.self), SessionInput.cannedLines.contains(text)
                {
                    builder.line(text)
                } else {
                    builder.event(step)
                }
            }
            return builder.bytes
        }
    }

    /// Session and server-pipeline seeds: the session transcripts, the draft's §8
    /// conversations, hand-made pipelined and STARTTLS-injection sessions, grammar
    /// lines and hostile lines inside a session.
    mutating func addSessionSeeds(validLines: [[UInt8]]) throws {
        let folder = "\(packageRoot)/Tests/SMTPSessionTests/Transcripts"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".txt") }.sorted()
        var transcripts: [(String, TranscriptSeed)] = []
        for name in names {
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(name)") else {
                throw CampaignError("cannot read \(folder)/\(name)")
            }
            transcripts.append((String(name.dropLast(4)), TranscriptSeed(String(decoding: data, as: UTF8.self))))
        }
        for (name, t) in transcripts {
            add(.session, "transcript-\(name)", t.sessionInput)
            // The same conversation from before the greeting, and with AUTH allowed in plaintext.
            var early = t
            early.configuration |= 0x80
            add(.session, "transcript-\(name)-early", early.sessionInput)
            // Server pipeline: the client bytes whole, line by line in odd reads, and byte by byte.
            let options = (t.configuration & 1) | (t.configuration & 32 == 0 ? 16 : 0)
            for sizes in [[], [1], [7, 3, 64], [200]] as [[UInt8]] {
                add(
                    .serverPipeline, "transcript-\(name)",
                    ServerPipelineInput.encode(options: options, readSizes: sizes, stream: t.clientBytes))
            }
            add(
                .serverPipeline, "transcript-\(name)-maildir",
                ServerPipelineInput.encode(options: options | 8 | 32, readSizes: [], stream: t.clientBytes))
        }

        // Hand-made conversations with canned lines (index into SessionInput.cannedLines) and events.
        func line(_ b: inout SessionInput.Builder, _ texts: String...) { for t in texts { b.line(t) } }
        let thunderbird: (inout SessionInput.Builder) -> Void = { b in
            line(&b, "EHLO client.example.net", "STARTTLS")
            b.event(.tlsEstablished)
            line(
                &b, "EHLO client.example.net", "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f",
                "AUTH PLAIN AGFsaWNlAHNlY3JldA==")
            b.event(.credentials(.accepted))
            line(&b, "MAIL FROM:<alice@example.net>", "RCPT TO:<bob@example.com>", "DATA")
            b.raw(Array(SessionInput.cannedContent[0].utf8))
            b.event(.delivery(.stored(queueID: "Q1")))
            line(&b, "QUIT")
        }
        for configuration: UInt8 in [0, 4, 32, 0x80, 8 | 16] {
            var b = SessionInput.Builder(configuration: configuration)
            thunderbird(&b)
            add(.session, "thunderbird", b.bytes)
        }
        var pipelined = SessionInput.Builder(configuration: 1)
        pipelined.raw(
            Array(
                "EHLO a.example\r\nCLIENTID UUID x\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nBDAT 5\r\n12345BDAT 3 LAST\r\nabcQUIT\r\n"
                    .utf8))
        pipelined.event(.credentials(.accepted))
        pipelined.event(.delivery(.stored(queueID: nil)))
        add(.session, "pipelined-bdat", pipelined.bytes)
        var injection = SessionInput.Builder()
        injection.line("EHLO client.example.net")
        injection.raw(Array("STARTTLS\r\nCLIENTID UUID x\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n".utf8))
        injection.raw(Array("EHLO during.handshake\r\n".utf8))
        injection.event(.tlsEstablished)
        injection.line("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f")
        injection.line("EHLO client.example.net")
        injection.line("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f")
        injection.line("CLIENTID MAC 08:9e:01:70:f6:46")
        add(.session, "starttls-injection", injection.bytes)
        var twice = SessionInput.Builder(configuration: 1)
        line(
            &twice, "EHLO client.example.net", "CLIENTID MAC", "clientid uuid x", "RSET", "EHLO client.example.net",
            "clientid uuid x", "HELO client.example.net", "AUTH", "CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f")
        add(.session, "clientid-rules", twice.bytes)

        // Grammar lines, each inside an implicit-TLS session after EHLO (every 3rd covering
        // string: the parser target has them all), and the hostile lines.
        for (i, valid) in validLines.enumerated() where i % 3 == 0 {
            var b = SessionInput.Builder(configuration: 1 | 32)
            b.line("EHLO client.example.net")
            b.raw(valid)
            b.line("NOOP")
            add(.session, "grammar", b.bytes)
        }
        for (name, hostile) in Self.hostileLines {
            var b = SessionInput.Builder(configuration: 1)
            b.line("EHLO client.example.net")
            b.raw(hostile)
            b.line("NOOP")
            add(.session, name, b.bytes)
            let stream = Self.bytes("EHLO client.example.net\r\n") + hostile + Self.bytes("MAIL FROM:<a@example.net>\r\nQUIT\r\n")
            add(.serverPipeline, name, ServerPipelineInput.encode(options: 1, readSizes: [], stream: stream))
            add(.serverPipeline, name, ServerPipelineInput.encode(options: 2 | 4, readSizes: [3, 1], stream: stream))
        }
        let message = Self.bytes(
            "EHLO a.example\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\n"
                + String(repeating: "0123456789", count: 12) + "\r\n.\r\nBDAT 4\r\nabcdBDAT 0 LAST\r\nQUIT\r\n")
        for options: UInt8 in [0, 8, 8 | 32, 1 | 16] {
            add(.serverPipeline, "message", ServerPipelineInput.encode(options: options, readSizes: [], stream: message))
            add(.serverPipeline, "message", ServerPipelineInput.encode(options: options, readSizes: [5, 0, 2], stream: message))
        }
    }

    /// Replaces the seed-* files under <corpus>/<target>/; returns the count per target.
    public func write(corpus: String) throws -> [FuzzTarget: Int] {
        var counts: [FuzzTarget: Int] = [:]
        for target in FuzzTarget.allCases {
            let folder = "\(corpus)/\(target.rawValue)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for old in (try FileManager.default.contentsOfDirectory(atPath: folder)) where old.hasPrefix("seed-") {
                try FileManager.default.removeItem(atPath: "\(folder)/\(old)")
            }
            for file in files[target] ?? [] {
                try Data(file.bytes).write(to: URL(fileURLWithPath: "\(folder)/\(file.name)"))
            }
            counts[target] = files[target]?.count ?? 0
        }
        return counts
    }
}
