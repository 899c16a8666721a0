// The identity a client asserted with a successful CLIENTID command
// (draft-storey-smtp-client-id-08 §4). A claim, never a proof: policy uses it in
// addition to per-IP limits, never instead of them (D21).

/// A client identity: the type folded to upper case (D3) and the token as sent.
///
/// `description` never shows the token (D20): log it only through an
/// `AuditEvent`, which carries it when the type's flags allow.
public struct ClientIdentity: Hashable, Sendable, CustomStringConvertible {
    /// `client-id-type` folded to upper case (D3), 1–16 of ALPHA / DIGIT / "-" (D2).
    public let type: String
    /// `client-id-token`, compared byte for byte (D3), 1–128 VCHAR (D2).
    public let token: String

    /// Folds `type` to upper case (ASCII only; D3). Does not validate: the parser did (D2).
    public init(type: String, token: String) {
        self.type = ClientIdentity.foldType(type)
        self.token = token
    }

    /// Builds an identity from the raw bytes of a parsed CLIENTID line.
    public init(typeBytes: some Collection<UInt8>, tokenBytes: some Collection<UInt8>) {
        self.init(type: String(decoding: typeBytes, as: UTF8.self), token: String(decoding: tokenBytes, as: UTF8.self))
    }

    /// D3: types match after folding ASCII letters to upper case.
    public static func foldType(_ type: String) -> String {
        String(decoding: type.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    public var description: String { "\(type) <token withheld>" }
}
