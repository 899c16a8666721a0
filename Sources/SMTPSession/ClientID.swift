// CLIENTID (draft-storey-smtp-client-id-08 §4): the replies in the order of
// docs/decisions.md, D6–D11, and D17 (policy never refuses here).

import ClientIDPolicy
import SMTPCommandParser

extension SMTPSession {
    /// A CLIENTID line as the parser read it.
    enum ClientIDLine {
        case accepted(ClientIdentity)
        /// D11: the arguments do not match D1–D2; the client may try again.
        case malformed(SMTPSyntaxError)
    }

    mutating func clientID(_ line: ClientIDLine, _ out: inout [Action]) {
        guard configuration.clientIDEnabled else { return reject(.unknownCommand, &out) }  // D6
        guard facts.tls else { return reject(.unknownCommand, &out) }  // D7
        guard facts.clientIDAdvertised else { return reject(.clientIDNeedsEHLO, &out) }  // D8
        guard !facts.clientIDAccepted else { return reject(.clientIDAlreadyGiven, &out) }  // D9
        guard !facts.authCommandReceived else { return reject(.clientIDAfterAuthentication, &out) }  // D10
        switch line {
        case .malformed(let error):
            reject(.syntax(error), &out)  // D11
        case .accepted(let identity):
            // D17: policy never refuses here.
            facts.clientIDAccepted = true
            facts.clientIdentity = identity
            out.append(.send(.ok))
            out.append(.clientIdentified(identity))
        }
    }
}
