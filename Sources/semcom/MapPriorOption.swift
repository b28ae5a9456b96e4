import ArgumentParser
import Generator
import Link
import Logging
import MapCoding
import SemanticWire

/// `--map-prior FILE` or `--map-prior none`: the map coder's learned prior (docs/map-coding.md); the shipped one
/// (models/map-prior) when left out.
struct MapPriorOption: ParsableArguments {
    @Option(
        name: .customLong("map-prior"),
        help: "The map coder's learned prior: a file, or none (uniform starting counts). Default: models/map-prior.")
    var path: String?

    /// The prior asked for; a missing or malformed file is an error.
    func load() throws -> MapPrior? {
        if path == "none" { return nil }
        return try MapPrior(path: ModelLocator.mapPriorPath(path))
    }

    /// For the daemons: the prior asked for, or — when none was named and none is shipped — nil, logged.
    func loadIfShipped(logger: Logger) throws -> MapPrior? {
        guard path == nil else { return try load() }
        do {
            let prior = try load()
            if let prior {
                logger.info(
                    "map prior loaded",
                    metadata: [
                        "map.prior": "\(MapPrior.text(identity: prior.identity))",
                        "map.prior.classes": "\(prior.classCount)",
                    ])
            }
            return prior
        } catch {
            logger.warning(
                "no map prior: context-coded maps use uniform starting counts", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
extension DigitalMapCoding: ExpressibleByArgument {}

/// `--max-protocol N`: the highest wire protocol version a server offers (default: the highest it speaks). For
/// testing peers against an older one: a receiver started with `--max-protocol 1` answers like a protocol-1 peer.
struct ProtocolVersionOption: ParsableArguments {
    @Option(help: "Highest wire protocol version to offer clients (1, 2 or 3; default: 3).")
    var maxProtocol: UInt8 = WireProtocol.supportedVersions.upperBound

    func validate() throws {
        guard WireProtocol.supportedVersions.contains(maxProtocol) else {
            throw ValidationError("--max-protocol must be within \(WireProtocol.supportedVersions)")
        }
    }

    var versions: ClosedRange<UInt8> { WireProtocol.supportedVersions.lowerBound...maxProtocol }
}
