import Foundation
import NIOSSL

/// The TLS files and checks of one side of one hop (a daemon's listener, or its outgoing connection).
///
/// A listener with a certificate and key speaks TLS; with `trustRoots` as well it asks every client for
/// a certificate and accepts only those the CA signed, still valid, and (when `allowedNames` is not
/// empty) whose subject common name is in the list. A connecting side with `trustRoots` verifies the
/// server's certificate against that CA and `serverName` (or the address it dialled); with a
/// certificate and key it presents them to a server that asks.
public struct TLSSettings: Sendable, Equatable {
    /// PEM file of this side's certificate (optionally followed by intermediates).
    public var certificatePath: String?
    /// PEM file of this side's private key.
    public var keyPath: String?
    /// PEM file of the CA certificates that peers' certificates must chain to.
    public var trustRootsPath: String?
    /// Subject common names a listener accepts from clients; empty: any name the CA signed.
    public var allowedNames: [String]
    /// The name the server's certificate must carry (DNS SAN); nil: the host that was dialled.
    public var serverName: String?

    public init(
        certificatePath: String? = nil, keyPath: String? = nil, trustRootsPath: String? = nil,
        allowedNames: [String] = [], serverName: String? = nil
    ) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.trustRootsPath = trustRootsPath
        self.allowedNames = allowedNames
        self.serverName = serverName
    }

    /// No TLS flag was given: the hop is plain TCP.
    public var isEmpty: Bool {
        certificatePath == nil && keyPath == nil && trustRootsPath == nil && allowedNames.isEmpty && serverName == nil
    }

    /// A TLS listener: its certificate and key, and (mutual TLS) the CA its clients' certificates must chain to.
    public func serverContext() throws(TLSSetupError) -> TLSServerContext {
        guard let certificatePath, let keyPath else {
            throw .incomplete("a TLS listener needs both a certificate and a key (--tls-cert, --tls-key)")
        }
        if !allowedNames.isEmpty && trustRootsPath == nil {
            throw .incomplete("--tls-allow checks client certificates: give the CA that signs them with --tls-ca")
        }
        let chain = try Self.certificates(at: certificatePath, what: "certificate")
        let key = try Self.privateKey(at: keyPath)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        var roots: [NIOSSLCertificate] = []
        if let trustRootsPath {
            roots = try Self.certificates(at: trustRootsPath, what: "CA certificate")
            // Clients are verified by `ClientCertificateVerifier` (clear reasons, the allow-list);
            // `.noHostnameVerification` makes the server ask for a certificate and call it.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let verifier =
                roots.isEmpty
                ? nil : try ClientCertificateVerifier(trustRoots: roots, allowedNames: allowedNames)
            return TLSServerContext(context: context, clientVerifier: verifier)
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw .invalid("the TLS listener's settings were refused: \(error)")
        }
    }

    /// An HTTPS side port: its certificate and key, and (with a CA) clients must present a certificate
    /// that CA signed (verified by BoringSSL; the allow-list applies to the wire ports).
    public func httpServerConfiguration() throws(TLSSetupError) -> TLSConfiguration {
        guard let certificatePath, let keyPath else {
            throw .incomplete("an HTTPS side port needs both --http-tls-cert and --http-tls-key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try Self.certificates(at: certificatePath, what: "certificate").map { .certificate($0) },
            privateKey: .privateKey(try Self.privateKey(at: keyPath)))
        configuration.minimumTLSVersion = .tlsv12
        if let trustRootsPath {
            configuration.trustRoots = .certificates(try Self.certificates(at: trustRootsPath, what: "CA certificate"))
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    /// A TLS connecting side: the CA the server must chain to, and this side's certificate for mutual TLS.
    public func clientContext() throws(TLSSetupError) -> NIOSSLContext {
        guard let trustRootsPath else {
            throw .incomplete("a TLS connection needs the CA that signed the server's certificate (--tls-ca)")
        }
        if (certificatePath == nil) != (keyPath == nil) {
            throw .incomplete("a client certificate needs both --tls-cert and --tls-key")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates(try Self.certificates(at: trustRootsPath, what: "CA certificate"))
        configuration.certificateVerification = .fullVerification
        if let certificatePath, let keyPath {
            configuration.certificateChain = try Self.certificates(at: certificatePath, what: "certificate")
                .map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.privateKey(at: keyPath))
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .invalid("the TLS connection's settings were refused: \(error)")
        }
    }

    static func certificates(at path: String, what: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable("\(path): no readable \(what) file (PEM)")
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(path)
            guard !certificates.isEmpty else { throw TLSSetupError.invalid("\(path): no certificate in the file") }
            return certificates
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw .invalid("\(path): not a PEM \(what) (\(error))")
        }
    }

    static func privateKey(at path: String) throws(TLSSetupError) -> NIOSSLPrivateKey {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable("\(path): no readable private key file (PEM)")
        }
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw .invalid("\(path): not a PEM private key (\(error))")
        }
    }
}

/// A listener's TLS context and, for mutual TLS, how it checks client certificates.
public struct TLSServerContext: Sendable {
    public let context: NIOSSLContext
    public let clientVerifier: ClientCertificateVerifier?
}

/// TLS settings that cannot be used; raised before a daemon starts serving.
public enum TLSSetupError: Error, Equatable, CustomStringConvertible {
    /// A flag that needs another one is alone.
    case incomplete(String)
    /// A file is missing or unreadable.
    case unreadable(String)
    /// A file or a combination of settings is not acceptable.
    case invalid(String)

    public var description: String {
        switch self {
        case .incomplete(let text), .unreadable(let text), .invalid(let text): text
        }
    }
}
