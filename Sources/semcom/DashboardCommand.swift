import ArgumentParser
import Daemons
import Foundation
import Logging
import ServiceLifecycle
import SidePort

/// `semcom dashboard`: the live page of a link (its daemons started with `--http`).
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract:
            "Serve a live page of a link: counters, frames with their maps and images, SNR, the relay's channel control.",
        discussion: """
            Give the daemons' side ports (`--http` of send, relay and receive) as URLs. The browser reads them \
            directly (events, pictures, channel); changing the relay's channel goes through the dashboard, \
            which holds the relay's token (--relay-token or $SEMCOM_HTTP_TOKEN). Off loopback the dashboard \
            needs its own --token for that change.
            """)

    @Option(help: "Where to serve the page, HOST:PORT (port 0 picks one and prints `dashboard on URL`).")
    var listen: Endpoint = Endpoint(host: "127.0.0.1", port: 8700)
    @Option(help: "The sender's side port, e.g. http://127.0.0.1:7001.") var sender: String?
    @Option(help: "The relay's side port, e.g. http://127.0.0.1:7201.") var relay: String?
    @Option(help: "The receiver's side port, e.g. http://127.0.0.1:7101.") var receiver: String?
    @Option(
        help: "The relay's bearer token (default: $SEMCOM_HTTP_TOKEN); without it the page cannot change the channel.")
    var relayToken: String?
    @Option(
        help:
            "Token the dashboard itself requires for changes (default: $SEMCOM_DASHBOARD_TOKEN): required off loopback, honoured on loopback too."
    )
    var token: String?
    @Option(
        help:
            "A host name requests may carry in Host besides IP addresses, loopback names and the --listen host (repeatable; DNS rebinding protection)."
    )
    var allowedHost: [String] = []
    @OptionGroup var logging: LogOptions

    func validate() throws {
        for (flag, url) in [("--sender", sender), ("--relay", relay), ("--receiver", receiver)] {
            guard let url else { continue }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
            else {
                throw ValidationError("\(flag) \(url): give the side port as http://HOST:PORT")
            }
        }
        guard sender != nil || relay != nil || receiver != nil else {
            throw ValidationError("give at least one of --sender, --relay, --receiver (the daemons' --http URLs)")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "dashboard")
        let environment = ProcessInfo.processInfo.environment
        let token = self.token ?? environment["SEMCOM_DASHBOARD_TOKEN"]
        let relayToken = self.relayToken ?? environment["SEMCOM_HTTP_TOKEN"]
        if relayToken != nil, token == nil, !listen.isLoopback {
            throw Startup.fail(
                DaemonError.configuration(
                    "--listen \(listen) is not on loopback: give --token (or SEMCOM_DASHBOARD_TOKEN) so that only its holders can change the relay's channel"
                ))
        }
        var limits = SidePortLimits()
        limits.allowedHosts = allowedHost
        func trimmed(_ url: String?) -> String? { url.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } }
        let dashboard = Dashboard(
            configuration: .init(
                listen: listen, sender: trimmed(sender), relay: trimmed(relay), receiver: trimmed(receiver),
                relayToken: relayToken, token: token, limits: limits),
            logger: logger, onListening: { StandardOutput.writeLine("dashboard on http://\($0)/") })
        try await runDaemon(dashboard, logger: logger)
    }
}
