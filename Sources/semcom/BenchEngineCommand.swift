import ArgumentParser
import Foundation
import Generator
import Imaging
import Tensor

/// Times the generator's U-Net forward (the guided batch of 2: map and null map) and whole
/// images, for BENCHMARKS.md. `scripts/bench.sh` runs it beside the PyTorch reference.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-engine", abstract: "Time U-Net forwards and whole images on this machine.")

    @OptionGroup var generation: GenerationOptions
    @Option(help: "Timed forwards.") var iterations: Int = 10
    @Option(help: "Whole images to time (with --sampler, --steps and --guidance; 0 = skip).") var images: Int = 1
    @Option(help: "Label map to condition on (default: an all-road map).") var labels: String?

    func run() throws {
        let loadStart = Date()
        let generator = try generation.loadGenerator()
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let map =
            try labels.map { try PNG.readLabels(path: $0) }
            ?? LabelMap(width: generator.width, height: generator.height, fill: 0)
        let cond = generator.conditioning(labels: map)
        let both = Ops.concatBatch([cond, Tensor(zeros: cond.shape)])
        let condStart = Date()
        let conditioning = try generator.model.condition(on: both)
        let condSeconds = Date().timeIntervalSince(condStart)
        // A guided step: one noisy image, its map and the null map (the encoder runs once).
        let x = DiffusionSampler.noise(shape: [1, 3, generator.height, generator.width], seed: 1)
        FLOPCounter.isEnabled = true
        _ = generator.model.forward(x, timesteps: [500], conditioning: conditioning)  // warm-up, counted
        FLOPCounter.isEnabled = false
        let flops = Double(FLOPCounter.count)
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = Date()
            _ = generator.model.forward(x, timesteps: [500], conditioning: conditioning)
            times.append(Date().timeIntervalSince(start))
        }
        times.sort()
        let median = times[times.count / 2]
        print(
            String(
                format: "swift forward batch2 median %.4f s min %.4f s (threads %d, load %.2f s, conditioning %.3f s)",
                median, times[0], BLAS.threads, loadSeconds, condSeconds))
        print(
            "swift engine: convolutions on \(ConvolutionBackend.current), precision \(OneDNN.precision), "
                + "algorithm \(OneDNN.algorithm), oneDNN ISA \(OneDNN.isaName)")
        let peak = BLAS.measurePeak()
        let spade =
            generator.model.memory == .resident ? "SPADE maps cached" : "lean: SPADE maps per step, weights streamed"
        print(
            String(
                format:
                    "swift GEMM work %.1f GFLOP per batch-2 forward (\(spade)), %.1f GFLOP/s achieved; sgemm peak %.1f GFLOP/s (%.0f %%)",
                flops / 1e9, flops / median / 1e9, peak, 100 * flops / median / 1e9 / peak))
        let steps = generation.steps ?? generator.config.default_steps
        let guidance = generation.guidance ?? Float(generator.config.default_guidance)
        for i in 0..<images {
            let start = Date()
            _ = try generator.generate(
                map: cond, seed: UInt64(i + 1), steps: steps, guidance: guidance, method: generation.sampler)
            print(
                String(
                    format: "swift image %d: %.3f s (%d steps, guidance %.1f, ", i, Date().timeIntervalSince(start),
                    steps, guidance) + "\(generation.sampler ?? generator.defaultMethod))")
        }
    }
}
