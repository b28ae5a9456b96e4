import ArgumentParser
import Foundation
import TransportSecurity

/// `semcom certs`: a CA and one key + certificate per daemon name, for mutual TLS in tests, demos and
/// first deployments.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make a CA and a TLS key + certificate per name (PEM: ca.crt, ca.key, NAME.crt, NAME.key).",
        discussion: """
            Each NAME.crt has the common name NAME and the subject alternative names NAME, localhost, 127.0.0.1, \
            ::1 and every --hosts entry; it serves as a TLS server and as a TLS client certificate. ca.key is the \
            CA's signing key: daemons never need it, so keep it off the machines that run them. Keys are \
            written with mode 0600.
            """)

    @Option(help: "Output folder (created if missing).") var out: String
    @Option(help: "Comma-separated names, one certificate each (e.g. sender,relay,receiver).")
    var names: String = "sender,relay,receiver"
    @Option(
        help:
            "Extra DNS names or IP addresses for every certificate, comma-separated (e.g. relay.example.net,10.0.0.5).")
    var hosts: String = ""
    @Option(help: "Days the certificates stay valid.") var days: Int = 825

    func validate() throws {
        let list = TLSListenOptions.names(names)
        guard !list.isEmpty else { throw ValidationError("--names needs at least one name") }
        for name in list where name.contains("/") || name.hasPrefix(".") || name == "ca" {
            throw ValidationError("--names: '\(name)' cannot be a file name here ('ca' is the CA's)")
        }
        guard (1...36_500).contains(days) else { throw ValidationError("--days must be 1…36500") }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let authority = try CertificateAuthority(days: days)
        try authority.write(to: out)
        let extra = TLSListenOptions.names(hosts)
        for name in TLSListenOptions.names(names) {
            try CertificateAuthority.write(authority.issue(name: name, hosts: extra, days: days), name: name, to: out)
            print("\(out)/\(name).crt, \(out)/\(name).key")
        }
        print(
            "\(out)/ca.crt (give to every daemon as --tls-ca), \(out)/ca.key (the CA's key: keep it away from the daemons)"
        )
    }
}
