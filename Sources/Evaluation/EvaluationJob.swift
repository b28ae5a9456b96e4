import Foundation
import Generator
import Imaging
import Link
import MapCoding
import Scenes
import SemanticWire

/// A whole `semcom eval` run: the scenes (a folder, or `count` generated ones), the sweep, and the files it
/// writes in the output folder:
///
/// - `results.csv`: one row per image × SNR × mode (columns: `EvaluationRecord`, README "semcom eval");
/// - `summary.json`: per SNR and mode, mean and 95 % interval of every metric, counts, headline figures;
/// - `report.html`: the self-contained report; `grid.png`: the first image's grid (one row per SNR);
/// - `images/snrX/NAME.MODE.png`: every output image; `scenes/` when the scenes were generated here.
public struct EvaluationJob {
    public var settings: EvaluationSettings
    /// A scene folder as `semcom scenes` writes it; nil: generate `count` scenes into `OUT/scenes`.
    public var dataDirectory: String?
    /// Scenes to use (the first `count` of the folder, or how many to generate).
    public var count: Int
    public var outputDirectory: String
    /// Model folders; nil: the shipped models (`ModelLocator`).
    public var generatorFolder: String?
    public var segmenterFolder: String?
    /// Seed of generated scenes (fixed, so every run without `--data` sees the same scenes).
    public static let sceneSeed: UInt64 = 7

    public init(settings: EvaluationSettings, dataDirectory: String?, count: Int, outputDirectory: String) {
        self.settings = settings
        self.dataDirectory = dataDirectory
        self.count = count
        self.outputDirectory = outputDirectory
    }

    /// What a run (or a merge of shards) wrote.
    public struct Result: Sendable {
        public var csvPath: String
        public var summaryPath: String
        public var reportPath: String
        public var gridPath: String?
        public var summary: EvaluationSummary
        public var seconds: Double
    }

    /// Conventions and omissions, written into summary.json and the report.
    public static func notes(_ settings: EvaluationSettings) -> [String] {
        [
            "SNR axis: \(settings.convention.axisLabel). "
                + (settings.convention == .esN0
                    ? "Analog symbols get σ² = P̄·10^(−SNR/10) per real symbol (P̄ their mean square), digital "
                        + "constellations N0 = 10^(−SNR/10): the same energy per channel use against the same noise."
                    : "Analog modes use GESCO's peak SNR (σ = 10^(−PSNR/20), symbols in 0…1); digital modes read "
                        + "the number as Es/N0, as `semcom relay --psnr` does."),
            "Analog mode: the sender's one-hot frame of the present classes (MapFrame.analog, fp16), the relay's "
                + "channel (RelayChannel), the receiver's decision with its "
                + "\(settings.denoiser.rawValue) denoiser (semcom receive --denoiser), the conditioning its decision implies (GeneratorConditioning) and the per-frame seed.",
            "Digital and classical modes: the relay's physical layer with --mcs auto (modulation and code per "
                + "SNR from the shipped MCS table), CRC-32 per code block; a frame whose CRC fails is retransmitted "
                + "up to \(settings.maxRetries) times with fresh noise, then lost. A lost image has no output: its "
                + "mIoU, pixel accuracy and SSIM count as 0, its PSNR is undefined (left out; see the counts).",
            "Codec modes (jpeg, jpeg444, jpeg2000, webp, avif, hevc): the stream in one frame over the physical "
                + "layer. Without a budget: JPEG at quality \(settings.jpegQuality), every other codec at its best "
                + "quality within JPEG's size, MCS auto with retransmissions. Under a budget of k = ⌊ρ·H·W·3⌋ complex "
                + "uses: for every MCS of the table not dominated at that budget, the largest payload whose "
                + "physical-layer cost "
                + "(CRC, code, padding, modulation fill) fits k, the codec's best quality within it (binary search), "
                + "one transmission (no retransmissions: they would exceed the budget); every MCS is its own row and "
                + "the envelope picks per budget and SNR the MCS with the best mean (PSNR for codecs, mIoU for the "
                + "digital map), never per image.",
            "Lost frames and schemes that do not fit are scored as the fallback image: a flat image of the "
                + "training scenes' mean colour \(FallbackImage.meanColour) (what a receiver without bits shows best "
                + "in mean square).",
            "Classical-analog: the image's pixels scaled to 0…1 as real analog symbols (3 per pixel, 2 per channel "
                + "use), under a budget the largest same-aspect image that fits, upsampled bilinearly at the receiver. "
                + "Analog (GESCO): under a budget the smallest downsample of \(AnalogLayout.factors) that fits.",
            "Separation bound: ⌊k·log2(1+SNR)⌋ bits delivered without error to the best codec at that size, per "
                + "image: no separate source/channel design does better. Under Rayleigh block fading the frame's own "
                + "capacity with the channel known (Σ n_b·log2(1+|h_b|²·SNR)): a bound in expectation over the fading.",
            "Budgets apply to the payload; header channel uses (the protected control channel) are reported apart "
                + "(header_channel_uses). Unused budget is reported (ρ below budget_rho), never spent.",
            "mIoU / pixel accuracy: the shipped segmenter's map of the output image against the sent map; void "
                + "pixels of the sent map are ignored; mIoU averages over the classes present in either map.",
            "SSIM: Wang et al. 2004, 11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, valid windows, "
                + "on BT.601 luminance. PSNR over the three channels, peak 255.",
            "Channel uses are complex (ChannelLedger): channel_uses is the payload's over every attempt, pilots "
                + "included; header_channel_uses the header's on the control channel (at the payload's spectral "
                + "efficiency; analog frames at one bit per use); bits_on_air counts coded bits plus header bits.",
            "FID and LPIPS are not computed: they need pretrained Inception / AlexNet weights, which cannot be "
                + "fetched here. They are omitted, not estimated.",
            "Times are wall-clock per stage on this machine; the generator's time is reused for an image whose "
                + "received map is identical at several SNRs (same conditioning and seed give the same image).",
        ]
    }

    /// Runs the whole sweep and writes its files.
    public func run(progress: ProgressBar? = nil, log: (String) -> Void = { _ in }) throws -> Result {
        let (run, grids) = try compute(shard: nil, progress: progress, log: log)
        return try Self.write([run], grids: grids, to: outputDirectory)
    }

    /// Runs slice `shard` of the grid (`semcom eval --shard K/N`) and writes `shard.json`, its grid tiles
    /// and its images; `merge` turns every shard's folder into the files `run` writes. Returns shard.json's path.
    public func run(shard: ShardSpec, progress: ProgressBar? = nil, log: (String) -> Void = { _ in }) throws -> String {
        let (run, grids) = try compute(shard: shard, progress: progress, log: log)
        return try run.write(grids: grids, to: outputDirectory)
    }

    /// Merges the folders of every shard of one sweep into `outputDirectory`: results.csv, summary.json,
    /// report.html and grid.png as one whole run writes them (timings aside), and the images.
    public static func merge(shardFolders: [String], into outputDirectory: String) throws -> Result {
        let (runs, grids) = try ShardResult.load(shardFolders, copyingImagesTo: outputDirectory)
        return try write(runs, grids: grids, to: outputDirectory)
    }

    private func compute(
        shard: ShardSpec?, progress: ProgressBar?, log: (String) -> Void
    ) throws -> (ShardResult, [GridRow]) {
        let start = Date()
        let fm = FileManager.default
        try fm.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (outputDirectory as NSString).appendingPathComponent(name) }

        let generatorPath = try ModelLocator.folder(generatorFolder, kind: "generator")
        let segmenterPath = try ModelLocator.folder(segmenterFolder, kind: "segmenter")
        let generator = try ImageGenerator(folder: generatorPath)
        let segmenter = try Segmenter(folder: segmenterPath)
        var scenes: LabeledImageFolder
        if let dataDirectory {
            scenes = try LabeledImageFolder.sceneSet(at: dataDirectory)
        } else {
            let folder = path("scenes")
            try SceneSet.write(
                count: count, seed: Self.sceneSeed,
                generator: StreetSceneGenerator(width: generator.width, height: generator.height), to: folder)
            log("wrote \(count) scenes (\(generator.height)x\(generator.width), seed \(Self.sceneSeed)) to \(folder)")
            scenes = try LabeledImageFolder.sceneSet(at: folder)
        }
        guard scenes.count > 0 else { throw EvaluationError("no scenes in \(dataDirectory ?? path("scenes"))/images") }
        if scenes.count > count {
            scenes = LabeledImageFolder(entries: Array(scenes.entries.prefix(count)), labelSpace: scenes.labelSpace)
        }

        // The map coder's prior, when a mode codes the map with it; its file is part of what decides the numbers.
        let mapPriorPath =
            settings.modes.contains(where: \.codesMapWithPrior) ? try ModelLocator.mapPriorPath(nil) : nil
        let mapPrior = try mapPriorPath.map { try MapPrior(path: $0) }
        let runner = ExperimentRunner(
            settings: settings, generator: generator, segmenter: segmenter, imagesDirectory: path("images"),
            mapPrior: mapPrior)
        let total = runner.grid(images: scenes.count).count
        let cells = shard?.cells(of: total) ?? 0..<total
        var recorded = settings
        recorded.sampler = runner.sampler
        recorded.steps = runner.steps
        recorded.guidance = runner.guidance
        let source = dataDirectory ?? "generated, seed \(Self.sceneSeed)"
        let imageSize = "\(generator.height)x\(generator.width)"
        // Everything that decides the numbers: the sweep code's format, settings (not the report's grid), the
        // scenes' files, size and the models' files.
        var numbered = recorded
        numbered.gridImages = 0
        numbered.sampler = nil  // the model's default: its files are fingerprinted, and older folders still resume
        let identity = try ShardResult.encoder.encode(
            SweepIdentity(
                format: SweepIdentity.currentFormat, settings: numbered, images: scenes.entries.map(\.name),
                source: source, imageSize: imageSize,
                files: [Self.fingerprint(generatorPath), Self.fingerprint(segmenterPath)]
                    + (mapPrior.map { ["map prior \(MapPrior.text(identity: $0.identity))"] } ?? [])
                    + (dataDirectory.map { [Self.fingerprint(scenesFolder: $0, names: scenes.entries.map(\.name))] }
                        ?? [])))
        let store = try CellStore(
            folder: outputDirectory,
            header: CellStore.Header(sweep: "semcom eval", settingsHash: CellStore.hash(identity)))
        let resumed = cells.filter { store.finished[$0] != nil }.count
        log(
            "eval: \(scenes.count) images × \(settings.budgets.count) budgets × \(settings.snrs.count) SNRs × "
                + "\(settings.channelSeeds) channel seeds × \(settings.modes.count) modes, "
                + "generator \(runner.sampler.displayName) \(runner.steps) steps, guidance \(runner.guidance)"
                + (shard.map { ", shard \($0): cells \(cells.lowerBound)..<\(cells.upperBound) of \(total)" } ?? "")
                + (resumed > 0 ? "; resuming: \(resumed) of \(cells.count) cells done in \(store.path)" : ""))
        let outcome = try runner.run(
            scenes: scenes, cells: cells, finished: store.finished,
            completed: { cell, records in try store.append(cell: cell, records: records) },
            progress: { done, total, detail, resumed in
                progress?.update(done, of: total, detail: detail, resumed: resumed)
            })
        let run = ShardResult(
            shard: shard ?? ShardSpec(index: 1, count: 1), settings: recorded, images: scenes.entries.map(\.name),
            source: source, imageSize: imageSize, records: outcome.records, originals: outcome.originals,
            seconds: Date().timeIntervalSince(start), cores: ProcessInfo.processInfo.activeProcessorCount)
        return (run, outcome.grids)
    }

    /// A model folder's identity: each file's name and the hash of its contents (configs and weights: a
    /// retrained model of the same shape is another model).
    static func fingerprint(_ folder: String) -> String {
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        return files.map { name in
            "\(name):"
                + (fm.contents(atPath: (folder as NSString).appendingPathComponent(name)).map(CellStore.hash) ?? "-")
        }.joined(separator: ",")
    }

    /// A scene folder's identity: the hash of every used scene's image and label files.
    static func fingerprint(scenesFolder folder: String, names: [String]) -> String {
        var all = Data()
        for name in names {
            for kind in [SceneFolder.images, SceneFolder.labels] {
                all.append(FileManager.default.contents(atPath: SceneFolder.path(folder, kind, name)) ?? Data())
            }
        }
        return CellStore.hash(all)
    }

    /// Writes results.csv, summary.json, report.html and grid.png of the runs (one whole run, or every
    /// shard of one) into `folder`.
    static func write(_ runs: [ShardResult], grids: [GridRow], to folder: String) throws -> Result {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let first = runs[0]
        let records = runs.flatMap(\.records)
        var summary = EvaluationSummary(
            records: records, settings: first.settings, notes: Self.notes(first.settings),
            segmenterOnOriginals: ExperimentRunner.Outcome(
                records: records, grids: [], originals: runs.flatMap(\.originals)
            ).segmenterOnOriginals)
        let seconds = runs.map(\.seconds).reduce(0, +)
        let csvPath = path("results.csv"), summaryPath = path("summary.json"), reportPath = path("report.html")
        try Data(ResultsTable.csv(records).utf8).write(to: URL(fileURLWithPath: csvPath))
        try summary.json().write(to: URL(fileURLWithPath: summaryPath))
        let sampler = first.settings.sampler?.displayName ?? "the model's sampler"
        let steps = first.settings.steps.map(String.init) ?? "?",
            guidance = first.settings.guidance.map { "\($0)" } ?? "?"
        let (figures, pdfProblem) = try Figures(summary: summary).write(to: path("figures"))
        if let pdfProblem { summary.notes.append(pdfProblem) }
        let report = EvaluationReport(
            summary: summary, grids: grids,
            facts: [
                ("images", "\(first.images.count) (\(first.source))"),
                ("image size", first.imageSize),
                ("generator", "\(sampler) \(steps) steps, guidance \(guidance)"),
                (
                    "run time",
                    "\(ProgressBar.duration(seconds)) on \(first.cores) cores"
                        + (runs.count > 1 ? ", summed over \(runs.count) shards" : "")
                ),
            ], figures: figures)
        try Data(try report.html().utf8).write(to: URL(fileURLWithPath: reportPath))
        var gridPath: String?
        if let picture = report.gridPicture() {
            gridPath = path("grid.png")
            try PNG.write(picture, to: gridPath!)
        }
        return Result(
            csvPath: csvPath, summaryPath: summaryPath, reportPath: reportPath, gridPath: gridPath, summary: summary,
            seconds: seconds)
    }
}

/// What identifies a sweep's numbers (hashed into the resume file's header).
struct SweepIdentity: Codable {
    /// Raised when the sweep's code changes its numbers (a codec's settings, a fitting rule), so an older
    /// folder is refused instead of mixed.
    static let currentFormat = 3
    var format: Int
    var settings: EvaluationSettings
    var images: [String]
    var source: String
    var imageSize: String
    /// The models' files and, with `--data`, the scenes' files (`fingerprint`).
    var files: [String]
}
