import ChannelModels
import Dispatch
import Foundation
import Generator
import ImageCodecs
import Imaging
import Link
import MapCoding
import Randomness
import Scenes
import SemanticWire
import SoftCast
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
    /// The sampler, steps and guidance actually used (the run's, or the model's defaults).
    public let sampler: ImageGenerator.Method
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

    /// The map coder's prior for `digital-context` (nil: uniform starting counts).
    public let mapPrior: MapPrior?
    /// SoftCast codecs by image size (`HxW`), their profiles read once from `models/softcast`.
    private let softCastCodecs = SoftCastCodecs()

    public init(
        settings: EvaluationSettings, generator: ImageGenerator, segmenter: Segmenter, imagesDirectory: String?,
        mapPrior: MapPrior? = nil
    ) {
        self.settings = settings
        self.mapPrior = mapPrior
        self.generator = generator
        self.segmenter = segmenter
        self.imagesDirectory = imagesDirectory
        sampler = settings.sampler ?? generator.defaultMethod
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

    /// The grid's cells: image × budget × SNR × channel seed × mode, in that nesting order, numbered from 0.
    public struct Grid: Sendable {
        public var images: Int
        public var budgets: Int
        public var snrs: Int
        public var seeds: Int
        public var modes: Int

        public var perImage: Int { budgets * snrs * seeds * modes }
        public var count: Int { images * perImage }

        /// The cell number of (image, budget, snr, seed, mode).
        public func index(_ image: Int, _ budget: Int, _ snr: Int, _ seed: Int, _ mode: Int) -> Int {
            (((image * budgets + budget) * snrs + snr) * seeds + seed) * modes + mode
        }
    }

    /// The grid of a sweep over `images` scenes.
    public func grid(images: Int) -> Grid {
        Grid(
            images: images, budgets: settings.budgets.count, snrs: settings.snrs.count, seeds: settings.channelSeeds,
            modes: settings.modes.count)
    }

    /// Runs the sweep over `scenes`: the cells of the grid in `cells`, all of them by default. `finished`
    /// holds cells computed by an earlier run (resume): they are not run again. `completed` is told every
    /// cell's records as soon as the cell is done (the resume file), `progress` after every cell.
    public func run(
        scenes: LabeledImageFolder, cells: Range<Int>? = nil, finished: [Int: [EvaluationRecord]] = [:],
        completed: ((Int, [EvaluationRecord]) throws -> Void)? = nil,
        progress: ((_ done: Int, _ total: Int, _ detail: String, _ resumed: Bool) -> Void)? = nil
    ) throws -> Outcome {
        let grid = grid(images: scenes.count)
        let cells = cells ?? 0..<grid.count
        let total = cells.count
        var done = 0
        var records: [EvaluationRecord] = []
        var grids: [GridRow] = []
        var originals: [SceneScore] = []
        for index in 0..<scenes.count where cells.overlaps(index * grid.perImage..<(index + 1) * grid.perImage) {
            let scene = try scenes.load(index)
            // The caches hold one scene's streams, outputs and scores: a long sweep's memory stays flat.
            cache.removeAll()
            fits.removeAll()
            measured.removeAll()
            // The models' size; scenes from `semcom scenes` already have it.
            let image = Resize.image(scene.image, width: generator.width, height: generator.height)
            let sent = Resize.nearest(scene.labels, width: generator.width, height: generator.height)
            let source = Source(index: index, name: scene.name, image: image, sent: sent)
            let own = MapAgreement(predicted: try segmenter.segment(image), reference: sent)
            originals.append(SceneScore(image: scene.name, meanIoU: own.meanIoU, pixelAccuracy: own.pixelAccuracy))
            for (budgetIndex, budget) in settings.budgets.enumerated() {
                for (snrIndex, snr) in settings.snrs.enumerated() {
                    let first = grid.index(index, budgetIndex, snrIndex, 0, 0)
                    guard cells.overlaps(first..<first + grid.seeds * grid.modes) else { continue }
                    var row = GridRow(image: scene.name, snrDB: snr, original: image, sent: Cityscapes.colorize(sent))
                    row.budget = budget.label
                    for seedIndex in 0..<settings.channelSeeds {
                        for (modeIndex, mode) in settings.modes.enumerated() {
                            let cell = grid.index(index, budgetIndex, snrIndex, seedIndex, modeIndex)
                            guard cells.contains(cell) else { continue }
                            let imagePath = imagesDirectory.map {
                                [$0, budget.fileLabel, SNRList.label(snr), "\(scene.name).\(mode.rawValue).png"]
                                    .joined(separator: "/")
                            }
                            var cellRecords: [EvaluationRecord]
                            // The analog receiver's maps beside its output, so a resumed grid shows them too.
                            let mapPaths = imagePath.map { path in
                                (
                                    received: path.replacingOccurrences(
                                        of: ".analog.png", with: ".analog-received.png"),
                                    decided: path.replacingOccurrences(of: ".analog.png", with: ".analog-decided.png")
                                )
                            }
                            if let resumed = finished[cell] {
                                cellRecords = resumed
                                if seedIndex == 0, let imagePath, let shown = try? PNG.readRGB(path: imagePath) {
                                    row.outputs[mode] = shown
                                }
                                if seedIndex == 0, mode == .analog, let mapPaths {
                                    row.received = try? PNG.readRGB(path: mapPaths.received)
                                    row.decided = try? PNG.readRGB(path: mapPaths.decided)
                                }
                            } else {
                                let context = CellContext(
                                    budget: budget, snr: snr, seedIndex: seedIndex,
                                    // One relay seed per budget, SNR, channel seed and mode; the frame id selects
                                    // the stream, as in the relay. Budget 0 and seed 0 keep the seeds of the
                                    // sweep before budgets.
                                    relaySeed: SeededGenerator.mix(
                                        settings.seed,
                                        UInt64(budgetIndex) << 48 | UInt64(seedIndex) << 32 | UInt64(snrIndex) << 8
                                            | UInt64(modeIndex)))
                                var scratch = row
                                let result =
                                    seedIndex == 0
                                    ? try run(mode, source, context, row: &row)
                                    : try run(mode, source, context, row: &scratch)
                                cellRecords = result.records
                                if seedIndex == 0, let shown = result.shown {
                                    row.outputs[mode] = shown
                                    if let imagePath {
                                        let folder = (imagePath as NSString).deletingLastPathComponent
                                        try FileManager.default.createDirectory(
                                            atPath: folder, withIntermediateDirectories: true)
                                        try PNG.write(shown, to: imagePath)
                                        if mode == .analog, let mapPaths, let received = row.received,
                                            let decided = row.decided
                                        {
                                            try PNG.write(received, to: mapPaths.received)
                                            try PNG.write(decided, to: mapPaths.decided)
                                        }
                                    }
                                }
                                try completed?(cell, cellRecords)
                            }
                            records += cellRecords
                            done += 1
                            progress?(
                                done, total, "\(scene.name) \(budget) \(SNRList.label(snr)) \(mode.rawValue)",
                                finished[cell] != nil)
                        }
                    }
                    if index < settings.gridImages { grids.append(row) }
                }
            }
        }
        return Outcome(records: records, grids: grids, originals: originals)
    }

    /// One scene as the sweep sends it.
    struct Source {
        var index: Int
        var name: String
        var image: RGBImage
        var sent: LabelMap
        var frameID: UInt64 { UInt64(index + 1) }
        var pixels: Int { image.width * image.height }
    }

    /// Where a cell sits: its budget, SNR, channel seed and relay seed.
    struct CellContext {
        var budget: ChannelBudget
        var snr: Double
        var seedIndex: Int
        var relaySeed: UInt64
    }

    /// What one cell produced: its rows (several for a mode swept over MCSs) and the output shown in grids.
    struct CellResult {
        var records: [EvaluationRecord]
        var shown: RGBImage?
    }

    private func run(_ mode: TransmissionMode, _ source: Source, _ context: CellContext, row: inout GridRow) throws
        -> CellResult
    {
        let budget = context.budget.rho.map { ChannelLedger.budget(rho: $0, pixels: source.pixels) }
        var result: CellResult
        switch mode {
        case .analog: result = try analog(source, context, budget: budget, row: &row)
        case .digital, .digitalContext: result = try digital(mode, source, context, budget: budget)
        case .classicalAnalog: result = try classicalAnalog(source, context, budget: budget)
        case .softcast: result = try softcast(source, context, budget: budget)
        case .hybrid: result = try hybrid(source, context, budget: budget)
        case .separationBound: result = try separationBound(source, context, budget: budget)
        case .jpeg, .jpeg444, .jpeg2000, .webp, .avif, .hevc:
            result = try codec(mode, source, context, budget: budget)
        }
        for i in result.records.indices {
            result.records[i].budget = context.budget.label
            result.records[i].budgetRho = context.budget.rho ?? .nan
            result.records[i].seed = context.seedIndex
        }
        return result
    }

    // MARK: - Modes

    private func analog(_ source: Source, _ context: CellContext, budget: Int?, row: inout GridRow) throws -> CellResult
    {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .analog)
        let classes = UInt8(Cityscapes.classCount)
        // The smallest downsample whose symbols fit (two real symbols per complex channel use).
        let factor = try AnalogLayout.factors.first { factor in
            guard let budget else { return true }
            let symbols = try AnalogPayload.symbols(for: source.sent, classCount: classes, downsample: factor).values
            return (symbols.count + 1) / 2 <= budget
        }
        guard let factor else {
            record.fits = false
            record.scheme = "does not fit at downsample \(AnalogLayout.factors.last!)"
            return try fallbackResult(record, source)
        }
        let frame = try MapFrame.analog(
            frameID: source.frameID, name: source.name, map: source.sent, classCount: classes, downsample: factor)
        record.scheme = "analog, downsample \(factor)"
        var clock = Stopwatch()
        let outcome = try relayAnalog(frame, snr: context.snr, seed: context.relaySeed)
        record.channelMS = clock.lap()
        record.book(outcome.ledger)
        let decision = try MapDecision.decide(outcome.frame, denoiser: settings.denoiser)
        record.receiverMS = clock.lap()
        record.mapAccuracy = MapAgreement(predicted: decision.labels, reference: source.sent).pixelAccuracy
        // Before and after FDS, whatever the receiver's denoiser: both are the paper's measures.
        if let symbols = decision.receivedSymbols {
            let (w, h) = (source.sent.width, source.sent.height)
            let raw = symbols.hardDecision(width: w, height: h)
            let denoised = symbols.filteredByFDS().hardDecision(width: w, height: h)
            record.mapAccuracyRaw = MapAgreement(predicted: raw, reference: source.sent).pixelAccuracy
            record.mapAccuracyFDS = MapAgreement(predicted: denoised, reference: source.sent).pixelAccuracy
            row.received = Cityscapes.colorize(raw)
            row.decided = Cityscapes.colorize(decision.labels)
        }
        let image = try generate(decision.conditioning, frameID: source.frameID, record: &record)
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    private func digital(_ mode: TransmissionMode, _ source: Source, _ context: CellContext, budget: Int?) throws
        -> CellResult
    {
        let frame = try MapFrame.digital(
            frameID: source.frameID, name: source.name, map: source.sent, classCount: UInt8(Cityscapes.classCount),
            coding: mode == .digitalContext ? .context : .zlib, prior: mapPrior)
        guard let budget else {
            return try digitalMap(mode, frame, source, context, radio: link.radio, attempts: settings.maxRetries + 1)
        }
        // Under a budget: one transmission per MCS (a retransmission would exceed it), every MCS its own row.
        return try perMCS(mode, source, context, budget: budget) { entry, _, maxBytes in
            guard let maxBytes, frame.payload.bytes.count <= maxBytes else { return nil }
            let radio = RelayRadio(
                modulation: entry.modulation, code: entry.code, channel: link.radio.channel, mcsAuto: false)
            return try digitalMap(mode, frame, source, context, radio: radio, attempts: 1)
        }
    }

    /// A scheme swept over the MCSs a budget allows: `send` runs it at one MCS given the most payload bytes
    /// that MCS carries in the budget (nil: not even one), or returns nil when the scheme does not fit; that
    /// MCS's row is then the fallback image.
    private func perMCS(
        _ mode: TransmissionMode, _ source: Source, _ context: CellContext, budget: Int,
        send: (MCSEntry, PhysicalLayerConfiguration, Int?) throws -> CellResult?
    ) throws -> CellResult {
        var records: [EvaluationRecord] = []
        var shown: [String: RGBImage] = [:]
        let candidates = candidates(budget)
        for candidate in candidates {
            let entry = candidate.entry, configuration = link.configuration(entry)
            if let result = try send(entry, configuration, candidate.maxBytes) {
                records += result.records
                shown[entry.description] = result.shown
            } else {
                var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: mode)
                record.fits = false
                record.mcs = entry.description
                record.scheme = entry.description
                records += try fallbackResult(record, source).records
            }
        }
        return CellResult(
            records: records,
            shown: shownOutput(shown, candidates: candidates.map(\.entry), snr: context.snr, source: source))
    }

    /// The MCSs tried at a budget, computed once per budget.
    private var candidateCache: [Int: [DigitalLink.Candidate]] = [:]

    private func candidates(_ budget: Int) -> [DigitalLink.Candidate] {
        if let hit = candidateCache[budget] { return hit }
        let found = link.candidates(channelUses: budget)
        candidateCache[budget] = found
        return found
    }

    /// The digital map frame over `radio`'s physical layer, with up to `attempts` transmissions.
    private func digitalMap(
        _ mode: TransmissionMode, _ frame: MapFrame, _ source: Source, _ context: CellContext, radio: RelayRadio,
        attempts: Int
    ) throws -> CellResult {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: mode)
        let relay = try RelayChannel(setting: .esN0(dB: context.snr), seed: context.relaySeed, radio: radio)
        var clock = Stopwatch()
        var delivered: MapDecision.Decision?
        var ledger: ChannelLedger?
        for attempt in 0..<attempts {
            var copy = frame
            copy.attempt = UInt16(attempt)
            // The relay's physical layer; its noise for this attempt comes from its hop seed and the frame id.
            let outcome = try relay.apply(to: copy)
            ledger = ledger.map { $0.adding(retransmission: outcome.ledger) } ?? outcome.ledger
            if let phy = outcome.physicalLayer { record.scheme = "\(phy.modulation) \(phy.code)" }
            record.channelMS += clock.lap()
            // The receiver: CRC check and decoding; a failure is a NACK and the sender retransmits.
            // As the real sender: a retryable NACK (CRC, corrupt payload) is retransmitted, NACK invalid is not.
            var retryable = true
            do {
                delivered = try MapDecision.decide(outcome.frame, denoiser: settings.denoiser, mapPrior: mapPrior)
            } catch let error as WireError {
                retryable = error.nackReason.isRetryable
            }
            record.receiverMS += clock.lap()
            if delivered != nil || !retryable { break }
        }
        if let ledger { record.book(ledger) }
        guard let decision = delivered else {
            record.lost = true
            record.mapAccuracyRaw = 0
            record.mapAccuracy = 0
            return try fallbackResult(record, source)
        }
        record.mapAccuracyRaw = MapAgreement(predicted: decision.labels, reference: source.sent).pixelAccuracy
        record.mapAccuracy = record.mapAccuracyRaw
        let image = try generate(decision.conditioning, frameID: source.frameID, record: &record)
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    private func codec(_ mode: TransmissionMode, _ source: Source, _ context: CellContext, budget: Int?) throws
        -> CellResult
    {
        let codec = mode.codec!
        let header = try MapFrame.digital(
            frameID: source.frameID, name: source.name, map: source.sent, classCount: UInt8(Cityscapes.classCount)
        ).headerBits
        guard let budget else {
            // No budget: JPEG at --jpeg-quality; every other codec at the best quality within JPEG's size
            // (the same bytes for every codec), over --mcs auto with retransmissions.
            let jpegSize = try fitted(.jpeg, source, maxBytes: nil).bytes.count
            guard let stream = try fittedIfAny(mode, source, maxBytes: mode == .jpeg ? nil : jpegSize) else {
                // Even the codec's lowest quality is larger than JPEG's stream: not sent, scored as the fallback.
                var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: mode)
                record.fits = false
                record.scheme = "no quality within JPEG's \(jpegSize) bytes"
                return try fallbackResult(record, source)
            }
            return try sendStream(
                stream, codec: codec, mode: mode, source, context, configuration: nil, headerBits: header,
                attempts: settings.maxRetries + 1)
        }
        return try perMCS(mode, source, context, budget: budget) { _, configuration, maxBytes in
            guard let maxBytes, let stream = try fittedIfAny(mode, source, maxBytes: maxBytes) else { return nil }
            return try sendStream(
                stream, codec: codec, mode: mode, source, context, configuration: configuration, headerBits: header,
                attempts: 1)
        }
    }

    /// A codec's stream across the physical layer (`configuration`, or --mcs auto when nil), decoded.
    private func sendStream(
        _ stream: FittedStream, codec: any ImageCodec, mode: TransmissionMode, _ source: Source, _ context: CellContext,
        configuration: PhysicalLayerConfiguration?, headerBits: Int, attempts: Int
    ) throws -> CellResult {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: mode)
        record.codecQuality = Double(stream.quality)
        let configuration = configuration ?? link.radio.configuration(esN0DB: context.snr)
        let layer = PhysicalLayer(configuration)
        var clock = Stopwatch()
        var image: RGBImage?
        var ledger: ChannelLedger?
        for attempt in 0..<attempts {
            var rng = SeededGenerator(
                seed: RelayChannel.hopSeed(context.relaySeed, attempt: attempt), stream: source.frameID)
            let (bytes, statistics) = layer.transmit(stream.bytes, esN0DB: context.snr, using: &rng)
            let sent = ChannelLedger.digital(
                payloadBytes: stream.bytes.count, statistics: statistics, configuration: configuration,
                headerBits: headerBits, pixels: source.pixels)
            ledger = ledger.map { $0.adding(retransmission: sent) } ?? sent
            record.scheme = "\(configuration.modulation) \(configuration.code)"
            record.channelMS += clock.lap()
            // The receiver accepts a frame whose every block passed its CRC, and decodes it.
            if !statistics.frameFailed {
                image = try? codec.decode(bytes, width: source.image.width, height: source.image.height)
            }
            record.receiverMS += clock.lap()
            if image != nil { break }
        }
        if let ledger { record.book(ledger) }
        guard let image else {
            record.lost = true
            return try fallbackResult(record, source)
        }
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    private func classicalAnalog(_ source: Source, _ context: CellContext, budget: Int?) throws -> CellResult {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .classicalAnalog)
        var clock = Stopwatch()
        // Under a budget: the largest image of the same aspect whose pixels fit (3 reals per pixel, 2 per use).
        let (w, h) = PayloadFit.analogPixels(
            width: source.image.width, height: source.image.height, channelUses: budget)
        guard w > 0, h > 0 else {
            record.fits = false
            return try fallbackResult(record, source)
        }
        let small = Resize.image(source.image, width: w, height: h)
        var symbols = small.pixels.map { Float($0) / 255 }
        var rng = SeededGenerator(seed: context.relaySeed, stream: source.frameID)
        let uses = analogChannel(snr: context.snr).apply(&symbols, using: &rng)
        record.book(ChannelLedger.analog(channelUses: uses, headerBits: 0, pixels: source.pixels))
        record.scheme = w == source.image.width ? "pixels" : "pixels \(w)x\(h), upsampled"
        record.channelMS = clock.lap()
        let pixels = symbols.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let image = Resize.image(
            RGBImage(width: w, height: h, pixels: pixels), width: source.image.width, height: source.image.height)
        record.receiverMS = clock.lap()
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    /// SoftCast in the budget (all chunks without one): the metadata through the physical layer at the MCS
    /// `--mcs auto` picks for the SNR, the chunks that fit the rest as analog symbols through the sweep's analog
    /// channel, the LLSE estimate. Metadata lost to a block error leaves the symbols undecodable: the row is
    /// lost and shows the fallback image.
    private func softcast(_ source: Source, _ context: CellContext, budget: Int?) throws -> CellResult {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .softcast)
        let codec = try softCastCodecs.codec(height: source.image.height, width: source.image.width)
        guard let (configuration, kept) = softCastSplit(codec, mapBytes: nil, budget: budget, snr: context.snr),
            kept > 0
        else {
            record.fits = false
            record.scheme = "metadata does not fit"
            return try fallbackResult(record, source)
        }
        var clock = Stopwatch()
        let physical = PhysicalLayer(configuration)
        let frame = try codec.encode(source.image, kept: kept)
        var rng = SeededGenerator(seed: context.relaySeed, stream: source.frameID)
        let metadata = frame.metadata.bytes()
        let (received, statistics) = physical.transmit(metadata, esN0DB: context.snr, using: &rng)
        var symbols = frame.symbols
        let (analogUses, channel) = analogChannel(snr: context.snr).applyReportingChannel(&symbols, using: &rng)
        record.book(
            ChannelLedger(
                payloadChannelUses: statistics.channelUses + analogUses, headerChannelUses: 0,
                payloadBits: 8 * metadata.count, bitsOnAir: statistics.bitsOnAir, pixels: source.pixels,
                mcs: "\(configuration.modulation) \(configuration.code)"))
        record.scheme = "softcast, \(kept) of \(codec.profile.chunkCount) chunks"
        record.channelMS = clock.lap()
        guard received == metadata else {
            record.lost = true
            return try fallbackResult(record, source)
        }
        let estimate = try softCastEstimate(codec, frame.metadata, symbols, channel: channel, snr: context.snr)
        record.receiverMS = clock.lap()
        try measure(estimate.image, source, record: &record)
        return CellResult(records: [record], shown: estimate.image)
    }

    /// The hybrid: the context-coded map and the SoftCast metadata through the physical layer (one transmission; a
    /// block error breaks only the part it holds), the chunks that fit the rest of the budget as analog symbols. The
    /// receiver generates from the layer's LLSE estimate at the step its expected error matches (calibration c =
    /// `settings.hybridCalibration`), conditioned on the map. Map lost: the layer's estimate as it is (scheme
    /// says so); layer lost: generation from noise, as GESCO's digital scheme; both lost: the fallback image.
    private func hybrid(_ source: Source, _ context: CellContext, budget: Int?) throws -> CellResult {
        var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .hybrid)
        let codec = try softCastCodecs.codec(height: source.image.height, width: source.image.width)
        let map = try MapFrame.digital(
            frameID: source.frameID, name: source.name, map: source.sent, classCount: UInt8(Cityscapes.classCount),
            coding: .context, prior: mapPrior)
        let mapBytes = map.payload.bytes.count
        guard let (configuration, kept) = softCastSplit(codec, mapBytes: mapBytes, budget: budget, snr: context.snr)
        else {
            record.fits = false
            record.scheme = "the map does not fit"
            return try fallbackResult(record, source)
        }
        var clock = Stopwatch()
        let physical = PhysicalLayer(configuration)
        var rng = SeededGenerator(seed: context.relaySeed, stream: source.frameID)
        let frame = try codec.encode(source.image, kept: kept)
        let metadata = kept > 0 ? frame.metadata.bytes() : []
        // Map and metadata as one transmission (`LayeredPlan.split`, the relay's layered hop); each part is judged
        // by its own bytes, as the receiver judges it by its own CRC.
        let digital = map.payload.bytes + metadata
        let (received, statistics) = physical.transmit(digital, esN0DB: context.snr, using: &rng)
        let mapReceived = Array(received[0..<mapBytes])
        var (layerUses, layerOK) = (0, false)
        var symbols = frame.symbols
        var channel: (gains: [Float], noiseVariances: [Float])?
        if kept > 0 {
            let analog = analogChannel(snr: context.snr).applyReportingChannel(&symbols, using: &rng)
            channel = analog.channel
            layerUses = analog.uses
            layerOK = Array(received[mapBytes...]) == metadata
        }
        var ledger = ChannelLedger.digital(
            payloadBytes: digital.count, statistics: statistics, configuration: configuration,
            headerBits: map.headerBits, pixels: source.pixels)
        ledger.payloadChannelUses += layerUses
        record.book(ledger)
        record.channelMS = clock.lap()
        let mapOK = mapReceived == map.payload.bytes
        record.mapAccuracy = mapOK ? 1 : 0
        let estimate =
            layerOK ? try softCastEstimate(codec, frame.metadata, symbols, channel: channel, snr: context.snr) : nil
        record.receiverMS = clock.lap()
        let image: RGBImage
        switch (mapOK, estimate) {
        case (true, let estimate?):
            let generated = try generator.generate(
                .labels(source.sent), guide: estimate.image, expectedMSE: estimate.expectedMSE,
                calibration: settings.hybridCalibration,
                seed: MapDecision.generatorSeed(settings.seed, frameID: source.frameID),
                steps: steps, guidance: guidance)
            record.generatorMS = clock.lap()
            record.generatorPasses = Double(generated.passes)
            record.scheme = "map + \(kept) chunks, t0 \(generated.startStep)"
            image = generated.image
        case (true, nil):
            record.scheme = kept > 0 ? "layer lost: generated from noise" : "map only (no chunk fits)"
            image = try generate(.labels(source.sent), frameID: source.frameID, record: &record)
        case (false, let estimate?):
            record.scheme = "map lost: the layer's estimate"
            image = estimate.image
        case (false, nil):
            record.lost = true
            record.scheme = "map and layer lost"
            return try fallbackResult(record, source)
        }
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    /// The split of a budget between the digital parts and SoftCast's chunks (`LayeredPlan.split`, the live
    /// sender's rule) on this sweep's channel.
    func softCastSplit(_ codec: SoftCastCodec, mapBytes: Int?, budget: Int?, snr: Double) -> (
        PhysicalLayerConfiguration, kept: Int
    )? {
        LayeredPlan.split(
            codec, mapBytes: mapBytes, budget: budget, snrDB: snr, channel: link.radio.channel,
            unbudgeted: link.radio.configuration(esN0DB: snr)
        ).map { ($0.configuration, $0.kept) }
    }

    /// The LLSE estimate of a SoftCast layer: on AWGN with the noise variance of the SNR, after fading with the
    /// equaliser's gain and noise variance per symbol (the receiver knows its channel).
    private func softCastEstimate(
        _ codec: SoftCastCodec, _ metadata: SoftCastMetadata, _ symbols: [Float],
        channel: (gains: [Float], noiseVariances: [Float])?, snr: Double
    ) throws -> SoftCastCodec.Estimate {
        if let channel {
            return try codec.decode(
                metadata: metadata, symbols: symbols,
                channel: SoftCastCodec.ReceivedChannel(gains: channel.gains, noiseVariances: channel.noiseVariances))
        }
        return try codec.decode(metadata: metadata, symbols: symbols, noiseVariance: softCastNoiseVariance(snr: snr))
    }

    /// The noise variance per real symbol a SoftCast receiver assumes at `snr` in the sweep's convention, its
    /// symbols having average power ½: Es/N0 gives σ² = ½·10^(−SNR/10), the PSNR convention (peak 1)
    /// σ² = 10^(−PSNR/10).
    private func softCastNoiseVariance(snr: Double) -> Double {
        switch settings.convention {
        case .esN0: 0.5 * pow(10, -snr / 10)
        case .psnr: pow(10, -snr / 10)
        }
    }

    /// ⌊k·log2(1 + SNR)⌋ bits delivered without error to the best codec of the sweep at that size (the best per
    /// image by PSNR: a bound may use hindsight). Under Rayleigh block fading, this frame's own capacity with
    /// the channel known: Σ over its fading blocks of n_b·log2(1 + |h_b|²·SNR), h_b drawn from the cell's
    /// relay seed — a bound in expectation over the fading, as the codec rows meet their own draws.
    private func separationBound(_ source: Source, _ context: CellContext, budget: Int?) throws -> CellResult {
        guard let budget else { return CellResult(records: [], shown: nil) }
        var bits = PayloadFit.capacityBits(channelUses: budget, esN0DB: context.snr, fading: false)
        if settings.fading {
            var rng = SeededGenerator(seed: context.relaySeed, stream: source.frameID)
            bits = PayloadFit.blockFadingCapacityBits(
                channelUses: budget, esN0DB: context.snr, coherence: settings.coherence, using: &rng)
        }
        let maxBytes = bits / 8
        var best: (record: EvaluationRecord, image: RGBImage)?
        let codecs = settings.modes.filter { $0.codec != nil }
        for mode in codecs.isEmpty ? TransmissionMode.allCases.filter({ $0.codec != nil }) : codecs {
            guard let stream = try fittedIfAny(mode, source, maxBytes: maxBytes) else { continue }
            var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .separationBound)
            record.scheme = mode.rawValue
            record.mcs = "capacity"
            record.codecQuality = Double(stream.quality)
            record.book(
                ChannelLedger(
                    payloadChannelUses: budget, headerChannelUses: 0, payloadBits: 8 * stream.bytes.count,
                    bitsOnAir: bits, pixels: source.pixels, mcs: "capacity"))
            let image = try mode.codec!.decode(stream.bytes, width: source.image.width, height: source.image.height)
            try measure(image, source, record: &record)
            if best.map({ record.psnrDB > $0.record.psnrDB }) ?? true { best = (record, image) }
        }
        guard let best else {
            var record = EvaluationRecord(image: source.name, snrDB: context.snr, mode: .separationBound)
            record.fits = false
            record.mcs = "capacity"
            return try fallbackResult(record, source)
        }
        return CellResult(records: [best.record], shown: best.image)
    }

    /// A row whose image is the fallback (nothing fitted, or the frame was lost), measured as such.
    private func fallbackResult(_ record: EvaluationRecord, _ source: Source) throws -> CellResult {
        var record = record
        let image = FallbackImage.image(width: source.image.width, height: source.image.height)
        try measure(image, source, record: &record)
        return CellResult(records: [record], shown: image)
    }

    /// The output a grid shows for a mode swept over MCSs: the one `--mcs auto` would pick at this SNR among
    /// the candidates.
    private func shownOutput(_ outputs: [String: RGBImage], candidates: [MCSEntry], snr: Double, source: Source)
        -> RGBImage?
    {
        guard let entry = MCSTable.select(esN0DB: snr, fading: settings.fading, from: candidates) else {
            return nil
        }
        return outputs[entry.description] ?? FallbackImage.image(width: source.image.width, height: source.image.height)
    }

    // MARK: - Fitted streams

    /// A codec's stream at a quality.
    struct FittedStream {
        var bytes: [UInt8]
        var quality: Int
    }

    private struct FitKey: Hashable {
        var image: Int
        var mode: TransmissionMode
        var maxBytes: Int?
    }

    private var fits: [FitKey: FittedStream?] = [:]

    /// The stream of `mode`'s codec at the best quality within `maxBytes` (nil: JPEG at --jpeg-quality); cached
    /// per image, so budgets, SNRs and seeds that allow the same bytes share one search.
    private func fittedIfAny(_ mode: TransmissionMode, _ source: Source, maxBytes: Int?) throws -> FittedStream? {
        let key = FitKey(image: source.index, mode: mode, maxBytes: maxBytes)
        if let hit = fits[key] { return hit }
        let codec = mode.codec!
        var stream: FittedStream?
        if let maxBytes {
            stream = try codec.encode(source.image, maxBytes: maxBytes).map {
                FittedStream(bytes: $0.bytes, quality: $0.quality)
            }
        } else {
            stream = FittedStream(
                bytes: try codec.encode(source.image, quality: settings.jpegQuality), quality: settings.jpegQuality)
        }
        fits[key] = stream
        return stream
    }

    private func fitted(_ mode: TransmissionMode, _ source: Source, maxBytes: Int?) throws -> FittedStream {
        guard let stream = try fittedIfAny(mode, source, maxBytes: maxBytes) else {
            throw EvaluationError("\(mode.rawValue): no quality fits \(maxBytes ?? 0) bytes for \(source.name)")
        }
        return stream
    }

    // MARK: - Stages

    /// The relay's channel on an analog frame (AWGN in the sweep's convention, Rayleigh block fading when the
    /// radio has it). Returns the relay's outcome (the frame as forwarded, its ledger).
    private func relayAnalog(_ frame: MapFrame, snr: Double, seed: UInt64) throws -> RelayChannel.Outcome {
        let setting: RelayChannel.Setting = settings.convention == .psnr ? .psnr(dB: snr) : .esN0(dB: snr)
        return try RelayChannel(setting: setting, seed: seed, radio: link.radio).apply(to: frame)
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

    /// The receiver's generation: the decision's conditioning, its per-frame seed, the run's sampler, steps and
    /// guidance.
    private func generate(_ input: GeneratorConditioning, frameID: UInt64, record: inout EvaluationRecord) throws
        -> RGBImage
    {
        let seed = MapDecision.generatorSeed(settings.seed, frameID: frameID)
        var clock = Stopwatch()
        var key: GenerationKey?
        if case .labels(let labels) = input {
            key = GenerationKey(frameID: frameID, labels: labels.ids)
            if let hit = cache[key!] {
                record.generatorMS = hit.generatorMS
                record.generatorPasses = Double(steps)
                return hit.image
            }
        }
        record.generatorPasses = Double(steps)
        let image = try generator.generate(input, seed: seed, steps: steps, guidance: guidance, method: sampler)
        record.generatorMS = clock.lap()
        if let key { cache[key] = Generated(image: image, generatorMS: record.generatorMS) }
        return image
    }

    /// Re-segmentation mIoU and accuracy against the sent map, PSNR and SSIM against the original; an output
    /// seen before for this scene (the same stream delivered at several SNRs, the fallback image) is measured once.
    private func measure(_ image: RGBImage, _ source: Source, record: inout EvaluationRecord) throws {
        let key = MeasureKey(image: source.index, pixels: image.pixels)
        if let hit = measured[key] {
            record.meanIoU = hit.meanIoU
            record.pixelAccuracy = hit.pixelAccuracy
            record.psnrDB = hit.psnrDB
            record.ssim = hit.ssim
            return
        }
        var clock = Stopwatch()
        let agreement = MapAgreement(predicted: try segmenter.segment(image), reference: source.sent)
        record.segmenterMS = clock.lap()
        record.meanIoU = agreement.meanIoU
        record.pixelAccuracy = agreement.pixelAccuracy
        record.psnrDB = ImageQuality.psnr(image, source.image)
        record.ssim = ImageQuality.ssim(image, source.image)
        measured[key] = record
    }

    private struct MeasureKey: Hashable {
        var image: Int
        var pixels: [UInt8]
    }

    private var measured: [MeasureKey: EvaluationRecord] = [:]
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

/// The SoftCast codec of each image size a sweep meets, its profile read once (`models/softcast/HxW.json`).
final class SoftCastCodecs: @unchecked Sendable {
    private let lock = NSLock()
    private var codecs: [String: SoftCastCodec] = [:]

    func codec(height: Int, width: Int) throws -> SoftCastCodec {
        lock.lock()
        defer { lock.unlock() }
        if let codec = codecs["\(height)x\(width)"] { return codec }
        let codec = try SoftCastCodec(
            profile: SoftCastProfile(path: ModelLocator.softCastProfilePath(height: height, width: width)))
        codecs["\(height)x\(width)"] = codec
        return codec
    }
}
