import Foundation
import Imaging
import Tensor
import Testing

@testable import Generator

/// Whole networks and the sampler against the PyTorch reference.
@Suite struct ModelGoldenTests {
    func tinyUNet(memory: SpadeUNet.MemoryPlan? = nil) throws -> (SpadeUNet, GoldenCase) {
        let g = try GoldenCase("unet_forward")
        return (
            try SpadeUNet(
                config: try g.config(GeneratorConfig.self), weights: g.file, prefix: "weight.",
                requireAllUsed: false, memory: memory), g
        )
    }

    @Test func unetForward() throws {
        let (unet, g) = try tinyUNet()
        let cond = try unet.condition(on: try g.tensor("input.map"))
        let out = unet.forward(try g.tensor("input.x"), timesteps: try g.tensor("input.t").data, conditioning: cond)
        GoldenCase.expectClose(out, try g.tensor("output"), "U-Net forward")
    }

    /// The lean plan (weights streamed from the file, SPADE modulations per block, one decoder pass per map)
    /// computes the same network: against the reference, and against the resident plan on a guided batch.
    @Test func unetForwardLean() throws {
        let (lean, g) = try tinyUNet(memory: .lean)
        #expect(lean.memory == .lean)
        let x = try g.tensor("input.x"), t = try g.tensor("input.t").data, map = try g.tensor("input.map")
        GoldenCase.expectClose(
            lean.forward(x, timesteps: t, conditioning: try lean.condition(on: map)),
            try g.tensor("output"), "U-Net forward (lean)")
        let (resident, _) = try tinyUNet(memory: .resident)
        #expect(resident.memory == .resident)
        // Guidance: one image, its map then a null map.
        let one = x.slice(batch: 0..<1), first = map.slice(batch: 0..<1)
        let maps = Ops.concatBatch([first, Tensor(zeros: first.shape)])
        GoldenCase.expectClose(
            lean.forward(one, timesteps: [t[0]], conditioning: try lean.condition(on: maps)),
            resident.forward(one, timesteps: [t[0]], conditioning: try resident.condition(on: maps)),
            "guided U-Net forward, lean vs resident", relative: 1e-4)
    }

    @Test("U-Net forward on the im2col + BLAS backend too (the benchmarks' baseline)")
    func unetForwardIm2col() throws {
        let (unet, g) = try tinyUNet()
        let out = try ConvolutionBackend.with(.im2col) {
            unet.forward(
                try g.tensor("input.x"), timesteps: try g.tensor("input.t").data,
                conditioning: try unet.condition(on: try g.tensor("input.map")))
        }
        GoldenCase.expectClose(out, try g.tensor("output"), "U-Net forward (im2col)")
    }

    /// bf16 rounds inputs and weights to 8 significant bits: a whole network agrees with the fp32 reference to
    /// a few per cent of its output scale, while a wrong layer (a swapped weight, a missing bias) is off by
    /// the scale itself. The result must also differ from fp32's, or bf16 did not run.
    @Test(
        "U-Net and segmenter forward in bf16: close to the reference, not identical to fp32",
        .enabled(if: OneDNN.cpuHasBF16, "this CPU has no bf16 instructions"))
    func bf16Forwards() throws {
        let (unet, g) = try tinyUNet()
        func forward() throws -> Tensor {
            unet.forward(
                try g.tensor("input.x"), timesteps: try g.tensor("input.t").data,
                conditioning: try unet.condition(on: try g.tensor("input.map")))
        }
        let bf16 = try OneDNN.withPrecision(.bf16) { try forward() }
        let fp32 = try OneDNN.withPrecision(.fp32) { try forward() }
        GoldenCase.expectClose(bf16, try g.tensor("output"), "U-Net forward (bf16)", relative: 3e-2)
        #expect(bf16 != fp32, "bf16 and fp32 gave identical outputs: bf16 did not run")
        let s = try GoldenCase("segmenter_forward")
        let seg = try Segmenter(
            config: try s.config(Segmenter.Config.self), weights: s.file, prefix: "weight.",
            requireAllUsed: false)
        let logits = OneDNN.withPrecision(.bf16) { seg.logits(try! s.tensor("input.x")) }
        GoldenCase.expectClose(logits, try s.tensor("output"), "segmenter (bf16)", relative: 3e-2)
    }

    @Test func ddimTrajectoryWithGuidance() throws {
        let (unet, _) = try tinyUNet()
        let g = try GoldenCase("ddim_5_steps")
        let sampler = DiffusionSampler(config: unet.config)
        #expect(sampler.respaced(5) == (g.info["timesteps"] as! [Int]))
        var steps: [Tensor] = []
        let out = try sampler.ddim(
            unet, maps: try g.tensor("input.map"), noise: try g.tensor("input.noise"), count: 5,
            guidance: Float(g.info["guidance"] as! Double)
        ) { _, x in steps.append(x) }
        #expect(steps.count == 5)
        for (i, x) in steps.enumerated() {
            GoldenCase.expectClose(x, try g.tensor("trajectory.\(i)"), "DDIM step \(i)")
        }
        GoldenCase.expectClose(out, try g.tensor("output"), "DDIM output")
    }

    /// DPM-Solver++(2M) against the reference trajectory, with the x0 treatment and guidance split the case
    /// records (the receiver's speckle remedy); the case carries its own weights.
    /// The receiver's default remedy (dynamic thresholding), and every other option of `SamplerSettings` at once
    /// (guidance interval, CFG rescale, frequency-split guidance, dynamic thresholding's quantile and floor).
    @Test(arguments: ["dpmpp2m_5_steps", "dpmpp2m_5_steps_options"])
    func dpmSolverTrajectory(_ name: String) throws {
        let g = try GoldenCase(name)
        let unet = try SpadeUNet(
            config: try g.config(GeneratorConfig.self), weights: g.file, prefix: "weight.",
            requireAllUsed: false)
        let sampler = DiffusionSampler(config: unet.config)
        #expect(sampler.dpmSolverTimesteps(5) == (g.info["timesteps"] as! [Int]))
        let remedy = g.info["remedy"] as? [String: Any] ?? [:]
        var settings = SamplerSettings(guidance: Float(g.info["guidance"] as! Double))
        settings.x0 = SamplerSettings.X0Treatment(rawValue: remedy["clip"] as? String ?? "clip")!
        settings.guidanceMinT = remedy["guidance_min_t"] as? Int ?? 0
        settings.guidanceMaxT = remedy["guidance_max_t"] as? Int ?? .max
        settings.rescale = Float(remedy["rescale"] as? Double ?? 0)
        settings.highFrequencyGuidance = (remedy["hf_guidance"] as? Double).map(Float.init)
        settings.highFrequencyPool = remedy["hf_pool"] as? Int ?? 2
        if let quantile = remedy["dynamic_quantile"] as? Double { settings.dynamicQuantile = Float(quantile) }
        settings.dynamicMinT = remedy["dynamic_min_t"] as? Int ?? 0
        var steps: [Tensor] = []
        let out = try sampler.dpmSolver(
            unet, maps: try g.tensor("input.map"), noise: try g.tensor("input.noise"), count: 5,
            settings: settings
        ) { _, x in steps.append(x) }
        #expect(steps.count == 5)
        for (i, x) in steps.enumerated() {
            GoldenCase.expectClose(x, try g.tensor("trajectory.\(i)"), "\(name) step \(i)")
        }
        GoldenCase.expectClose(out, try g.tensor("output"), "\(name) output")
    }

    @Test("dynamic thresholding's quantile interpolates like torch.quantile")
    func quantile() {
        #expect(DiffusionSampler.quantile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(DiffusionSampler.quantile([0, 10], 0.995) == 9.95)
        #expect(DiffusionSampler.quantile([5], 0.3) == 5)
    }

    @Test func segmenterForward() throws {
        let g = try GoldenCase("segmenter_forward")
        let seg = try Segmenter(
            config: try g.config(Segmenter.Config.self), weights: g.file, prefix: "weight.",
            requireAllUsed: false)
        GoldenCase.expectClose(seg.logits(try g.tensor("input.x")), try g.tensor("output"), "segmenter")
    }

    @Test func shippedWeightsOnAFixedScene() throws {
        let models = GoldenCase.repositoryRoot + "/models"
        let gen = try SpadeUNet(folder: models + "/generator")
        let g = try GoldenCase("shipped_generator_forward")
        let out = gen.forward(
            try g.tensor("input.x"), timesteps: try g.tensor("input.t").data,
            conditioning: try gen.condition(on: try g.tensor("input.map")))
        GoldenCase.expectClose(out, try g.tensor("output"), "shipped generator")
        let s = try GoldenCase("shipped_segmenter_forward")
        let seg = try Segmenter(folder: models + "/segmenter")
        GoldenCase.expectClose(seg.logits(try s.tensor("input.x")), try s.tensor("output"), "shipped segmenter")
    }
}
