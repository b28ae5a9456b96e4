import Foundation
import NIOSSL
import Testing

@testable import TransportSecurity

@Suite struct CertificateAuthorityTests {
    @Test func issuedCertificatesLoadIntoNIOSSLAndVerify() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("certs-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ca = try CertificateAuthority()
        try ca.write(to: folder)
        try CertificateAuthority.write(ca.issue(name: "sender", days: 30), name: "sender", to: folder)

        let settings = TLSSettings(
            certificatePath: folder + "/sender.crt", keyPath: folder + "/sender.key",
            trustRootsPath: folder + "/ca.crt",
            allowedNames: ["sender"])
        let server = try settings.serverContext()
        let verifier = try #require(server.clientVerifier)
        let chain = try NIOSSLCertificate.fromPEMFile(folder + "/sender.crt")
        #expect(verifier.verify(chain) == .accepted(subject: "sender"))
        _ = try settings.clientContext()
        let keyMode =
            try FileManager.default.attributesOfItem(atPath: folder + "/sender.key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
    }
}
