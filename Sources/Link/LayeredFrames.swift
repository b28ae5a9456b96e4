import ChannelModels
import Checksums
import Foundation
import Imaging
import MapCoding
import SemanticWire
import SoftCast

/// How a layered frame (the hybrid, or SoftCast alone) spends a budget: the physical layer of its digital parts
/// and the SoftCast chunks that fit the rest. One rule for `semcom eval` and `semcom send` (docs/softcast.md).
public struct LayeredPlan: Sendable, Equatable {
    /// The modulation and code of the digital parts (the map, then SoftCast's metadata).
    public var configuration: PhysicalLayerConfiguration
    /// SoftCast chunks kept.
    public var kept: Int

    public init(configuration: PhysicalLayerConfiguration, kept: Int) {
        self.configuration = configuration
        self.kept = kept
    }

    /// The split of `budget` complex channel uses between the digital parts (the map of `mapBytes` bytes when
    /// given, then the metadata, as one transmission) and SoftCast's chunks, fixed by what a sender knows — budget, SNR and map size,
    /// never the image's outcome: of the table's MCSs reliable at `snrDB` on `channel` (frame error rate < 10 %,
    /// `MCSTable`), the one that leaves the most chunks (ties: the lower threshold) — a short digital part favours
    /// a code with small blocks. Nil when the map fits under none. Without a budget: `unbudgeted` and every chunk.
    /// "Reliable" keeps `marginDB` below the table's threshold (see `marginDB`).
    public static func split(
        _ codec: SoftCastCodec, mapBytes: Int?, budget: Int?, snrDB: Double, channel: RadioChannel,
        unbudgeted: PhysicalLayerConfiguration
    ) -> LayeredPlan? {
        guard let budget else { return LayeredPlan(configuration: unbudgeted, kept: codec.profile.chunkCount) }
        let fading = channel.fading != .none
        let reliable = MCSTable.entries.compactMap { entry in
            entry.threshold(fading: fading).flatMap { $0 + marginDB <= snrDB ? (entry, $0) : nil }
        }.sorted { $0.1 < $1.1 }
        var best: LayeredPlan?
        for (entry, _) in reliable {
            let configuration = PhysicalLayerConfiguration(
                modulation: entry.modulation, code: entry.code, channel: channel)
            let physical = PhysicalLayer(configuration)
            let map = mapBytes ?? 0
            guard map == 0 || physical.cost(payloadBytes: map).channelUses <= budget else { continue }
            // Map and metadata cross the physical layer as one payload: no block is padded twice.
            let kept = codec.keptChunks(channelUses: budget) { physical.cost(payloadBytes: map + $0).channelUses }
            if best == nil || kept > best!.kept { best = LayeredPlan(configuration: configuration, kept: kept) }
        }
        return best
    }

    /// How far below the SNR an MCS's threshold must be for the split to use it, dB. The table's threshold is a
    /// frame error rate of 10 % on 500-byte frames; a block error in a layered frame's digital part costs the whole
    /// image its map or its layer, so the split asks for 0.5 dB more, where the LDPC waterfall is about ten times
    /// lower. Without it, a live link at 10 dB (ρ 1/6) sent 15 of 20 frames with 16-QAM LDPC-648 2/3, whose
    /// threshold is exactly 10.0 dB, and 3 of them lost their map or their metadata.
    public static let marginDB = 0.5

    /// The MCS as a layered frame names it.
    public var requestedMCS: RequestedMCS { RequestedMCS(configuration) }
}

extension RequestedMCS {
    /// The wire's name of `configuration`'s modulation and code.
    public init(_ configuration: PhysicalLayerConfiguration) {
        let (k, n) = configuration.code.fraction
        var block = 0
        if case .ldpc(let length, _) = configuration.code { block = length }
        let coded = configuration.code != .none
        self.init(
            modulation: ModulationID(configuration.modulation), code: ChannelCodeID(configuration.code),
            rateNumerator: coded ? UInt16(k) : 0, rateDenominator: coded ? UInt16(n) : 0, blockLength: UInt16(block))
    }

    /// The physical layer this names on `radio`'s channel (fading, equaliser, CSI) with its demapping.
    /// - Throws: `.invalidField` (NACK invalid) for a modulation or code this physical layer does not run.
    public func configuration(on radio: RelayRadio) throws -> PhysicalLayerConfiguration {
        guard let modulation = Modulation.allCases.first(where: { ModulationID($0) == self.modulation }) else {
            throw WireError.invalidField("the digital part's modulation \(self.modulation) is not run here")
        }
        let rate = "\(rateNumerator)/\(rateDenominator)"
        let code: ChannelCode
        switch self.code {
        case .uncoded:
            code = .none
        case .convolutional:
            guard let r = ConvolutionalCode.Rate(rawValue: rate) else {
                throw WireError.invalidField("the digital part's convolutional rate \(rate) is not run here")
            }
            code = .convolutional(r)
        case .ldpc:
            guard LDPCCode.lengths.contains(Int(blockLength)), let r = LDPCCode.Rate(rawValue: rate) else {
                throw WireError.invalidField("the digital part's LDPC code \(blockLength):\(rate) is not run here")
            }
            code = .ldpc(n: Int(blockLength), rate: r)
        default:
            throw WireError.invalidField("the digital part's code \(self.code) is not run here")
        }
        return PhysicalLayerConfiguration(
            modulation: modulation, code: code, channel: radio.channel, demapping: radio.demapping)
    }
}

extension MapFrame {
    /// A layered frame of `image` (first transmission, no hops): its map (when given: the hybrid; nil: SoftCast
    /// alone) coded as `mapCoding` asks where that is smaller (as `coded(…)`), and the SoftCast chunks the budget
    /// leaves at `designSNR` (`LayeredPlan.split`).
    /// - Throws: `SoftCastError` for an image the profile does not describe, `LinkError`-style text when the map
    ///   does not fit the budget or nothing does.
    public static func layered(
        frameID: UInt64, name: String, image: RGBImage, map: LabelMap?, classCount: UInt8,
        profile: SoftCastProfiles.Profile, budget: Int?, designSNR: Double, channel: RadioChannel = RadioChannel(),
        mapCoding: DigitalMapCoding = .context, prior: MapPrior?, sampleFormat: SampleFormat = .float32
    ) throws -> (frame: MapFrame, plan: LayeredPlan) {
        var mapBytes: [UInt8] = []
        var coding = LayeredLayout.MapCoding.none
        var priorIdentity: UInt32 = 0
        if let map {
            let coded = try MapFrame.digital(
                frameID: frameID, name: name, map: map, classCount: classCount, coding: mapCoding, prior: prior)
            mapBytes = coded.payload.bytes
            if case .context(let identity) = coded.encoding {
                coding = .context
                priorIdentity = identity
            } else {
                coding = .zlib
            }
        }
        let codec = profile.codec
        guard
            let plan = LayeredPlan.split(
                codec, mapBytes: map == nil ? nil : mapBytes.count, budget: budget, snrDB: designSNR,
                channel: channel,
                unbudgeted: RelayRadio(channel: channel, mcsAuto: true).configuration(esN0DB: designSNR))
        else {
            throw LayeredFrameError.doesNotFit(
                "the map's \(mapBytes.count) bytes do not fit \(budget ?? 0) channel uses at \(designSNR) dB")
        }
        guard map != nil || plan.kept > 0 else {
            throw LayeredFrameError.doesNotFit(
                "not one SoftCast chunk fits \(budget ?? 0) channel uses at \(designSNR) dB with its metadata")
        }
        var metadata: [UInt8] = [], symbols: [Float] = []
        if plan.kept > 0 {
            let layer = try codec.encode(image, kept: plan.kept)
            metadata = layer.metadata.bytes()
            symbols = layer.symbols
        }
        let frame = MapFrame.layered(
            frameID: frameID, name: name, width: image.width, height: image.height, classCount: classCount,
            map: mapBytes, mapCoding: coding, mapPrior: priorIdentity, profile: profile.identity,
            mcs: plan.requestedMCS, metadata: metadata, symbols: symbols, sampleFormat: sampleFormat)
        return (frame, plan)
    }
}

/// Why a layered frame cannot be made.
public enum LayeredFrameError: Error, CustomStringConvertible {
    case doesNotFit(String)

    public var description: String {
        switch self {
        case .doesNotFit(let text): "the budget is too small: \(text); give a larger --budget"
        }
    }
}

/// What a receiver makes of a layered frame (protocol §6.4): the map when its part arrived intact, SoftCast's
/// LLSE estimate when the metadata did.
public struct LayeredReception: Sendable {
    /// The map; nil when the frame has none or the channel broke it.
    public var labels: LabelMap?
    /// The frame had a map part and the channel broke it.
    public var mapLost: Bool
    /// The layer's estimate and its expected error; nil when the frame has no layer or its metadata was broken.
    public var layer: SoftCastCodec.Estimate?
    /// The frame had a layer and the channel broke its metadata.
    public var layerLost: Bool
    /// Noise variance per real symbol the estimate assumed (from the hops' annotations).
    public var noiseVariance: Double

    /// A layered frame's parts decoded: payload CRC and sizes (a hop's damage: NACK payload-crc-mismatch), the map
    /// part against its CRC and decoded with `prior`, the metadata against its CRC and the chunks LLSE-decoded with
    /// the noise the hops report (`noiseVariance(of:)`). When every part the frame has was broken, the frame is
    /// refused as payload-crc-mismatch (the sender retransmits).
    /// - Throws: `WireError`, whose `nackReason` answers the frame: a profile or prior this peer lacks is invalid.
    public init(_ frame: MapFrame, profiles: SoftCastProfiles?, prior: MapPrior?, limits: WireLimits = .default) throws
    {
        guard case .layered(let layout) = frame.encoding else {
            throw WireError.invalidField("frame \(frame.frameID) is \(frame.encoding.kind), not layered")
        }
        let parts = try frame.layeredParts()
        noiseVariance = Self.noiseVariance(of: frame.hops)
        let hasMap = layout.mapCoding != .none
        mapLost = hasMap && !parts.mapIntact
        layerLost = layout.hasLayer && !parts.metadataIntact
        if (!hasMap || mapLost) && (!layout.hasLayer || layerLost) {
            throw WireError.payloadCRCMismatch(
                frameID: frame.frameID, stored: hasMap ? layout.mapCRC : layout.metadataCRC,
                computed: CRC32.checksum(hasMap ? parts.map : parts.metadata))
        }
        labels = nil
        if hasMap, parts.mapIntact {
            let mapFrame = MapFrame(
                frameID: frame.frameID, name: frame.name, width: frame.width, height: frame.height,
                classCount: frame.classCount,
                encoding: layout.mapCoding == .context ? .context(prior: layout.mapPrior) : .digital,
                payload: CompressedPayload(
                    uncompressedLength: frame.width * frame.height, crc32: layout.mapCRC, bytes: parts.map))
            labels = try mapFrame.decodeDigitalMap(prior: prior, limits: limits)
        }
        layer = nil
        if layout.hasLayer, parts.metadataIntact {
            layer = try Self.estimate(frame, layout: layout, parts: parts, profiles: profiles, noise: noiseVariance)
        }
    }

    private static func estimate(
        _ frame: MapFrame, layout: LayeredLayout, parts: LayeredParts, profiles: SoftCastProfiles?, noise: Double
    ) throws -> SoftCastCodec.Estimate {
        let id = SoftCastProfiles.text(identity: layout.profile)
        guard let profile = profiles?.profile(identity: layout.profile) else {
            throw WireError.invalidField(
                "frame \(frame.frameID): SoftCast profile \(id) is not known here (this peer has "
                    + ((profiles?.profiles ?? []).map { SoftCastProfiles.text(identity: $0.identity) }
                        .joined(separator: ", ").nonEmpty ?? "none") + ")")
        }
        let codec = profile.codec
        guard codec.profile.width == frame.width, codec.profile.height == frame.height else {
            throw WireError.invalidField(
                "frame \(frame.frameID): SoftCast profile \(id) is for \(codec.profile.width)x\(codec.profile.height), "
                    + "the frame is \(frame.width)x\(frame.height)")
        }
        let metadata: SoftCastMetadata
        do {
            metadata = try SoftCastMetadata(bytes: parts.metadata, maxKept: codec.profile.chunkCount)
        } catch {
            throw WireError.invalidField("frame \(frame.frameID): SoftCast metadata: \(error)")
        }
        guard metadata.kept * codec.symbolsPerChunk == parts.symbols.count else {
            throw WireError.invalidField(
                "frame \(frame.frameID): \(metadata.kept) chunks need \(metadata.kept * codec.symbolsPerChunk) "
                    + "symbols, the frame has \(parts.symbols.count)")
        }
        do {
            return try codec.decode(metadata: metadata, symbols: parts.symbols, noiseVariance: noise)
        } catch {
            throw WireError.invalidField("frame \(frame.frameID): SoftCast layer: \(error)")
        }
    }

    /// The noise variance per real symbol a layer met across `hops`, each adding its own: at Es/N0 with SoftCast's
    /// unit average power per complex use, ½·10^(−SNR/10) (GESCO's peak convention: 10^(−PSNR/10)); a fading hop
    /// counts at its measured effective SNR (the receiver is not told the fades), an ideal hop adds nothing.
    public static func noiseVariance(of hops: [HopAnnotation]) -> Double {
        hops.reduce(0) { sum, hop in
            let faded = [ChannelModelID.rayleighSNR, .rayleighPSNR, .phyRayleigh].contains(hop.channelModel)
            let setting = faded ? hop.measuredSNRDB ?? hop.snrDB : hop.snrDB
            guard hop.channelModel != .ideal, let snr = setting.map(Double.init), snr.isFinite else { return sum }
            let peak = [ChannelModelID.awgnPSNR, .rayleighPSNR].contains(hop.channelModel)
            return sum + (peak ? 1 : 0.5) * pow(10, -snr / 10)
        }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
