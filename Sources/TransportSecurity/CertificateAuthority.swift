import Crypto
import Foundation
import SwiftASN1
import X509

/// A small certificate authority for tests, demos and first deployments (`semcom certs`): one CA and,
/// per daemon name, a P-256 key and a certificate usable both as a TLS server and as a TLS client.
public struct CertificateAuthority {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// A new self-signed CA named `name`, valid from an hour ago (clock skew) for `days` days.
    public init(name: String = "semcom CA", days: Int = 825, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        self.key = key
        let subject = try DistinguishedName { CommonName(name) }
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
    }

    /// A leaf certificate and key for `name`.
    public struct Issued {
        public let certificate: Certificate
        public let key: P256.Signing.PrivateKey
    }

    /// Issues a certificate with subject CN `name` and subject alternative names `name`, `localhost`,
    /// 127.0.0.1, ::1 and `hosts` (DNS names or IP addresses), valid from `notBefore` to `notAfter`.
    public func issue(name: String, hosts: [String] = [], notBefore: Date, notAfter: Date) throws -> Issued {
        let leafKey = P256.Signing.PrivateKey()
        var names: [GeneralName] = []
        for host in [name, "localhost"] + hosts + ["127.0.0.1", "::1"] {
            let entry = Self.generalName(host)
            if !names.contains(entry) { names.append(entry) }
        }
        let sans = names
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(sans)
                SubjectKeyIdentifier(hash: .init(leafKey.publicKey))
                AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(key))
        return Issued(certificate: leaf, key: leafKey)
    }

    /// Issues for `days` days from an hour ago.
    public func issue(name: String, hosts: [String] = [], days: Int, now: Date = Date()) throws -> Issued {
        try issue(
            name: name, hosts: hosts, notBefore: now.addingTimeInterval(-3600),
            notAfter: now.addingTimeInterval(Double(days) * 86_400))
    }

    /// The CA's certificate as PEM text (what `ca.crt` holds).
    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString + "\n" }

    /// Writes `ca.crt` and `ca.key` (the CA's signing key: keep it away from the daemons) to `folder`.
    public func write(to folder: String) throws {
        try Self.write(pem: certificate.serializeAsPEM().pemString, to: folder + "/ca.crt", secret: false)
        try Self.write(pem: key.pemRepresentation, to: folder + "/ca.key", secret: true)
    }

    /// Writes `NAME.crt` and `NAME.key` (mode 0600) to `folder`.
    public static func write(_ issued: Issued, name: String, to folder: String) throws {
        try write(pem: issued.certificate.serializeAsPEM().pemString, to: "\(folder)/\(name).crt", secret: false)
        try write(pem: issued.key.pemRepresentation, to: "\(folder)/\(name).key", secret: true)
    }

    static func write(pem: String, to path: String, secret: Bool) throws {
        let url = URL(fileURLWithPath: path)
        try Data((pem + "\n").utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes(
            [.posixPermissions: secret ? 0o600 : 0o644], ofItemAtPath: path)
    }

    /// A DNS name, or an IP address when `host` parses as one.
    static func generalName(_ host: String) -> GeneralName {
        if let v4 = IPv4(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(v4))) }
        if let v6 = IPv6(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(v6))) }
        return .dnsName(host)
    }

    /// The four bytes of a dotted-quad IPv4 address.
    static func IPv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// The sixteen bytes of an IPv6 address.
    static func IPv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
