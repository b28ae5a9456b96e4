import ChannelModels
import Imaging
import Scenes
import SemanticWire
import Testing

@testable import Evaluation
@testable import Link

/// The receiver's default map decision (Potts with each fading block's channel fitted) against GESCO's FDS
/// on analog frames that crossed the relay's Rayleigh block fading: 20 generated scenes, the whole sweep
/// −10…25 dB Es/N0, the relay's real channel and the receiver's real decision.
@Suite("Map decisions under Rayleigh block fading")
struct FadingDecisionTests {
    static let scenes: [Scene] = (0..<20).map { StreetSceneGenerator().scene(seed: 29, index: $0) }

    /// Mean pixel accuracy over the scenes of (default decision, FDS), one frame per scene.
    static func accuracies(snrDB: Double, radio: RadioChannel, scenes: [Scene] = scenes) throws -> (
        potts: Double, fds: Double
    ) {
        var potts = 0.0, fds = 0.0
        for (index, scene) in scenes.enumerated() {
            let frame = try MapFrame.analog(
                frameID: UInt64(index + 1), name: scene.name, map: scene.labels,
                classCount: UInt8(Cityscapes.classCount))
            let relay = try RelayChannel(
                setting: .esN0(dB: snrDB), seed: 3, radio: RelayRadio(channel: radio))
            let noisy = try relay.apply(to: frame).frame
            let decision = try MapDecision.decide(noisy, denoiser: .potts)
            let fdsLabels = decision.receivedSymbols!.filteredByFDS()
                .hardDecision(width: scene.labels.width, height: scene.labels.height)
            potts += MapAgreement(predicted: decision.labels, reference: scene.labels).pixelAccuracy
            fds += MapAgreement(predicted: fdsLabels, reference: scene.labels).pixelAccuracy
        }
        return (potts / Double(scenes.count), fds / Double(scenes.count))
    }

    /// The sweep of `semcom eval --channel rayleigh` (MMSE, perfect CSI, coherence 128).
    @Test(arguments: [-10.0, -5, 0, 5, 10, 15, 20, 25])
    func pottsDecidesAtLeastAsWellAsFDSWithMMSE(snrDB: Double) throws {
        let (potts, fds) = try Self.accuracies(
            snrDB: snrDB, radio: RadioChannel(fading: .rayleighBlock(coherence: 128), equalizer: .mmse, csi: .perfect))
        print(String(format: "rayleigh mmse %5.1f dB: potts %.4f  fds %.4f", snrDB, potts, fds))
        #expect(potts >= fds, "at \(snrDB) dB: Potts \(potts), FDS \(fds)")
    }

    /// The other equalisers and pilot CSI a relay may use (fewer scenes: the fit picks the family).
    @Test(arguments: [Equalizer.zf, .mmse], [ChannelStateInformation.perfect, .pilots(count: 4)])
    func pottsDecidesAtLeastAsWellAsFDSWithOtherEqualisers(equalizer: Equalizer, csi: ChannelStateInformation) throws {
        for snrDB in [0.0, 10, 20] {
            let (potts, fds) = try Self.accuracies(
                snrDB: snrDB,
                radio: RadioChannel(fading: .rayleighBlock(coherence: 64), equalizer: equalizer, csi: csi),
                scenes: Array(Self.scenes.prefix(8)))
            print(String(format: "rayleigh \(equalizer) \(csi) %5.1f dB: potts %.4f  fds %.4f", snrDB, potts, fds))
            #expect(potts >= fds, "\(equalizer) \(csi) at \(snrDB) dB: Potts \(potts), FDS \(fds)")
        }
    }
}

/// The block length the receiver reads off a frame's hops.
@Suite("Fading block length from the hop annotations")
struct FadingBlockLengthTests {
    static func hop(coherence: UInt32, channelUses: UInt64) -> HopAnnotation {
        HopAnnotation(
            channelModel: .rayleighSNR, mode: .analog, snrDB: 5, channelUses: channelUses,
            fadingBlockLength: coherence)
    }

    @Test func pilotsAreRecoveredFromTheChannelUses() {
        let symbols = 19 * 64 * 128
        for pilots in [0, 1, 4, 10] {
            let uses = RadioChannel(
                fading: .rayleighBlock(coherence: 64), csi: pilots == 0 ? .perfect : .pilots(count: pilots)
            )
            .channelUses(dataSymbols: (symbols + 1) / 2)
            #expect(
                MapDecision.fadingBlockSymbols(
                    [Self.hop(coherence: 64, channelUses: UInt64(uses))], symbolCount: symbols)
                    == 2 * (64 - pilots))
        }
    }

    /// Blocks shorter than `FadingEstimate.minimumBlockLength` are not fitted: one σ for the frame.
    @Test func tinyBlocksFallBackToOneSigma() throws {
        let scene = FadingDecisionTests.scenes[0]
        var frame = try MapFrame.analog(
            frameID: 1, name: "tiny", map: scene.labels, classCount: UInt8(Cityscapes.classCount))
        let planes = try frame.decodeAnalogSymbols().planes
        frame.hops.append(Self.hop(coherence: 8, channelUses: UInt64((planes.values.count + 1) / 2)))
        #expect(MapDecision.symbolNoise(frame, planes: planes, noiseStd: 0.1) == .uniform(std: 0.1))
        frame.hops[0] = Self.hop(coherence: 64, channelUses: UInt64((planes.values.count + 1) / 2))
        guard case .fading(let fit) = MapDecision.symbolNoise(frame, planes: planes, noiseStd: 0.1) else {
            Issue.record("a 64-use coherence block is fitted")
            return
        }
        #expect(fit.blockLength == 128)
    }

    @Test func noFadingHopMeansNoBlocksAndHostileHopsStayCheap() {
        #expect(MapDecision.fadingBlockSymbols([], symbolCount: 100) == nil)
        let awgn = HopAnnotation(channelModel: .awgnSNR, mode: .analog, snrDB: 5, channelUses: 50)
        #expect(MapDecision.fadingBlockSymbols([awgn], symbolCount: 100) == nil)
        // Nonsense from the wire: a huge block and channel-use count end in a bounded search.
        let hostile = Self.hop(coherence: .max, channelUses: .max)
        #expect(MapDecision.fadingBlockSymbols([hostile], symbolCount: 100) == 2 * Int(UInt32.max))
        // Two fading hops: the finer blocks.
        let hops = [Self.hop(coherence: 128, channelUses: 50), Self.hop(coherence: 32, channelUses: 50)]
        #expect(MapDecision.fadingBlockSymbols(hops, symbolCount: 100) == 64)
    }
}
