import ChannelModels
import Checksums
import Foundation
import Imaging
import Link
import Scenes
import SemanticWire
import SoftCast
import Testing

/// Layered frames (protocol §6.4) through the sender's split, the relay's channel and the receiver's reception.
@Suite struct LayeredFrameTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let profiles = Result { try SoftCastProfiles(folder: root.appendingPathComponent("models/softcast").path) }

    /// A held-out street scene (seed 7) of 64x128: image and map.
    static func scene(_ index: Int = 0) -> (image: RGBImage, map: LabelMap) {
        let scene = StreetSceneGenerator(width: 128, height: 64).scene(seed: 7, index: index)
        return (scene.image, scene.labels)
    }

    static func hybrid(budget: Double = 1.0 / 6, snr: Double = 10, map: Bool = true) throws -> (MapFrame, LayeredPlan) {
        let (image, labels) = scene()
        let profile = try #require(try profiles.get().profile(width: 128, height: 64))
        return try MapFrame.layered(
            frameID: 7, name: "s", image: image, map: map ? labels : nil, classCount: 19, profile: profile,
            budget: ChannelLedger.budget(rho: budget, pixels: 128 * 64), designSNR: snr, prior: nil)
    }

    @Test func profilesAreNamedByTheirFilesCRC() throws {
        let profiles = try Self.profiles.get()
        let profile = try #require(profiles.profile(width: 128, height: 64))
        let data = try #require(FileManager.default.contents(atPath: profile.path))
        #expect(profile.identity == CRC32.checksum([UInt8](data)))
        #expect(profiles.profile(identity: profile.identity)?.path == profile.path)
        #expect("\(profiles)".contains("64x128=0x"))
    }

    @Test(arguments: [(1.0 / 6, 10.0), (1.0 / 12, 5.0), (1.0 / 12, 10.0)])
    func relayedFrameSpendsNoMoreThanItsBudget(rho: Double, snr: Double) throws {
        let (frame, plan) = try Self.hybrid(budget: rho, snr: snr)
        #expect(plan.kept > 0)
        let relay = try RelayChannel(setting: .esN0(dB: snr), seed: 3, radio: RelayRadio(mcsAuto: true))
        let outcome = try relay.apply(to: frame)
        #expect(outcome.ledger.payloadChannelUses <= ChannelLedger.budget(rho: rho, pixels: 128 * 64))
        #expect(outcome.hop.mode == .layered && outcome.hop.channelModel == .phyAWGN)
        #expect(outcome.physicalLayer == plan.configuration, "the relay runs the MCS the frame names")
        // Through the wire and back: a relay's output is a valid frame.
        let bytes = try WireMessage.mapFrame(outcome.frame).encodedBytes()
        #expect(try WireMessage.decode(bytes: bytes) == .mapFrame(outcome.frame))
    }

    @Test func receptionAtHighSNRIsTheLayersEstimateAndTheExactMap() throws {
        let (frame, plan) = try Self.hybrid()
        let relay = try RelayChannel(setting: .esN0(dB: 30), seed: 1, radio: RelayRadio())
        let received = try relay.apply(to: frame).frame
        let reception = try LayeredReception(received, profiles: try Self.profiles.get(), prior: nil)
        #expect(reception.labels == Self.scene().map && !reception.mapLost && !reception.layerLost)
        #expect(reception.noiseVariance == 0.5 * pow(10, -3.0))
        let layer = try #require(reception.layer)
        let codec = try #require(try Self.profiles.get().profile(width: 128, height: 64)).codec
        // The estimate's expected error is what the codec predicts for these chunks at this noise.
        #expect(layer.expectedMSE > 0)
        #expect(plan.kept <= codec.profile.chunkCount)
    }

    /// Parts broken as a hop leaves them: bytes flipped, the sender's CRCs kept.
    static func breaking(_ frame: MapFrame, map: Bool, metadata: Bool) throws -> MapFrame {
        var parts = try frame.layeredParts()
        if map { parts.map[0] ^= 1 }
        if metadata { parts.metadata[0] ^= 1 }
        return try frame.replacingLayeredParts(map: parts.map, metadata: parts.metadata, symbols: parts.symbols)
    }

    @Test func aBrokenPartLeavesTheOther() throws {
        let (frame, _) = try Self.hybrid()
        let profiles = try Self.profiles.get()
        let mapLost = try LayeredReception(
            try Self.breaking(frame, map: true, metadata: false), profiles: profiles, prior: nil)
        #expect(mapLost.mapLost && mapLost.labels == nil && mapLost.layer != nil)
        let layerLost = try LayeredReception(
            try Self.breaking(frame, map: false, metadata: true), profiles: profiles, prior: nil)
        #expect(layerLost.layerLost && layerLost.layer == nil && layerLost.labels == Self.scene().map)
        // Every part broken: the frame is refused as the channel's damage, so the sender retransmits.
        let error = #expect(throws: WireError.self) {
            try LayeredReception(try Self.breaking(frame, map: true, metadata: true), profiles: profiles, prior: nil)
        }
        #expect(error?.nackReason == .payloadCRCMismatch)
        // The receiver's decision stores no map for a frame whose map was lost.
        let decision = try MapDecision.decide(
            try Self.breaking(frame, map: true, metadata: false), softCast: profiles)
        #expect(!decision.hasMap && decision.layered?.layer != nil)
    }

    @Test func softCastAloneAndBudgetsThatDoNotFit() throws {
        let (frame, plan) = try Self.hybrid(map: false)
        guard case .layered(let layout) = frame.encoding else {
            Issue.record("not layered")
            return
        }
        #expect(layout.mapCoding == .none && layout.mapLength == 0 && plan.kept > 0)
        #expect(throws: LayeredFrameError.self) { try Self.hybrid(budget: 1.0 / 1000, snr: 10) }
        // Below every MCS threshold nothing is reliable: no split.
        #expect(throws: LayeredFrameError.self) { try Self.hybrid(budget: 1.0 / 6, snr: -30) }
    }

    @Test func frameRulesRefuseInconsistentLayouts() throws {
        let (frame, _) = try Self.hybrid()
        guard case .layered(var layout) = frame.encoding else { return }
        var broken = frame
        layout.symbolCount += 1
        broken.encoding = .layered(layout)
        #expect(throws: WireError.self) { try broken.validate() }
        layout.symbolCount -= 1
        layout.mapPrior = 5  // a zlib map names no prior
        layout.mapCoding = .zlib
        broken.encoding = .layered(layout)
        #expect(throws: WireError.self) { try broken.validate() }
        // An MCS the physical layer does not run is refused at the hop (NACK invalid).
        guard case .layered(var odd) = frame.encoding else { return }
        odd.mcs = RequestedMCS(modulation: .qam256, code: .uncoded)
        var unrunnable = frame
        unrunnable.encoding = .layered(odd)
        let relay = try RelayChannel(setting: .esN0(dB: 10), seed: 1, radio: RelayRadio())
        let error = #expect(throws: WireError.self) { try relay.apply(to: unrunnable) }
        #expect(error?.nackReason == .invalid)
    }
}
