// The server's TLS identity: PEM files, or a self-signed P-256 certificate made
// at start (development and tests) whose SHA-256 fingerprint is logged so a
// client can pin it.

import Crypto
import Foundation
import NIOSSL
import X509

struct ServerIdentity {
    var certificateChain: [NIOSSLCertificate]
    var privateKey: NIOSSLPrivateKey
    /// SHA-256 of the leaf certificate's DER, `AB:CD:…`.
    var fingerprint: String
    var ephemeral: Bool

    static func load(_ source: ServerConfiguration.Certificate, hostname: String) throws -> ServerIdentity {
        switch source {
        case .files(let certificatePath, let keyPath):
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            guard let leaf = chain.first else { throw ServerError("no certificate in \(certificatePath)") }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return ServerIdentity(
                certificateChain: chain, privateKey: key, fingerprint: fingerprint(of: try leaf.toDERBytes()), ephemeral: false)
        case .ephemeral:
            let (der, keyPEM) = try selfSigned(hostname: hostname)
            return ServerIdentity(
                certificateChain: [try NIOSSLCertificate(bytes: der, format: .der)],
                privateKey: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem),
                fingerprint: fingerprint(of: der), ephemeral: true)
        }
    }

    /// A leaf certificate for `hostname` and localhost, valid from
    /// an hour ago for 30 days. Returns the DER certificate and the PKCS#8 PEM key.
    static func selfSigned(hostname: String) throws -> (der: [UInt8], keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            CommonName(hostname)
            OrganizationName("clientid-server ephemeral")
        }
        var names: [GeneralName] = [.dnsName(hostname)]
        if hostname != "localhost" { names.append(.dnsName("localhost")) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: certificateKey)
        return (try certificate.serializeAsPEM().derBytes, key.pemRepresentation)
    }

    static func fingerprint(of der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    func makeTLSContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        // RFC 8996 and RFC 8314 §4.1: TLS 1.2 or later.
        tls.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: tls)
    }
}

/// A start-up problem, with a message for the operator.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
