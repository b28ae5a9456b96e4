import Foundation
import Generator
import Imaging
import Scenes

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

    /// What a run wrote.
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
                + "\(settings.denoiser.rawValue) denoiser (semcom receive --denoiser), the receiver's conditioning rule (DiffusionStage) and per-frame seed.",
            "Digital and classical modes: the relay's physical layer with --mcs auto (modulation and code per "
                + "SNR from the shipped MCS table), CRC-32 per code block; a frame whose CRC fails is retransmitted "
                + "up to \(settings.maxRetries) times with fresh noise, then lost. A lost image has no output: its "
                + "mIoU, pixel accuracy and SSIM count as 0, its PSNR is undefined (left out; see the counts).",
            "Classical mode: the original image as JPEG (libjpeg-turbo, quality \(settings.jpegQuality)) in one "
                + "frame. Classical-analog: the image's pixels scaled to 0…1 as real analog symbols (3 per pixel, "
                + "2 per channel use) with the same channel, clipped and shown as received.",
            "mIoU / pixel accuracy: the shipped segmenter's map of the output image against the sent map; void "
                + "pixels of the sent map are ignored; mIoU averages over the classes present in either map.",
            "SSIM: Wang et al. 2004, 11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, valid windows, "
                + "on BT.601 luminance. PSNR over the three channels, peak 255.",
            "Channel uses are complex; bits on air count coded bits of every attempt and the frame header "
                + "(control channel at the payload's spectral efficiency; analog frames: header bits as BPSK uses).",
            "FID and LPIPS are not computed: they need pretrained Inception / AlexNet weights, which cannot be "
                + "fetched here. They are omitted, not estimated.",
            "Times are wall-clock per stage on this machine; the generator's time is reused for an image whose "
                + "received map is identical at several SNRs (same conditioning and seed give the same image).",
        ]
    }

    public func run(progress: ProgressBar? = nil, log: (String) -> Void = { _ in }) throws -> Result {
        let start = Date()
        let fm = FileManager.default
        try fm.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (outputDirectory as NSString).appendingPathComponent(name) }

        let generator = try ImageGenerator(folder: try ModelLocator.folder(generatorFolder, kind: "generator"))
        let segmenter = try Segmenter(folder: try ModelLocator.folder(segmenterFolder, kind: "segmenter"))
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

        let runner = ExperimentRunner(
            settings: settings, generator: generator, segmenter: segmenter, imagesDirectory: path("images"))
        log("eval: \(scenes.count) images × \(settings.snrs.count) SNRs × \(settings.modes.count) modes, "
            + "DDIM \(runner.steps) steps, guidance \(runner.guidance)")
        let outcome = try runner.run(scenes: scenes) { done, total, detail in
            progress?.update(done, of: total, detail: detail)
        }
        var recorded = settings
        recorded.steps = runner.steps
        recorded.guidance = runner.guidance
        let summary = EvaluationSummary(
            records: outcome.records, settings: recorded, notes: Self.notes(settings),
            segmenterOnOriginals: outcome.segmenterOnOriginals)
        let seconds = Date().timeIntervalSince(start)

        let csvPath = path("results.csv"), summaryPath = path("summary.json"), reportPath = path("report.html")
        try Data(ResultsTable.csv(outcome.records).utf8).write(to: URL(fileURLWithPath: csvPath))
        try summary.json().write(to: URL(fileURLWithPath: summaryPath))
        let report = EvaluationReport(
            summary: summary, grids: outcome.grids,
            facts: [
                ("images", "\(scenes.count) (\(dataDirectory ?? "generated, seed \(Self.sceneSeed)"))"),
                ("image size", "\(generator.height)x\(generator.width)"),
                ("generator", "DDIM \(runner.steps) steps, guidance \(runner.guidance)"),
                ("run time", "\(ProgressBar.duration(seconds)) on \(ProcessInfo.processInfo.activeProcessorCount) cores"),
            ])
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
