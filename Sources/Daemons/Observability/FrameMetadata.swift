import Foundation
import Link
import Logging
import SemanticWire

/// The metadata keys of the live logs, in one place.
enum FrameMetadata {
    /// `frame.id` and, when known, `frame.name` and `frame.attempt`: a frame named by its answer or its entry.
    static func frame(_ id: UInt64, name: String? = nil, attempt: UInt16? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["frame.id": .stringConvertible(id)]
        if let name { metadata["frame.name"] = "\(name)" }
        if let attempt { metadata["frame.attempt"] = .stringConvertible(attempt) }
        return metadata
    }

    /// The channel figures of the last hop (`channel.model`, `channel.snr_db`, `channel.measured_snr_db`,
    /// `channel.bit_errors`, `channel.uses`), or `channel.model=direct` when no relay was crossed.
    static func channel(_ hops: [HopAnnotation]) -> Logger.Metadata {
        guard let hop = hops.last else { return ["channel.model": "direct", "frame.hops": "0"] }
        var metadata = channel(hop)
        metadata["frame.hops"] = .stringConvertible(hops.count)
        return metadata
    }

    static func channel(_ hop: HopAnnotation) -> Logger.Metadata {
        [
            "channel.model": "\(hop.channelModel)", "channel.snr_db": .decimal(hop.snrDB.map(Double.init)),
            "channel.measured_snr_db": .decimal(hop.measuredSNRDB.map(Double.init)),
            "channel.bit_errors": .stringConvertible(hop.bitErrors),
            "channel.uses": .stringConvertible(hop.channelUses),
            "channel.seed": .stringConvertible(hop.seed),
        ]
    }

    /// What a hop put on the channel (`ChannelLedger`): `channel.payload_uses`, `channel.header_uses`,
    /// `channel.rho` (payload uses ÷ H·W·3), `channel.payload_bits`, `channel.bpp`.
    static func ledger(_ ledger: ChannelLedger) -> Logger.Metadata {
        [
            "channel.payload_uses": .stringConvertible(ledger.payloadChannelUses),
            "channel.header_uses": .stringConvertible(ledger.headerChannelUses),
            "channel.rho": .decimal(ledger.rho, digits: 5),
            "channel.payload_bits": .stringConvertible(ledger.payloadBits),
            "channel.bpp": .decimal(ledger.bitsPerPixel, digits: 4),
        ]
    }

    /// The parts of a layered frame (protocol §6.4): `layer.map_coding`, `layer.map_bytes`,
    /// `layer.metadata_bytes`, `layer.symbols` (real), `layer.mcs` (the digital parts' modulation and code).
    static func layered(_ layout: LayeredLayout) -> Logger.Metadata {
        [
            "layer.map_coding": "\(layout.mapCoding)", "layer.map_bytes": .stringConvertible(layout.mapLength),
            "layer.metadata_bytes": .stringConvertible(layout.metadataLength),
            "layer.symbols": .stringConvertible(layout.symbolCount), "layer.mcs": "\(layout.mcs.description)",
        ]
    }

    /// What a receiver made of a layered frame: `layer.map` and `layer.layer` (`ok`, `lost` or `none`),
    /// `layer.expected_mse` (the estimate's, 0…255 units²), `layer.noise_variance` (per real symbol).
    static func reception(_ reception: LayeredReception) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "layer.map": "\(reception.labels != nil ? "ok" : reception.mapLost ? "lost" : "none")",
            "layer.layer": "\(reception.layer != nil ? "ok" : reception.layerLost ? "lost" : "none")",
            "layer.noise_variance": .decimal(reception.noiseVariance, digits: 6),
        ]
        if let layer = reception.layer { metadata["layer.expected_mse"] = .decimal(layer.expectedMSE, digits: 2) }
        return metadata
    }

    /// Milliseconds since `start`.
    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// Facts about this machine for HELLO peer names.
public enum HostName {
    public static var current: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : String(name.prefix(200))
    }
}
