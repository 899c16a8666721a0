// Accounts for AUTH: a users file of salted, slow password hashes.
//
// One account a line: `NAME:$pbkdf2-sha256$i=ITERATIONS$SALT$HASH`, where SALT
// (16 random bytes) and HASH (32 bytes of PBKDF2-HMAC-SHA256, RFC 8018) are base64
// without padding, as in the PHC string format. NAME is 1–255 octets of UTF-8
// without ':', control characters or spaces. Blank lines and lines starting with
// '#' are ignored. `clientid-server hash-password` prints such a line.
//
// Checks are slow on purpose (600,000 iterations, OWASP's 2023 figure for
// PBKDF2-HMAC-SHA256): the server runs them on its thread pool, never on an event loop.

import Crypto
import Foundation
import _CryptoExtras

public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    public static let defaultIterations = 600_000
    public static let scheme = "pbkdf2-sha256"

    public let iterations: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Hashes `password` with a fresh random salt.
    public init(password: some Collection<UInt8>, iterations: Int = PasswordHash.defaultIterations) {
        precondition(iterations >= 1)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.iterations = iterations
        self.salt = salt
        self.hash = Self.derive(Array(password), salt: salt, iterations: iterations)
    }

    init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// `$pbkdf2-sha256$i=600000$SALT$HASH`.
    public init?(encoded: some StringProtocol) {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == Self.scheme, fields[2].hasPrefix("i="),
            let iterations = Int(fields[2].dropFirst(2)), iterations >= 1, iterations <= 100_000_000,
            let salt = Self.base64Decode(fields[3]), salt.count >= 8,
            let hash = Self.base64Decode(fields[4]), hash.count == 32
        else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    public var description: String {
        "$\(Self.scheme)$i=\(iterations)$\(Self.base64Encode(salt))$\(Self.base64Encode(hash))"
    }

    /// Constant-time comparison of the derived key.
    public func matches(_ password: some Collection<UInt8>) -> Bool {
        let candidate = Self.derive(Array(password), salt: salt, iterations: iterations)
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, hash) { difference |= a ^ b }
        return difference == 0 && candidate.count == hash.count
    }

    static func derive(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        // unsafeUncheckedRounds: the file decides the count (tests use small ones);
        // `hash-password` never writes fewer than the default unless told to.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: password, salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }

    static func base64Encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func base64Decode(_ text: some StringProtocol) -> [UInt8]? {
        var padded = String(text)
        guard !padded.contains("=") else { return nil }
        while padded.utf8.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }
}

/// The accounts the server knows.
public struct UserStore: Sendable, Equatable {
    public private(set) var accounts: [String: PasswordHash] = [:]
    /// Checked against for unknown accounts, with the iterations of the slowest
    /// account, so that an unknown name takes as long as a known one (D18).
    private var decoy = PasswordHash(
        iterations: PasswordHash.defaultIterations, salt: Array(repeating: 0, count: 16), hash: Array(repeating: 0, count: 32))

    public init() {}

    /// Why a users file or a `--user` could not be read.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public var isEmpty: Bool { accounts.isEmpty }

    public static func isValidName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.utf8.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: ":") }
    }

    public mutating func add(name: String, hash: PasswordHash) throws(Problem) {
        guard Self.isValidName(name) else { throw Problem(description: "invalid account name \"\(name)\"") }
        guard accounts[name] == nil else { throw Problem(description: "account \"\(name)\" given twice") }
        accounts[name] = hash
        if accounts.count == 1 || hash.iterations > decoy.iterations {
            decoy = PasswordHash(iterations: hash.iterations, salt: decoy.salt, hash: decoy.hash)
        }
    }

    /// Reads users file text (format at the top of this file).
    public mutating func add(fileText text: String, file: String) throws(Problem) {
        // Character-wise, "\r\n" is one newline.
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            // file:line:column, the column (1-based, in characters) where the entry goes wrong.
            guard let colon = line.firstIndex(of: ":") else {
                throw Problem(description: "\(file):\(number + 1):1: expected NAME:$pbkdf2-sha256$i=N$SALT$HASH")
            }
            let hashColumn = line.distance(from: line.startIndex, to: colon) + 2
            guard let hash = PasswordHash(encoded: line[line.index(after: colon)...]) else {
                throw Problem(description: "\(file):\(number + 1):\(hashColumn): expected NAME:$pbkdf2-sha256$i=N$SALT$HASH")
            }
            do {
                try add(name: String(line[..<colon]), hash: hash)
            } catch {
                throw Problem(description: "\(file):\(number + 1):1: \(error.description)")
            }
        }
    }

    /// `NAME:PASSWORD` (development only: the password is on the command line).
    public mutating func add(development spec: String, iterations: Int = PasswordHash.defaultIterations) throws(Problem) {
        guard let colon = spec.firstIndex(of: ":") else { throw Problem(description: "--user expects NAME:PASSWORD") }
        try add(
            name: String(spec[..<colon]),
            hash: PasswordHash(password: Array(spec[spec.index(after: colon)...].utf8), iterations: iterations))
    }

    /// Slow: call it off the event loop. An unknown account costs the same as a known one (D18).
    public func verify(username: String, password: [UInt8]) -> Bool {
        guard let hash = accounts[username] else {
            _ = decoy.matches(password)
            return false
        }
        return hash.matches(password)
    }
}

/// `NAME:HASH` for a users file.
public func usersFileLine(name: String, password: [UInt8], iterations: Int = PasswordHash.defaultIterations) throws(UserStore
    .Problem) -> String
{
    guard UserStore.isValidName(name) else { throw UserStore.Problem(description: "invalid account name \"\(name)\"") }
    return "\(name):\(PasswordHash(password: password, iterations: iterations))"
}
