import Foundation
import Tensor

/// The generator network ε_θ(x_t, t, map), built from a `GeneratorConfig` and weights named as
/// in guided-diffusion / SDM (`time_embed.0`, `input_blocks.N.M.…`, `middle_block.…`,
/// `output_blocks.…`, `out.0`, `out.2`). The map enters only the middle block and decoder
/// (through SPADE norms); the encoder sees the noisy image and the timestep.
public final class SpadeUNet: @unchecked Sendable {
    public let config: GeneratorConfig

    enum Layer {
        case conv(Conv2D)
        case res(ResBlock)
        case sdm(SDMResBlock)
        case attention(AttentionBlock)
    }

    let timeEmbedding: TimestepEmbedding
    let inputBlocks: [[Layer]]
    let middleBlock: [Layer]
    let outputBlocks: [[Layer]]
    let outNorm: GroupNorm
    let outConv: Conv2D
    public let memory: MemoryPlan

    /// How the network trades memory for time.
    public enum MemoryPlan: String, Sendable {
        /// Weights in memory (packed once), every SPADE modulation computed once per image, the guided
        /// batch's decoders in one pass: the fastest, for models that fit.
        case resident
        /// Convolution weights read from the model file at each call, SPADE modulations computed per block
        /// at each step, the decoder run once per map of a guided batch: SDM's 256x512 network (654 M
        /// parameters) in a few GB instead of ≈ 15.
        case lean

        /// `lean` for models whose float32 weights exceed `leanAboveBytes`, `resident` below.
        public static func automatic(parameters: Int) -> MemoryPlan {
            parameters > leanAboveBytes / MemoryLayout<Float>.size ? .lean : .resident
        }

        /// 1 GiB of float32 weights (268 M parameters; the shipped 64x128 generator has far fewer).
        public static let leanAboveBytes = 1 << 30
    }

    /// Loads `config.json` and `model.safetensors` from a model folder.
    public convenience init(folder: String, memory: MemoryPlan? = nil) throws {
        let config = try GeneratorConfig.load(path: (folder as NSString).appendingPathComponent("config.json"))
        let weights = try SafeTensorsFile(path: (folder as NSString).appendingPathComponent("model.safetensors"))
        try self.init(config: config, weights: weights, memory: memory)
    }

    /// `memory` nil: `MemoryPlan.automatic` for the file's parameter count.
    public init(
        config: GeneratorConfig, weights: SafeTensorsFile, prefix: String = "", requireAllUsed: Bool = true,
        memory: MemoryPlan? = nil
    ) throws {
        self.config = config
        let plan = memory ?? .automatic(parameters: weights.parameterCount)
        self.memory = plan
        let w = WeightLoader(file: weights, streaming: plan == .lean)
        let ch0 = config.model_channels, emb = 4 * ch0
        func res(_ p: String, _ cin: Int, _ cout: Int, _ r: Resampling) throws -> ResBlock {
            try w.resBlock(p, config: config, in: cin, out: cout, resampling: r)
        }
        func sdm(_ p: String, _ cin: Int, _ cout: Int, _ r: Resampling) throws -> SDMResBlock {
            try w.sdmResBlock(p, config: config, in: cin, out: cout, resampling: r)
        }
        func attention(_ p: String, _ c: Int) throws -> AttentionBlock {
            try w.attentionBlock(p, config: config, channels: c)
        }
        let g = config.num_groups
        let P = prefix
        timeEmbedding = TimestepEmbedding(
            first: try w.linear(P + "time_embed.0", in: ch0, out: emb),
            second: try w.linear(P + "time_embed.2", in: emb, out: emb),
            channels: ch0)
        var input: [[Layer]] = [
            [.conv(try w.conv(P + "input_blocks.0.0", in: config.in_channels, out: ch0, kernel: 3))]
        ]
        var skips = [ch0]
        var ch = ch0, ds = 1
        for (level, mult) in config.channel_mult.enumerated() {
            for _ in 0..<config.num_res_blocks {
                let p = P + "input_blocks.\(input.count)"
                var layers: [Layer] = [.res(try res(p + ".0", ch, mult * ch0, .none))]
                ch = mult * ch0
                if config.attention_resolutions.contains(ds) { layers.append(.attention(try attention(p + ".1", ch))) }
                input.append(layers)
                skips.append(ch)
            }
            if level != config.channel_mult.count - 1 {
                input.append([.res(try res(P + "input_blocks.\(input.count).0", ch, ch, .down))])
                skips.append(ch)
                ds *= 2
            }
        }
        inputBlocks = input
        middleBlock = [
            .sdm(try sdm(P + "middle_block.0", ch, ch, .none)), .attention(try attention(P + "middle_block.1", ch)),
            .sdm(try sdm(P + "middle_block.2", ch, ch, .none)),
        ]
        var output: [[Layer]] = []
        for (level, mult) in config.channel_mult.enumerated().reversed() {
            for i in 0...config.num_res_blocks {
                let p = P + "output_blocks.\(output.count)"
                let skip = skips.removeLast()
                var layers: [Layer] = [.sdm(try sdm(p + ".0", ch + skip, ch0 * mult, .none))]
                ch = ch0 * mult
                if config.attention_resolutions.contains(ds) {
                    layers.append(.attention(try attention(p + ".\(layers.count)", ch)))
                }
                if level > 0 && i == config.num_res_blocks {
                    layers.append(.sdm(try sdm(p + ".\(layers.count)", ch, ch, .up)))
                    ds /= 2
                }
                output.append(layers)
            }
        }
        outputBlocks = output
        outNorm = try w.groupNorm(P + "out.0", channels: ch, groups: g)
        outConv = try w.conv(P + "out.2", in: ch0, out: config.out_channels, kernel: 3)
        if requireAllUsed { try w.checkAllUsed() }
    }

    /// A batch of maps [N, K, H, W] the network is conditioned on, with (`resident`) the map modulations of
    /// every SPADE norm in the order the forward pass meets them, computed once per image and reused at every
    /// step; `lean` computes each block's when it runs.
    public struct Conditioning {
        let map: Tensor
        let modulations: [(SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation)]?
        /// The layout of the network's activations (and of the modulations) for this conditioning.
        let layout: Tensor.Layout
        public var batch: Int { map.shape[0] }
    }

    /// The layout the activations take (`Tensor.Layout.activations`).
    var activationLayout: Tensor.Layout {
        .activations(channels: config.channel_mult.map { $0 * config.model_channels } + [config.model_channels])
    }

    public func condition(on map: Tensor) throws -> Conditioning {
        guard map.shape.count == 4, map.shape[1] == config.num_classes,
            map.shape[2] == config.image_height, map.shape[3] == config.image_width
        else {
            throw ModelError(
                "semantic map has shape \(map.shape), the generator expects [N, \(config.num_classes), \(config.image_height), \(config.image_width)]"
            )
        }
        let layout = activationLayout
        guard memory == .resident else { return Conditioning(map: map, modulations: nil, layout: layout) }
        var mods: [(SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation)] = []
        forEachSDMBlock { block, h, w in mods.append(block.modulations(map: map, height: h, width: w, layout: layout)) }
        return Conditioning(map: map, modulations: mods, layout: layout)
    }

    /// Every SPADE block of the middle and decoder in forward order, with its input's height and width.
    private func forEachSDMBlock(_ body: (SDMResBlock, Int, Int) -> Void) {
        let levels = config.channel_mult.count - 1
        var h = config.image_height >> levels, w = config.image_width >> levels
        for layer in middleBlock + outputBlocks.joined() {
            if case .sdm(let b) = layer {
                body(b, h, w)
                if b.resampling == .up { h *= 2; w *= 2 }
            }
        }
    }

    /// ε (and the variance channels when learn_sigma) for x [N, 3, H, W] at timesteps `t`.
    ///
    /// The conditioning may hold a multiple k·N of maps (guidance: maps then null maps). The map
    /// never enters the encoder, so the encoder runs once on the N images: a guided step costs one
    /// encoder pass, not two. `resident` repeats its output and skip activations k times and runs
    /// the decoder on all k·N; `lean` runs the decoder k times on N, sharing the skips. The result
    /// has k·N samples, in the conditioning's order.
    public func forward(_ x: Tensor, timesteps t: [Float], conditioning c: Conditioning) -> Tensor {
        let n = x.shape[0]
        precondition(n == t.count && c.batch % n == 0, "batch sizes differ: x \(n), t \(t.count), maps \(c.batch)")
        let repeats = c.batch / n
        var emb = timeEmbedding(t)
        Ops.siluInPlace(&emb)  // every block's emb_layers starts with SiLU
        var skips: [Tensor] = []
        var h = x
        for block in inputBlocks {
            for layer in block { h = run(layer, h, emb, layout: c.layout) }
            skips.append(h)
        }
        if let modulations = c.modulations {
            let repeatBatch = { (a: Tensor) in
                repeats == 1 ? a : Ops.concatBatch([Tensor](repeating: a, count: repeats))
            }
            var mods = modulations.makeIterator()
            return decode(repeatBatch(h), skips: skips.map(repeatBatch), emb: repeatBatch(emb)) { _, _, _ in
                mods.next()!
            }
        }
        let outputs = (0..<repeats).map { r in
            let map = c.map.slice(batch: r * n..<(r + 1) * n)
            return decode(h, skips: skips, emb: emb) { block, height, width in
                block.modulations(map: map, height: height, width: width, layout: c.layout)
            }
        }
        return repeats == 1 ? outputs[0] : Ops.concatBatch(outputs)
    }

    /// The middle block and decoder on `h` with the encoder's `skips`; `modulation` gives each SPADE block's
    /// pair, in forward order, from the block and its input's height and width.
    private func decode(
        _ h: Tensor, skips: [Tensor], emb: Tensor,
        modulation: (SDMResBlock, Int, Int) -> (SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation)
    ) -> Tensor {
        var h = h, skips = skips
        func apply(_ layer: Layer) { h = run(layer, h, emb, layout: h.layout, modulation: modulation) }
        middleBlock.forEach(apply)
        for block in outputBlocks {
            h = Ops.concatChannels(h, skips.removeLast())
            block.forEach(apply)
        }
        outNorm.apply(&h, activation: .silu)
        return outConv(h, output: .planar)
    }

    /// One layer on `h`. A bare convolution (only the first, which takes the planar image) writes `layout`, the
    /// activations'; a SPADE block (only in the middle block and decoder) gets its pair from `modulation`.
    private func run(
        _ layer: Layer, _ h: Tensor, _ emb: Tensor, layout: Tensor.Layout,
        modulation: (SDMResBlock, Int, Int) -> (SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation) = { _, _, _ in
            preconditionFailure("a SPADE block outside the decoder")
        }
    ) -> Tensor {
        switch layer {
        case .conv(let conv): return conv(h, output: layout)
        case .res(let block): return block(h, emb: emb)
        case .sdm(let block): return block(h, emb: emb, modulation(block, h.shape[2], h.shape[3]))
        case .attention(let block): return block(h)
        }
    }
}
