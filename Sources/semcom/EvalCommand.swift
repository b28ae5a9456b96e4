import ArgumentParser
import Daemons
import Evaluation
import Foundation
import Generator
import Link

/// `semcom eval`: the sweep (`semcom eval [run] …`, the default) and the merge of a sharded sweep
/// (`semcom eval merge …`).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Sweep SNR and channel budget: semantic (analog, digital) vs classical codecs; writes results.csv, summary.json, figures/, report.html.",
        subcommands: [EvalRunCommand.self, EvalMergeCommand.self], defaultSubcommand: EvalRunCommand.self)

    static func printResult(_ result: EvaluationJob.Result) { EvalRunCommand.printResult(result) }
}

/// `semcom eval [run]`: an SNR sweep of every image through the daemons' code paths in each mode, written as
/// results.csv, summary.json and report.html (or one shard of it).
struct EvalRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sweep SNR (the default of `semcom eval`); writes results.csv, summary.json, report.html.",
        discussion: """
            A sweep can be split over machines: `semcom eval --shard K/N … --out DIR_K` runs slice K of N of the \
            (image × SNR × mode) grid (contiguous, nearly equal; the same flags on every shard) and writes \
            DIR_K/shard.json; `semcom eval merge DIR_1 … DIR_N --out DIR` then writes the files of one whole run. \
            A killed sweep rerun with the same command resumes from OUT/cells.jsonl (finished cells are kept; a \
            sweep with other settings refuses the folder).
            """)

    @Option(help: "Scene folder (images/, labels/) as `semcom scenes` writes it; default: generate --count scenes.")
    var data: String?
    @Option(help: "Number of scenes (the first N of --data, or how many to generate).") var count: Int = 8
    @Option(
        parsing: .unconditional,
        help: "SNR points in dB: a list 0,5,10 or a range START:STOP:STEP (0:25:5; --snr -10:25:5 works too).")
    var snr: String = "0:25:5"
    @Option(
        help:
            "Modes: comma-separated analog, digital, jpeg, jpeg444, jpeg2000, webp, avif, hevc, classical-analog, separation-bound (classical = jpeg), or all."
    )
    var mode: String = "all"
    @Option(
        help:
            "Channel budgets ρ = payload complex channel uses ÷ (H·W·3): a list like 1/12,1/3 or 0.25; none = every scheme spends what it likes."
    )
    var budget: String = "none"
    @Option(help: "Channel seeds per cell: every cell repeated with N channel noise draws.") var seeds: Int = 1
    @Option(help: "Channel: awgn or rayleigh (block fading, MMSE equaliser, perfect CSI).") var channel: String = "awgn"
    @Option(help: "Rayleigh coherence block in channel uses.") var coherence: Int = 128
    @Option(help: "SNR convention: esn0 (all modes, default) or psnr (GESCO's peak SNR for analog modes).")
    var convention: String = "esn0"
    @Option(help: "Steps of the model's sampler (its default_sampler; default: the model's steps).") var steps: Int?
    @Option(help: "Classifier-free guidance (default: the model's).") var guidance: Float?
    @Option(help: "The receiver's analog map denoiser: potts (default), fds (GESCO), fds-auto, none.")
    var denoiser: MapDenoiser = .potts
    @Option(
        help: """
            Hybrid: the generator starts at the step t0 where (1 - ᾱ)/ᾱ = C × the SoftCast layer's expected MSE \
            (model scale); larger C keeps more of the map, less of the layer.
            """)
    var hybridCalibration: Double = ImageGenerator.defaultHybridCalibration
    @Option(help: "Seed of channel and diffusion noise.") var seed: UInt64 = 1
    @Option(help: "JPEG quality without a budget (1…100); the other codecs match its size.") var jpegQuality: Int = 75
    @Option(help: "Retransmissions of a corrupt digital frame before it is lost.") var maxRetries: Int = 3
    @Option(help: "Images per SNR shown in the report's grids.") var gridImages: Int = 2
    @Option(help: "Generator model folder (default: the shipped model).") var model: String?
    @Option(help: "Segmenter model folder (default: the shipped model).") var segmenter: String?
    @OptionGroup(title: "Engine") var engine: EngineOptions
    @Option(help: "Run only slice K of N of the grid (K/N, e.g. 2/3) and write shard.json; see `semcom eval merge`.")
    var shard: String?
    @Option(help: "Output folder.") var out: String

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        if let steps, steps < 1 || steps > 1000 { throw ValidationError("--steps must be 1…1000") }
        if let guidance, !(guidance.isFinite && guidance >= 0) { throw ValidationError("--guidance must be ≥ 0") }
        guard (1...100).contains(jpegQuality) else { throw ValidationError("--jpeg-quality must be 1…100") }
        guard ["awgn", "rayleigh"].contains(channel) else {
            throw ValidationError("--channel must be awgn or rayleigh")
        }
        guard SweepConvention(rawValue: convention) != nil else {
            throw ValidationError("--convention must be esn0 or psnr")
        }
        guard coherence >= 2 else { throw ValidationError("--coherence must be at least 2 channel uses") }
        guard (0...16).contains(maxRetries) else { throw ValidationError("--max-retries must be 0…16") }
        if let shard { _ = try ShardSpec(parsing: shard) }
        _ = try ChannelBudget.parseList(budget)
        guard (1...64).contains(seeds) else { throw ValidationError("--seeds must be 1…64") }
    }

    func run() throws {
        engine.apply(algorithm: .direct)  // reproducible figures: shards merge to exactly the whole run
        let job = try makeJob()
        if let shard {
            let spec = try ShardSpec(parsing: shard)
            let path = try job.run(shard: spec, progress: ProgressBar()) { print($0) }
            print("shard \(spec) written: \(path)\nmerge the shards with: semcom eval merge DIR… --out DIR")
            return
        }
        let result = try job.run(progress: ProgressBar()) { print($0) }
        Self.printResult(result)
    }

    func makeJob() throws -> EvaluationJob {
        var settings = EvaluationSettings(
            snrs: try SNRList.parse(snr), modes: try TransmissionMode.parseList(mode))
        settings.convention = SweepConvention(rawValue: convention)!
        settings.budgets = try ChannelBudget.parseList(budget)
        settings.channelSeeds = seeds
        settings.fading = channel == "rayleigh"
        settings.coherence = coherence
        settings.steps = steps
        settings.guidance = guidance
        settings.seed = seed
        settings.denoiser = denoiser
        settings.hybridCalibration = hybridCalibration
        settings.jpegQuality = jpegQuality
        settings.maxRetries = maxRetries
        settings.gridImages = gridImages
        var job = EvaluationJob(settings: settings, dataDirectory: data, count: count, outputDirectory: out)
        job.generatorFolder = model
        job.segmenterFolder = segmenter
        return job
    }

    static func printResult(_ result: EvaluationJob.Result) {
        let h = result.summary.headline
        print("eval finished in \(String(format: "%.0f", result.seconds)) s")
        if let clean = h.semanticCleanMIoU {
            print(
                "  analog semantic: clean mIoU \(String(format: "%.3f", clean)); ≥ 80 % of it from "
                    + "\(h.semanticHoldsFromDB.map { "\($0) dB" } ?? "—") up")
        }
        if let c = h.classicalCollapsesAtDB { print("  classical JPEG: loses ≥ half the images at \(c) dB and below") }
        for (mode, bits) in h.bitsPerImage.sorted(by: { $0.key < $1.key }) {
            print(
                "  \(mode): \(Int(bits.rounded())) bits on air, \(Int((h.channelUsesPerImage[mode] ?? 0).rounded())) channel uses per image"
            )
        }
        print("results: \(result.csvPath)\nsummary: \(result.summaryPath)\nreport:  \(result.reportPath)")
    }
}

/// `semcom eval merge`: the shards of one sweep into the files of a whole run.
struct EvalMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract:
            "Merge the folders of every `semcom eval --shard K/N` run of one sweep into results.csv, summary.json, report.html."
    )

    @Argument(help: "The shard folders (each holds shard.json), in any order.") var shards: [String]
    @Option(help: "Output folder.") var out: String

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try EvaluationJob.merge(shardFolders: shards, into: out)
        print("merged \(shards.count) shards")
        EvalCommand.printResult(result)
    }
}
