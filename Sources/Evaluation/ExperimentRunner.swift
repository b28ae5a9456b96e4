import ChannelModels
import Link
import Dispatch
import Foundation
import Generator
import Imaging
import Randomness
import Scenes
import SemanticWire
import Tensor

/// Runs a sweep: every image × SNR × mode through the daemons' own code paths — the sender's frame
/// (`MapFrame.analog` / `.digital`), the relay's channel (`RelayChannel`, the relay's physical layer), the
/// receiver's decision (`MapDecision.decide`: CRC check, map denoiser, and the conditioning it implies,
/// `GeneratorConditioning`) and the generator with the receiver's per-frame seed — then
/// measures the output against the sent map and the original image.
public final class ExperimentRunner {
    public let settings: EvaluationSettings
    public let generator: ImageGenerator
    public let segmenter: Segmenter
    /// Where reconstructions are written (`images/SNR/NAME.MODE.png`); nil: nowhere.
    public let imagesDirectory: String?
    /// DDIM steps and guidance actually used (the run's, or the model's defaults).
    public let steps: Int
    public let guidance: Float
    private let link: DigitalLink
    /// Outputs of the generator and segmenter by conditioning: a map received exactly (digital, or analog
    /// without errors) conditions the generator the same way at every SNR, with the same per-frame seed, so
    /// it yields the same image; it is generated once. Noisy planes are never shared.
    private var cache: [GenerationKey: Generated] = [:]

    struct GenerationKey: Hashable {
        var frameID: UInt64
        var labels: [UInt8]
    }

    struct Generated {
        var image: RGBImage
        var generatorMS: Double
    }

    public init(settings: EvaluationSettings, generator: ImageGenerator, segmenter: Segmenter, imagesDirectory: String?) {
        self.settings = settings
        self.generator = generator
        self.segmenter = segmenter
        self.imagesDirectory = imagesDirectory
        steps = settings.steps ?? generator.config.default_steps
        guidance = settings.guidance ?? Float(generator.config.default_guidance)
        link = DigitalLink(fading: settings.fading, coherence: settings.coherence)
    }


    /// What a sweep produced.
    public struct Outcome: Sendable {
        public var records: [EvaluationRecord]
        public var grids: [GridRow]
        /// The shipped segmenter on each original image (scenes with at least one cell run), in scene order.
        public var originals: [SceneScore]

        /// Mean and interval of the segmenter on the originals, as summary.json reports them.
        public var segmenterOnOriginals: [String: MeanInterval] {
            ["miou": MeanInterval(originals.map(\.meanIoU)), "pixel_acc": MeanInterval(originals.map(\.pixelAccuracy))]
        }
    }

    /// The segmenter's map of one original image against its sent map.
    public struct SceneScore: Sendable, Codable, Equatable {
        public var image: String
        public var meanIoU: Double
        public var pixelAccuracy: Double
    }

    /// Runs the sweep over `scenes`: the cells of the grid (image × SNR × mode, in that nesting order,
    /// numbered from 0) in `cells`, all of them by default; `progress` is told after every cell run.
    public func run(
        scenes: LabeledImageFolder, cells: Range<Int>? = nil, progress: ((Int, Int, String) -> Void)? = nil
    ) throws -> Outcome {
        let perScene = settings.snrs.count * settings.modes.count
        let cells = cells ?? 0..<(scenes.count * perScene)
        let total = cells.count
        var done = 0
        var records: [EvaluationRecord] = []
        var grids: [GridRow] = []
        var originals: [SceneScore] = []
        for index in 0..<scenes.count where cells.overlaps(index * perScene..<(index + 1) * perScene) {
            let scene = try scenes.load(index)
            // The models' size; scenes from `semcom scenes` already have it.
            let image = Resize.image(scene.image, width: generator.width, height: generator.height)
            let sent = Resize.nearest(scene.labels, width: generator.width, height: generator.height)
            let frameID = UInt64(index + 1)
            let own = MapAgreement(predicted: try segmenter.segment(image), reference: sent)
            originals.append(SceneScore(image: scene.name, meanIoU: own.meanIoU, pixelAccuracy: own.pixelAccuracy))
            for (snrIndex, snr) in settings.snrs.enumerated() {
                let first = (index * settings.snrs.count + snrIndex) * settings.modes.count
                guard cells.overlaps(first..<first + settings.modes.count) else { continue }
                var row = GridRow(image: scene.name, snrDB: snr, original: image, sent: Cityscapes.colorize(sent))
                for (modeIndex, mode) in settings.modes.enumerated() where cells.contains(first + modeIndex) {
                    // One relay seed per SNR and mode; the frame id selects the stream, as in the relay.
                    let relaySeed = SeededGenerator.mix(settings.seed, UInt64(snrIndex) << 8 | UInt64(modeIndex))
                    var record: EvaluationRecord
                    var output: RGBImage?
                    switch mode {
                    case .analog:
                        (record, output) = try analog(
                            scene.name, frameID: frameID, snr: snr, seed: relaySeed, sent: sent, original: image,
                            row: &row)
                    case .digital:
                        (record, output) = try digital(
                            scene.name, frameID: frameID, snr: snr, seed: relaySeed, sent: sent, original: image)
                    case .classical:
                        (record, output) = try classical(
                            scene.name, frameID: frameID, snr: snr, seed: relaySeed, sent: sent, original: image)
                    case .classicalAnalog:
                        (record, output) = try classicalAnalog(
                            scene.name, frameID: frameID, snr: snr, seed: relaySeed, sent: sent, original: image)
                    }
                    record.channelUsesPerPixel = record.channelUses / Double(image.width * image.height)
                    records.append(record)
                    row.outputs[mode] = output
                    if let output, let folder = imagesDirectory {
                        let dir = (folder as NSString).appendingPathComponent(SNRList.label(snr))
                        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                        try PNG.write(output, to: (dir as NSString).appendingPathComponent("\(scene.name).\(mode.rawValue).png"))
                    }
                    done += 1
                    progress?(done, total, "\(scene.name) \(SNRList.label(snr)) \(mode.rawValue)")
                }
                if index < settings.gridImages { grids.append(row) }
            }
        }
        return Outcome(records: records, grids: grids, originals: originals)
    }

    // MARK: - Modes

    private func analog(
        _ name: String, frameID: UInt64, snr: Double, seed: UInt64, sent: LabelMap, original: RGBImage,
        row: inout GridRow
    ) throws -> (EvaluationRecord, RGBImage?) {
        var record = EvaluationRecord(image: name, snrDB: snr, mode: .analog)
        let frame = try MapFrame.analog(frameID: frameID, name: name, map: sent, classCount: UInt8(Cityscapes.classCount))
        var clock = Stopwatch()
        let (noisy, uses) = try relayAnalog(frame, snr: snr, seed: seed)
        record.channelMS = clock.lap()
        let decision = try MapDecision.decide(noisy, denoiser: settings.denoiser)
        record.receiverMS = clock.lap()
        let header = frame.headerBits
        record.bitsOnAir = Double(header)
        record.channelUses = Double(uses + header)
        record.mapAccuracy = MapAgreement(predicted: decision.labels, reference: sent).pixelAccuracy
        // Before and after FDS, whatever the receiver's denoiser: both are the paper's measures.
        if let symbols = decision.receivedSymbols {
            let raw = symbols.hardDecision(width: sent.width, height: sent.height)
            let denoised = symbols.filteredByFDS().hardDecision(width: sent.width, height: sent.height)
            record.mapAccuracyRaw = MapAgreement(predicted: raw, reference: sent).pixelAccuracy
            record.mapAccuracyFDS = MapAgreement(predicted: denoised, reference: sent).pixelAccuracy
            row.received = Cityscapes.colorize(raw)
            row.decided = Cityscapes.colorize(decision.labels)
        }
        let image = try generate(decision.conditioning, frameID: frameID, record: &record)
        try measure(image, sent: sent, original: original, record: &record)
        return (record, image)
    }

    private func digital(
        _ name: String, frameID: UInt64, snr: Double, seed: UInt64, sent: LabelMap, original: RGBImage
    ) throws -> (EvaluationRecord, RGBImage?) {
        var record = EvaluationRecord(image: name, snrDB: snr, mode: .digital)
        let frame = try MapFrame.digital(frameID: frameID, name: name, map: sent, classCount: UInt8(Cityscapes.classCount))
        let relay = try RelayChannel(setting: .esN0(dB: snr), seed: seed, radio: link.radio)
        var clock = Stopwatch()
        var delivered: (MapFrame, MapDecision.Decision)?
        for attempt in 0...settings.maxRetries {
            var copy = frame
            copy.attempt = UInt16(attempt)
            // The relay's physical layer; its noise for this attempt comes from its hop seed and the frame id.
            let outcome = try relay.apply(to: copy)
            record.attempts = attempt + 1
            if let phy = outcome.physicalLayer { record.scheme = "\(phy.modulation) \(phy.code)" }
            record.bitsOnAir += Double(outcome.hop.bitsOnAir)
            record.channelUses += Double(outcome.hop.channelUses)
            record.channelMS += clock.lap()
            // The receiver: CRC check and decoding; a failure is a NACK and the sender retransmits.
            // As the real sender: a retryable NACK (CRC, corrupt payload) is retransmitted, NACK invalid is not.
            var retryable = true
            let decision: MapDecision.Decision?
            do {
                decision = try MapDecision.decide(outcome.frame, denoiser: settings.denoiser)
            } catch let error as WireError {
                decision = nil
                retryable = error.nackReason.isRetryable
            }
            record.receiverMS += clock.lap()
            if let decision {
                delivered = (outcome.frame, decision)
                break
            }
            if !retryable { break }
        }
        guard let (received, decision) = delivered else {
            record.markLost()
            record.mapAccuracyRaw = 0
            record.mapAccuracy = 0
            return (record, nil)
        }
        record.mapAccuracyRaw = MapAgreement(predicted: decision.labels, reference: sent).pixelAccuracy
        record.mapAccuracy = record.mapAccuracyRaw
        let image = try generate(decision.conditioning, frameID: frameID, record: &record)
        try measure(image, sent: sent, original: original, record: &record)
        return (record, image)
    }

    private func classical(
        _ name: String, frameID: UInt64, snr: Double, seed: UInt64, sent: LabelMap, original: RGBImage
    ) throws -> (EvaluationRecord, RGBImage?) {
        var record = EvaluationRecord(image: name, snrDB: snr, mode: .classical)
        let jpeg = try JPEG.encode(original, quality: settings.jpegQuality)
        // The JPEG travels in a frame like a map: the same header size as a digital map frame of this image.
        let header = try MapFrame.digital(
            frameID: frameID, name: name, map: sent, classCount: UInt8(Cityscapes.classCount)).headerBits
        var clock = Stopwatch()
        var image: RGBImage?
        for attempt in 0...settings.maxRetries {
            let hopSeed = RelayChannel.hopSeed(seed, attempt: attempt)
            var rng = SeededGenerator(seed: hopSeed, stream: frameID)
            let sentOnAir = link.transmit(jpeg, esN0DB: snr, headerBits: header, using: &rng)
            record.attempts = attempt + 1
            record.scheme = sentOnAir.scheme
            record.bitsOnAir += Double(sentOnAir.bitsOnAir)
            record.channelUses += Double(sentOnAir.channelUses)
            record.channelMS += clock.lap()
            // The receiver accepts a frame whose every block passed its CRC, and decodes it.
            if !sentOnAir.corrupt, let decoded = try? JPEG.decode(sentOnAir.bytes) {
                image = decoded
            }
            record.receiverMS += clock.lap()
            if image != nil { break }
        }
        guard let image else {
            record.markLost()
            return (record, nil)
        }
        try measure(image, sent: sent, original: original, record: &record)
        return (record, image)
    }

    private func classicalAnalog(
        _ name: String, frameID: UInt64, snr: Double, seed: UInt64, sent: LabelMap, original: RGBImage
    ) throws -> (EvaluationRecord, RGBImage?) {
        var record = EvaluationRecord(image: name, snrDB: snr, mode: .classicalAnalog)
        var clock = Stopwatch()
        var symbols = original.pixels.map { Float($0) / 255 }
        var rng = SeededGenerator(seed: seed, stream: frameID)
        record.channelUses = Double(analogChannel(snr: snr).apply(&symbols, using: &rng))
        record.channelMS = clock.lap()
        let pixels = symbols.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let image = RGBImage(width: original.width, height: original.height, pixels: pixels)
        record.receiverMS = clock.lap()
        try measure(image, sent: sent, original: original, record: &record)
        return (record, image)
    }

    // MARK: - Stages

    /// The relay's channel on an analog frame (AWGN in the sweep's convention, Rayleigh block fading when the
    /// radio has it). Returns the frame as forwarded and the complex channel uses.
    private func relayAnalog(_ frame: MapFrame, snr: Double, seed: UInt64) throws -> (MapFrame, Int) {
        let setting: RelayChannel.Setting = settings.convention == .psnr ? .psnr(dB: snr) : .esN0(dB: snr)
        let outcome = try RelayChannel(setting: setting, seed: seed, radio: link.radio).apply(to: frame)
        return (outcome.frame, Int(outcome.hop.channelUses))
    }

    /// The analog channel at `snr`: AWGN in the sweep's convention, with Rayleigh block fading (MMSE, perfect
    /// CSI) when asked.
    private func analogChannel(snr: Double) -> AnalogLink {
        AnalogLink(
            noise: settings.convention.analogNoise(snr),
            fading: settings.fading
                ? RadioChannel(fading: .rayleighBlock(coherence: settings.coherence), equalizer: .mmse, csi: .perfect)
                : nil)
    }

    /// The receiver's generation: the decision's conditioning, its per-frame seed, the run's steps and guidance.
    private func generate(_ input: GeneratorConditioning, frameID: UInt64, record: inout EvaluationRecord) throws
        -> RGBImage
    {
        let seed = SeededGenerator.mix(settings.seed, frameID)
        var clock = Stopwatch()
        var key: GenerationKey?
        if case .labels(let labels) = input {
            key = GenerationKey(frameID: frameID, labels: labels.ids)
            if let hit = cache[key!] {
                record.generatorMS = hit.generatorMS
                return hit.image
            }
        }
        let image = try generator.generate(input, seed: seed, steps: steps, guidance: guidance)
        record.generatorMS = clock.lap()
        if let key { cache[key] = Generated(image: image, generatorMS: record.generatorMS) }
        return image
    }

    /// Re-segmentation mIoU and accuracy against the sent map, PSNR and SSIM against the original.
    private func measure(_ image: RGBImage, sent: LabelMap, original: RGBImage, record: inout EvaluationRecord) throws {
        var clock = Stopwatch()
        let agreement = MapAgreement(predicted: try segmenter.segment(image), reference: sent)
        record.segmenterMS = clock.lap()
        record.meanIoU = agreement.meanIoU
        record.pixelAccuracy = agreement.pixelAccuracy
        record.psnrDB = ImageQuality.psnr(image, original)
        record.ssim = ImageQuality.ssim(image, original)
    }

}

/// Wall-clock laps in milliseconds.
struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e6
    }
}
