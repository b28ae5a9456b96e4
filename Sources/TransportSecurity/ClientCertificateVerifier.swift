import Foundation
import NIOCore
import NIOSSL
import X509

/// How a mutual-TLS listener judges a client's certificate chain: signed by the trusted CA, valid now,
/// and (with an allow-list) issued to an allowed subject common name. Done in Swift rather than by
/// BoringSSL so that a refusal names its reason (expired, unknown CA, name not allowed) in the log.
public struct ClientCertificateVerifier: Sendable {
    let roots: [Certificate]
    /// Subject common names accepted; empty: any.
    public let allowedNames: Set<String>

    public init(trustRoots: [NIOSSLCertificate], allowedNames: [String]) throws {
        roots = try trustRoots.map { try Certificate(derEncoded: $0.toDERBytes()) }
        self.allowedNames = Set(allowedNames)
    }

    /// The verdict on one presented chain (leaf first).
    public enum Verdict: Sendable, Equatable {
        case accepted(subject: String)
        case refused(reason: String)
    }

    /// Judges a chain synchronously, on the event loop: a handshake never waits for a busy thread pool.
    /// The chain is walked from the leaf through the presented intermediates (CA certificates) to one of
    /// the trusted roots, each link checked by issuer name and signature, each certificate by its dates.
    public func verify(_ presented: [NIOSSLCertificate], at time: Date = Date()) -> Verdict {
        guard !presented.isEmpty else { return .refused(reason: "the client sent no certificate") }
        let chain: [Certificate]
        do {
            chain = try presented.map { try Certificate(derEncoded: $0.toDERBytes()) }
        } catch {
            return .refused(reason: "the client's certificate does not parse (\(error))")
        }
        let leaf = chain[0]
        let subject = PeerIdentity.commonName(of: leaf) ?? leaf.subject.description
        if let problem = Self.dateProblem(leaf, at: time, name: "certificate of \(subject)") {
            return .refused(reason: problem)
        }
        func signs(_ issuer: Certificate, _ certificate: Certificate) -> Bool {
            issuer.subject == certificate.issuer
                && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
        }
        var current = leaf
        var intermediates = Array(chain.dropFirst()).filter { Self.isAuthority($0) }
        for _ in 0...intermediates.count {
            if let root = roots.first(where: { signs($0, current) }) {
                if let problem = Self.dateProblem(root, at: time, name: "the trusted CA") {
                    return .refused(reason: problem)
                }
                guard allowedNames.isEmpty || allowedNames.contains(subject) else {
                    return .refused(
                        reason:
                            "client \(subject) is not in the allow-list (--tls-allow \(allowedNames.sorted().joined(separator: ",")))"
                    )
                }
                return .accepted(subject: subject)
            }
            guard let next = intermediates.firstIndex(where: { signs($0, current) }) else { break }
            let intermediate = intermediates.remove(at: next)
            if let problem = Self.dateProblem(intermediate, at: time, name: "an intermediate CA of \(subject)") {
                return .refused(reason: problem)
            }
            current = intermediate
        }
        return .refused(reason: "certificate of \(subject) is not signed by the trusted CA (--tls-ca)")
    }

    /// Why `certificate` is not valid at `time`, or nil.
    static func dateProblem(_ certificate: Certificate, at time: Date, name: String) -> String? {
        if time > certificate.notValidAfter {
            return "\(name) expired on \(PeerIdentity.timestamp(certificate.notValidAfter))"
        }
        if time < certificate.notValidBefore {
            return "\(name) is not valid before \(PeerIdentity.timestamp(certificate.notValidBefore))"
        }
        return nil
    }

    /// Whether `certificate` may sign others (basic constraints: CA).
    static func isAuthority(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = (try? certificate.extensions.basicConstraints) ?? .notCertificateAuthority {
            return true
        }
        return false
    }

    /// The callback NIOSSL calls during the handshake; the verdict also goes to `record`, so the
    /// handshake's failure can be logged with its reason.
    func callback(record: @escaping @Sendable (Verdict) -> Void) -> NIOSSLCustomVerificationCallback {
        { certificates, promise in
            let verdict = self.verify(certificates)
            record(verdict)
            if case .accepted = verdict {
                promise.succeed(.certificateVerified)
            } else {
                promise.succeed(.failed)
            }
        }
    }
}

/// Who is at the other end of a TLS connection.
public enum PeerIdentity {
    /// The first subject common name of `certificate`, if it has one.
    public static func commonName(of certificate: Certificate) -> String? {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }

    public static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let bytes = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: bytes) else {
            return nil
        }
        return commonName(of: parsed)
    }

    /// The DNS names among `certificate`'s subject alternative names.
    public static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        guard let bytes = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: bytes),
            let names = try? parsed.extensions.subjectAlternativeNames
        else { return [] }
        return names.compactMap { if case .dnsName(let name) = $0 { name } else { nil } }
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
