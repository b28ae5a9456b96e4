import ChannelModels
import Foundation
import Tensor
import Testing

@testable import Generator

/// Every layer type against the PyTorch reference (random weights, fixed seeds).
@Suite struct LayerGoldenTests {
    @Test(arguments: ["conv3x3", "conv1x1", "conv3x3_stride2"])
    func convolution(name: String) throws {
        let g = try GoldenCase(name)
        let w = try g.tensor("weight.weight")
        let stride = g.info["stride"] as? Int ?? 1, padding = g.info["padding"] as? Int ?? 0
        let conv = Conv2D(weight: w, bias: try g.tensor("weight.bias").data, stride: stride, padding: padding)
        GoldenCase.expectClose(conv(try g.tensor("input.x")), try g.tensor("output"), name)
    }

    @Test func groupNormAffineAndPlain() throws {
        let a = try GoldenCase("groupnorm_affine")
        let gn = GroupNorm(
            groups: 4, weight: try a.tensor("weight.weight").data, bias: try a.tensor("weight.bias").data)
        GoldenCase.expectClose(gn(try a.tensor("input.x")), try a.tensor("output"), "groupnorm affine")
        let p = try GoldenCase("groupnorm_plain")
        GoldenCase.expectClose(GroupNorm(groups: 4)(try p.tensor("input.x")), try p.tensor("output"), "groupnorm plain")
    }

    /// The activations' layouts a layer runs in (blocked: oneDNN's nChw16c, as the U-Net runs on oneDNN).
    static let layouts: [Tensor.Layout] = [.planar, .blocked16]

    @Test(arguments: layouts)
    func spadeGroupNorm(layout: Tensor.Layout) throws {
        let g = try GoldenCase("spade_groupnorm")
        let w = WeightLoader(golden: g)
        let spade = SPADEGroupNorm(
            groups: 4, shared: try w.conv("weight.mlp_shared.0", in: 5, out: 8, kernel: 3),
            gamma: try w.conv("weight.mlp_gamma", in: 8, out: 16, kernel: 3),
            beta: try w.conv("weight.mlp_beta", in: 8, out: 16, kernel: 3))
        var x = try g.tensor("input.x").converted(to: layout)
        let m = spade.modulation(map: try g.tensor("input.map"), height: x.shape[2], width: x.shape[3], layout: layout)
        spade.apply(&x, m, activation: .none)
        #expect(x.layout == layout)
        GoldenCase.expectClose(x, try g.tensor("output"), "spade")
    }

    static let tinyConfig: GeneratorConfig = try! GoldenCase("unet_forward").config(GeneratorConfig.self)

    @Test(arguments: layouts)
    func encoderResBlockWithAndWithoutDownsampling(layout: Tensor.Layout) throws {
        for (name, cout, r) in [("resblock_encoder_down", 64, Resampling.down), ("resblock_encoder", 32, .none)] {
            let g = try GoldenCase(name)
            let block = try WeightLoader(golden: g).resBlock(
                "weight", config: Self.tinyConfig, in: 32, out: cout, resampling: r)
            let emb = Ops.silu(try g.tensor("input.emb"))
            let y = block(try g.tensor("input.x").converted(to: layout), emb: emb)
            #expect(y.layout == layout)
            GoldenCase.expectClose(y, try g.tensor("output"), name)
        }
    }

    @Test(arguments: layouts)
    func decoderResBlockWithUpsampling(layout: Tensor.Layout) throws {
        let g = try GoldenCase("resblock_decoder_up")
        let block = try WeightLoader(golden: g).sdmResBlock(
            "weight", config: Self.tinyConfig, in: 64, out: 32, resampling: .up)
        let x = try g.tensor("input.x").converted(to: layout)
        let m = block.modulations(map: try g.tensor("input.map"), height: x.shape[2], width: x.shape[3], layout: layout)
        let y = block(x, emb: Ops.silu(try g.tensor("input.emb")), m)
        #expect(y.layout == layout)
        GoldenCase.expectClose(y, try g.tensor("output"), "sdm block")
    }

    @Test(arguments: layouts)
    func attention(layout: Tensor.Layout) throws {
        let g = try GoldenCase("attention")
        let block = try WeightLoader(golden: g).attentionBlock("weight", config: Self.tinyConfig, channels: 32)
        #expect(block.heads == g.info["heads"] as! Int)
        let y = block(try g.tensor("input.x").converted(to: layout))
        #expect(y.layout == layout)
        GoldenCase.expectClose(y, try g.tensor("output"), "attention")
    }

    @Test func timestepEmbedding() throws {
        let g = try GoldenCase("timestep_embedding")
        let t = try g.tensor("input.t").data
        GoldenCase.expectClose(timestepFeatures(t, dim: 32), try g.tensor("sinusoidal"), "sinusoidal")
        let w = WeightLoader(golden: g)
        let mlp = TimestepEmbedding(
            first: try w.linear("weight.0", in: 32, out: 128), second: try w.linear("weight.2", in: 128, out: 128),
            channels: 32)
        GoldenCase.expectClose(mlp(t), try g.tensor("output"), "timestep MLP")
    }

    @Test func resamplingAndFilters() throws {
        let up = try GoldenCase("upsample_nearest"), down = try GoldenCase("downsample_avg")
        GoldenCase.expectClose(Resample.upsampleNearest2x(try up.tensor("input.x")), try up.tensor("output"), "up")
        GoldenCase.expectClose(Resample.averagePool2x2(try down.tensor("input.x")), try down.tensor("output"), "down")
        let r = try GoldenCase("resize_nearest")
        GoldenCase.expectClose(
            Resample.resizeNearest(try r.tensor("input.x"), height: 4, width: 8), try r.tensor("output"), "resize")
        let f = try GoldenCase("fds")
        // The receiver's FDS (ChannelModels) filters each plane on its own, so N×C planes of the
        // NCHW golden input are one ClassPlanes.
        let x = try f.tensor("input.x")
        let planes = ClassPlanes(
            channels: x.shape[0] * x.shape[1], height: x.shape[2], width: x.shape[3], values: x.data)
        let fds = Tensor(shape: x.shape, data: FastDenoisingSemantic.apply(planes).values)
        GoldenCase.expectClose(fds, try f.tensor("output"), "FDS")
    }

    /// The receiver's Potts denoiser (`ChannelModels.PottsDenoiser`) and noise estimate against
    /// `channel.py`'s `potts_marginals` / `estimate_noise_std`.
    @Test func pottsDenoiserAndNoiseEstimate() throws {
        let g = try GoldenCase("potts")
        let input = try g.tensor("input.planes")
        let planes = ClassPlanes(
            channels: input.shape[0], height: input.shape[1], width: input.shape[2], values: input.data)
        let sigma = AnalogNoiseEstimate.standardDeviation(of: planes.values)
        let expectedSigma = try g.tensor("noise_std").data[0]
        #expect(abs(sigma - expectedSigma) < 1e-5 * expectedSigma, "σ \(sigma) vs \(expectedSigma)")
        let q = PottsDenoiser.marginals(planes, noiseStd: expectedSigma)
        let expected = try g.tensor("marginals")
        GoldenCase.expectClose(Tensor(shape: expected.shape, data: q.values), expected, "Potts marginals")
        let labels = try g.tensor("labels").data.map { Int($0) }
        #expect(PottsDenoiser.decide(planes, noiseStd: expectedSigma) == labels)
    }

    /// `channel.py`'s `fit_fading` and `potts_marginals(fit=)`: MMSE-equalised Rayleigh block fading.
    @Test func pottsDenoiserUnderBlockFading() throws {
        let g = try GoldenCase("potts_fading")
        let input = try g.tensor("input.planes")
        let planes = ClassPlanes(
            channels: input.shape[0], height: input.shape[1], width: input.shape[2], values: input.data)
        let length = try #require(g.info["block_length"] as? Int)
        let fit = FadingEstimate.fit(planes.values, blockLength: length, classCount: planes.channels)
        #expect(fit.family.rawValue == g.info["family"] as? String)
        let levels = try g.tensor("levels").data, variances = try g.tensor("variances").data
        #expect(fit.blocks.count == levels.count)
        for (b, channel) in fit.blocks.enumerated() {
            #expect(abs(channel.level - levels[b]) < 2e-3, "block \(b) level \(channel.level) vs \(levels[b])")
            #expect(
                abs(channel.variance / variances[b] - 1) < 1e-2,
                "block \(b) variance \(channel.variance) vs \(variances[b])")
        }
        let logLikelihood = try #require(g.info["log_likelihood"] as? Double)
        #expect(abs(fit.logLikelihood - logLikelihood) < 1e-3 * abs(logLikelihood))
        // The marginals under the reference's channels (the fit's own differ by the search's last digits).
        let reference = FadingEstimate.Fit(
            family: fit.family, blockLength: length,
            blocks: zip(levels, variances).map { SymbolChannel(level: $0, variance: $1) }, logLikelihood: logLikelihood)
        let q = PottsDenoiser.marginals(planes, noise: .fading(reference))
        let expected = try g.tensor("marginals")
        GoldenCase.expectClose(Tensor(shape: expected.shape, data: q.values), expected, "Potts marginals under fading")
        let labels = try g.tensor("labels").data.map { Int($0) }
        #expect(PottsDenoiser.decide(planes, noise: .fading(fit)) == labels)
    }
}
