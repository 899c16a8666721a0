// The automata one parser mode uses: the strict grammar, or a profile's
// changed rules layered over it (SMTPUTF8, lenient, both). Field indexes are
// looked up once here, not per command.

final class CommandAutomata: Sendable {
    let ehlo, helo, mail, rcpt, data, bdat, rset, vrfy, expn, help, noop, quit, startTLS, auth, clientID: Automaton
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
        func field(_ automaton: Automaton, _ name: String) -> Int {
            guard let i = automaton.fields.firstIndex(of: name) else {
                preconditionFailure("rule \(automaton.rule) captures no field \(name): check its ;@capture annotations")
            }
            return i
        }
        ehlo = rule("ehlo"); helo = rule("helo"); mail = rule("mail"); rcpt = rule("rcpt")
        data = rule("data"); bdat = rule("bdat"); rset = rule("rset"); vrfy = rule("vrfy")
        expn = rule("expn"); help = rule("help"); noop = rule("noop"); quit = rule("quit")
        startTLS = rule("starttls"); auth = rule("auth"); clientID = rule("clientid")
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
