import ArgumentParser
import Daemons
import Foundation
import TransportSecurity

/// TLS flags of a listening daemon (`receive`, and `relay`'s listener).
struct TLSListenOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "PEM certificate of this listener: TLS on (with --tls-key).")
    var certificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var key: String?
    @Option(
        name: .customLong("tls-ca"),
        help: "PEM CA certificate: clients must present a certificate it signed (mutual TLS).")
    var trustRoots: String?
    @Option(
        name: .customLong("tls-allow"),
        help: "With --tls-ca: client certificate common names accepted, comma-separated (default: any the CA signed).")
    var allow: String?

    var settings: TLSSettings {
        TLSSettings(
            certificatePath: certificate, keyPath: key, trustRootsPath: trustRoots, allowedNames: Self.names(allow))
    }

    func security() throws -> HopSecurity {
        try Startup.configuration { try HopSecurity.listener(settings) }
    }

    static func names(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// TLS flags of a connecting daemon (`send`).
struct TLSConnectOptions: ParsableArguments {
    @Option(
        name: .customLong("tls-ca"),
        help: "PEM CA certificate the server's certificate must chain to: TLS on.")
    var trustRoots: String?
    @Option(name: .customLong("tls-cert"), help: "PEM client certificate, for a server that requires one (mutual TLS).")
    var certificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var key: String?
    @Option(
        name: .customLong("tls-server-name"),
        help: "Name the server's certificate must carry (default: the host of --connect; an IP address is checked against the certificate's IP addresses).")
    var serverName: String?

    func security(to target: Endpoint) throws -> HopSecurity {
        let settings = TLSSettings(
            certificatePath: certificate, keyPath: key, trustRootsPath: trustRoots, serverName: serverName)
        return try Startup.configuration { try HopSecurity.connection(settings, to: target) }
    }
}

/// TLS flags of the relay's downstream connection (towards the receiver or the next relay).
struct TLSForwardOptions: ParsableArguments {
    @Option(
        name: .customLong("forward-tls-ca"),
        help: "PEM CA certificate the next hop's certificate must chain to: TLS on the downstream connection.")
    var trustRoots: String?
    @Option(name: .customLong("forward-tls-cert"), help: "PEM client certificate the relay presents downstream.")
    var certificate: String?
    @Option(name: .customLong("forward-tls-key"), help: "PEM private key of --forward-tls-cert.") var key: String?
    @Option(
        name: .customLong("forward-tls-server-name"),
        help: "Name the next hop's certificate must carry (default: the host of --forward).")
    var serverName: String?

    func security(to target: Endpoint) throws -> HopSecurity {
        let settings = TLSSettings(
            certificatePath: certificate, keyPath: key, trustRootsPath: trustRoots, serverName: serverName)
        return try Startup.configuration { try HopSecurity.connection(settings, to: target) }
    }
}

/// Exit statuses of `semcom` (also in README and deploy/README.md): 0 done, 1 a run-time failure,
/// 64 a usage error (ArgumentParser), 78 a configuration the daemon cannot start with (sysexits
/// EX_CONFIG) — a supervisor should not restart on 64 or 78.
enum Startup {
    static let configurationExitCode: Int32 = 78

    /// Runs `body`; any error it throws is a configuration error: printed as one line, exit 78.
    static func configuration<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw fail(error)
        }
    }

    /// Async variant of `configuration`.
    static func configuration<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw fail(error)
        }
    }

    /// Prints `error` as `error: …` on standard error and returns the exit to throw.
    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        return ExitCode(configurationExitCode)
    }
}
