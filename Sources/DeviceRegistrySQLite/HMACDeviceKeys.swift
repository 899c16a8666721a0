// D20: the registry key of a device is HMAC-SHA256(server secret, TYPE SP token),
// with the type folded to upper case (D3). SP cannot occur in a type or a token
// (D2), so the message is unambiguous. Without the secret the key reveals nothing
// about the token, and a leaked registry cannot be matched against known tokens.

import ClientIDPolicy
import Crypto

public struct HMACDeviceKeys: DeviceKeyDerivation {
    private let key: SymmetricKey

    /// `secret`: at least 32 random bytes, kept apart from the registry and from credentials.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the HMAC secret needs at least 32 bytes")
        key = SymmetricKey(data: secret)
    }

    public func key(for identity: ClientIdentity) -> DeviceKey {
        var message = Array(ClientIdentity.foldType(identity.type).utf8)
        message.append(0x20)
        message += identity.token.utf8
        return DeviceKey(bytes: Array(HMAC<SHA256>.authenticationCode(for: message, using: key)))
    }
}
