// The two SASL mechanisms (RFC 4616 PLAIN, LOGIN) and RFC 4954's base64
// client responses. Neither mechanism negotiates a security layer.

/// RFC 4954 §4 / RFC 4648 §4: strict base64. Any character outside the
/// alphabet, or "=" anywhere but at the end, makes the response undecodable.
enum Base64 {
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var quad: UInt32 = 0
        var n = 0
        var padding = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; v = 0
            default: return nil
            }
            if c != UInt8(ascii: "="), padding > 0 { return nil }  // data after "="
            quad = quad << 6 | v
            n += 1
            if n == 4 {
                out.append(UInt8(truncatingIfNeeded: quad >> 16))
                out.append(UInt8(truncatingIfNeeded: quad >> 8))
                out.append(UInt8(truncatingIfNeeded: quad))
                quad = 0
                n = 0
            }
        }
        guard padding <= 2 else { return nil }
        out.removeLast(padding)
        return out
    }

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var it = bytes.makeIterator()
        while let a = it.next() {
            let b = it.next(), c = it.next()
            let v = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int(v >> 6 & 63)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(v & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 4616 §2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`, each
/// field at most 255 octets, authcid and passwd not empty, no NUL inside.
struct PlainMessage: Equatable {
    var authorizationIdentity: String?
    var authenticationIdentity: String
    var password: [UInt8]

    init?(_ message: [UInt8]) {
        let fields = message.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ $0.count <= 255 }),
            !fields[1].isEmpty, !fields[2].isEmpty,
            let authcid = String(validating: fields[1], as: UTF8.self),
            let authzid = String(validating: fields[0], as: UTF8.self)
        else { return nil }
        authorizationIdentity = authzid.isEmpty ? nil : authzid
        authenticationIdentity = authcid
        password = Array(fields[2])
    }
}

/// The server side of one SASL exchange in progress.
enum SASLExchange: Sendable, Equatable {
    /// PLAIN without an initial response: waiting for the message after "334 ".
    case plain
    /// LOGIN: waiting for the user name (after "334 VXNlcm5hbWU6", "Username:").
    case loginUsername
    /// LOGIN: waiting for the password (after "334 UGFzc3dvcmQ6", "Password:").
    case loginPassword(username: String)

    static let usernameChallenge = "VXNlcm5hbWU6"
    static let passwordChallenge = "UGFzc3dvcmQ6"
}
