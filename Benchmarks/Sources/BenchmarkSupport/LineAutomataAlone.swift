// A diagnostic, not a baseline: each line's command automaton run over it
// on its own, with the verb looked up and the literal prefix checked before
// the clock starts. What the parser does besides (reading the verb, fields,
// the RFCs' length limits, the IPv6 tag, parameters) is left out, so the
// parser's time minus this one is what the code around the automata costs,
// and this one is a floor under the parser's time for this automaton design.

import SMTPCommandParser

public struct LineAutomataAlone {
    /// Per line: the automaton, and where it starts (after the prefix when
    /// the line starts with it, as the parser does); nil for lines whose
    /// verb has no automaton (the parser answers those without one).
    let plan: [(automaton: Automaton, from: Int, row: Int)?]

    /// The verbs of the corpus, their strict-grammar rules and the literal
    /// prefixes the parser skips (the parser's `CommandAutomata` is internal).
    static let commands: [(verb: String, rule: String, prefix: String)] = [
        ("EHLO", "ehlo", "EHLO "), ("HELO", "helo", "HELO "), ("MAIL", "mail", "MAIL FROM:"),
        ("RCPT", "rcpt", "RCPT TO:"), ("DATA", "data", "DATA"), ("BDAT", "bdat", "BDAT "),
        ("RSET", "rset", "RSET"), ("VRFY", "vrfy", "VRFY "), ("NOOP", "noop", "NOOP"), ("QUIT", "quit", "QUIT"),
        ("STARTTLS", "starttls", "STARTTLS"), ("AUTH", "auth", "AUTH "), ("CLIENTID", "clientid", "CLIENTID "),
    ]

    public init(_ corpus: Corpus) {
        var plan: [(automaton: Automaton, from: Int, row: Int)?] = []
        plan.reserveCapacity(corpus.lineCount)
        for i in 0..<corpus.lineCount {
            let line = corpus.bytes[corpus.line(i)]
            let verb = String(decoding: line.prefix { $0 != 0x20 && $0 != 0x0D }, as: UTF8.self).uppercased()
            guard let command = Self.commands.first(where: { $0.verb == verb }),
                let automaton = SMTPGrammar.automaton(forRule: command.rule), let start = automaton.row(after: [])
            else {
                plan.append(nil)
                continue
            }
            let prefix = Array(command.prefix.utf8)
            let head = String(decoding: line.prefix(prefix.count), as: UTF8.self).uppercased()
            if head == command.prefix, let row = automaton.row(after: prefix) {
                plan.append((automaton, prefix.count, row))
            } else {
                plan.append((automaton, 0, start))
            }
        }
        self.plan = plan
    }

    /// Runs every planned line's automaton, recording captures as the
    /// parser does; returns how many accepted.
    public func run(_ corpus: Corpus) -> Int {
        var accepted = 0
        corpus.bytes.withUnsafeBytes { all in
            for i in 0..<corpus.lineCount {
                guard let step = plan[i] else { continue }
                var tags = CaptureTags()
                let line = UnsafeRawBufferPointer(rebasing: all[corpus.line(i)])
                if step.automaton.run(line, from: step.from, row: step.row, captures: &tags, recording: true) == .accepted {
                    accepted &+= 1
                }
            }
        }
        return accepted
    }
}
