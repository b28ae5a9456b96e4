import Foundation
import Imaging
import Testing
@testable import Generator
import Tensor

/// Whole networks and the sampler against the PyTorch reference.
@Suite struct ModelGoldenTests {
    func tinyUNet() throws -> (SpadeUNet, GoldenCase) {
        let g = try GoldenCase("unet_forward")
        return (try SpadeUNet(config: try g.config(GeneratorConfig.self), weights: g.file, prefix: "weight.", requireAllUsed: false), g)
    }

    @Test func unetForward() throws {
        let (unet, g) = try tinyUNet()
        let cond = try unet.condition(on: try g.tensor("input.map"))
        let out = unet.forward(try g.tensor("input.x"), timesteps: try g.tensor("input.t").data, conditioning: cond)
        GoldenCase.expectClose(out, try g.tensor("output"), "U-Net forward")
    }

    @Test func ddimTrajectoryWithGuidance() throws {
        let (unet, _) = try tinyUNet()
        let g = try GoldenCase("ddim_5_steps")
        let sampler = DiffusionSampler(config: unet.config)
        #expect(sampler.respaced(5) == (g.info["timesteps"] as! [Int]))
        var steps: [Tensor] = []
        let out = try sampler.ddim(unet, maps: try g.tensor("input.map"), noise: try g.tensor("input.noise"), count: 5,
                                   guidance: Float(g.info["guidance"] as! Double)) { _, x in steps.append(x) }
        #expect(steps.count == 5)
        for (i, x) in steps.enumerated() { GoldenCase.expectClose(x, try g.tensor("trajectory.\(i)"), "DDIM step \(i)") }
        GoldenCase.expectClose(out, try g.tensor("output"), "DDIM output")
    }

    @Test func segmenterForward() throws {
        let g = try GoldenCase("segmenter_forward")
        let seg = try Segmenter(config: try g.config(Segmenter.Config.self), weights: g.file, prefix: "weight.",
                                requireAllUsed: false)
        GoldenCase.expectClose(seg.logits(try g.tensor("input.x")), try g.tensor("output"), "segmenter")
    }

    @Test func shippedWeightsOnAFixedScene() throws {
        let models = GoldenCase.repositoryRoot + "/models"
        let gen = try SpadeUNet(folder: models + "/generator")
        let g = try GoldenCase("shipped_generator_forward")
        let out = gen.forward(try g.tensor("input.x"), timesteps: try g.tensor("input.t").data,
                              conditioning: try gen.condition(on: try g.tensor("input.map")))
        GoldenCase.expectClose(out, try g.tensor("output"), "shipped generator")
        let s = try GoldenCase("shipped_segmenter_forward")
        let seg = try Segmenter(folder: models + "/segmenter")
        GoldenCase.expectClose(seg.logits(try s.tensor("input.x")), try s.tensor("output"), "shipped segmenter")
    }
}
