// A diagnostic, not a baseline: each line's command automaton run over it
// on its own, with the verb looked up and the literal prefix checked before
// the clock starts. What the parser does besides (reading the verb, fields,
// the RFCs' length limits, the IPv6 tag, parameters) is left out, so the
// parser's time minus this one is what the code around the automata costs.
// Both forms of each rule: the table automaton (run after the prefix, as the
// parser runs it) and the shuffle form the SIMD kernel steps (over the whole
// line: it compares the prefix itself).

import SMTPCommandParser

public struct LineAutomataAlone {
    /// Per line: the table automaton and where it starts (after the prefix
    /// when the line starts with it, as the parser does), and the shuffle
    /// form; nil for lines whose verb has no automaton (the parser answers
    /// those without one).
    let plan: [(automaton: Automaton, from: Int, row: Int, shuffle: ShuffleMatcher?)?]

    /// The literal prefix the parser skips, per verb of the corpus (the
    /// parser's `CommandAutomata` is internal). Each verb's strict-grammar
    /// rule is named after it.
    static let prefixes: [String: String] = [
        "EHLO": "EHLO ", "HELO": "HELO ", "MAIL": "MAIL FROM:", "RCPT": "RCPT TO:", "DATA": "DATA", "BDAT": "BDAT ",
        "RSET": "RSET", "VRFY": "VRFY ", "NOOP": "NOOP", "QUIT": "QUIT", "STARTTLS": "STARTTLS", "AUTH": "AUTH ",
        "CLIENTID": "CLIENTID ",
    ]

    public init(_ corpus: Corpus) {
        var plan: [(automaton: Automaton, from: Int, row: Int, shuffle: ShuffleMatcher?)?] = []
        plan.reserveCapacity(corpus.lineCount)
        for i in 0..<corpus.lineCount {
            let verb = corpus.verb(ofLine: i).uppercased()
            guard let prefix = Self.prefixes[verb], let automaton = SMTPGrammar.automaton(forRule: verb),
                let start = automaton.row(after: [])
            else {
                plan.append(nil)
                continue
            }
            let shuffle = SMTPGrammar.Shuffle.automaton(forRule: verb)?.matcher
            let head = String(decoding: corpus.bytes[corpus.line(i)].prefix(prefix.utf8.count), as: UTF8.self)
            if head.uppercased() == prefix, let row = automaton.row(after: Array(prefix.utf8)) {
                plan.append((automaton, prefix.utf8.count, row, shuffle))
            } else {
                plan.append((automaton, 0, start, shuffle))
            }
        }
        self.plan = plan
    }

    /// Runs the table automaton of each planned line in `lines` (default:
    /// all), recording captures as the parser does; returns how many accepted.
    public func run(_ corpus: Corpus, lines: Range<Int>? = nil) -> Int {
        var accepted = 0
        corpus.bytes.withUnsafeBytes { all in
            for i in lines ?? 0..<corpus.lineCount {
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

    /// Runs the shuffle form of each planned line in `lines` with `kernel`
    /// (nothing without one); returns how many it accepted.
    public func runShuffle(_ corpus: Corpus, lines: Range<Int>? = nil, kernel: ShuffleKernel?) -> Int {
        guard let kernel else { return 0 }
        var accepted = 0
        corpus.bytes.withUnsafeBytes { all in
            for i in lines ?? 0..<corpus.lineCount {
                guard let shuffle = plan[i]?.shuffle else { continue }
                var tags = CaptureTags()
                if shuffle.match(UnsafeRawBufferPointer(rebasing: all[corpus.line(i)]), captures: &tags, kernel: kernel) {
                    accepted &+= 1
                }
            }
        }
        return accepted
    }
}
