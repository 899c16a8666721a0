// The automata one parser mode uses: the strict grammar, or a profile's
// changed rules layered over it (SMTPUTF8, lenient, both). Field indexes are
// looked up once here, not per command.

/// A command's automaton with its literal prefix ("MAIL FROM:"). When a line
/// starts with the prefix (in any letter case), matching starts in the state
/// the automaton reaches after it, which `Automaton.row(after:)` checked is
/// the same for every case variant: the automaton still decides every byte.
struct CommandMatcher: Sendable {
    let automaton: Automaton
    let prefix: [UInt8]
    let row: Int?

    init(_ automaton: Automaton, prefix: StaticString) {
        self.automaton = automaton
        let bytes = prefix.withUTF8Buffer { Array($0) }
        self.prefix = bytes
        row = automaton.row(after: bytes)
    }

    var rule: String { automaton.rule }
    var fields: [String] { automaton.fields }
}

final class CommandAutomata: Sendable {
    let ehlo, helo, mail, rcpt, data, bdat, rset, vrfy, expn, help, noop, quit, startTLS, auth, clientID: CommandMatcher
    let sizeParam, bodyParam, smtputf8Param, authParam, notifyParam, orcptParam: Automaton
    let retParam, envidParam, requireTLSParam, mtPriorityParam, ipv6Addr: Automaton

    let ehloDomain, heloDomain, mailPath, mailParameters, rcptPath, rcptParameters: Int
    let vrfyArgument, expnArgument, helpArgument, noopArgument: Int
    let authMechanism, authInitialResponse, bdatSize, bdatLast, clientIDType, clientIDToken: Int

    init(_ lookup: (String) -> Automaton?) {
        func rule(_ name: String) -> Automaton {
            guard let automaton = lookup(name) else { preconditionFailure("no generated automaton for rule \(name): run abnfc generate") }
            return automaton
        }
        func field(_ automaton: CommandMatcher, _ name: String) -> Int {
            guard let i = automaton.fields.firstIndex(of: name) else {
                preconditionFailure("rule \(automaton.rule) captures no field \(name): check its ;@capture annotations")
            }
            return i
        }
        ehlo = .init(rule("ehlo"), prefix: "EHLO ")
        helo = .init(rule("helo"), prefix: "HELO ")
        mail = .init(rule("mail"), prefix: "MAIL FROM:")
        rcpt = .init(rule("rcpt"), prefix: "RCPT TO:")
        data = .init(rule("data"), prefix: "DATA")
        bdat = .init(rule("bdat"), prefix: "BDAT ")
        rset = .init(rule("rset"), prefix: "RSET")
        vrfy = .init(rule("vrfy"), prefix: "VRFY ")
        expn = .init(rule("expn"), prefix: "EXPN ")
        help = .init(rule("help"), prefix: "HELP")
        noop = .init(rule("noop"), prefix: "NOOP")
        quit = .init(rule("quit"), prefix: "QUIT")
        startTLS = .init(rule("starttls"), prefix: "STARTTLS")
        auth = .init(rule("auth"), prefix: "AUTH ")
        clientID = .init(rule("clientid"), prefix: "CLIENTID ")
        sizeParam = rule("size-param"); bodyParam = rule("body-param"); smtputf8Param = rule("smtputf8-param")
        authParam = rule("auth-param"); notifyParam = rule("notify-param"); orcptParam = rule("orcpt-param")
        retParam = rule("ret-param"); envidParam = rule("envid-param"); requireTLSParam = rule("requiretls-param")
        mtPriorityParam = rule("mt-priority-param"); ipv6Addr = rule("IPv6-addr")
        ehloDomain = field(ehlo, "domain"); heloDomain = field(helo, "domain")
        mailPath = field(mail, "path"); mailParameters = field(mail, "parameters")
        rcptPath = field(rcpt, "path"); rcptParameters = field(rcpt, "parameters")
        vrfyArgument = field(vrfy, "argument"); expnArgument = field(expn, "argument")
        helpArgument = field(help, "argument"); noopArgument = field(noop, "argument")
        authMechanism = field(auth, "mechanism"); authInitialResponse = field(auth, "initialResponse")
        bdatSize = field(bdat, "size"); bdatLast = field(bdat, "last")
        clientIDType = field(clientID, "type"); clientIDToken = field(clientID, "token")
    }

    static let strict = CommandAutomata { SMTPGrammar.automaton(forRule: $0) }
    static let smtputf8 = CommandAutomata { SMTPGrammarUTF8.automaton(forRule: $0) ?? SMTPGrammar.automaton(forRule: $0) }
    static let lenient = CommandAutomata { SMTPGrammarLenient.automaton(forRule: $0) ?? SMTPGrammar.automaton(forRule: $0) }
    static let lenientSMTPUTF8 = CommandAutomata {
        SMTPGrammarLenientUTF8.automaton(forRule: $0) ?? SMTPGrammarUTF8.automaton(forRule: $0)
            ?? SMTPGrammar.automaton(forRule: $0)
    }
}
