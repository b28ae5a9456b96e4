import Tensor

/// Looks weights up by their PyTorch state-dict names, checking shapes, and records which
/// names were used so unexpected extra tensors can be reported.
final class WeightLoader {
    let file: SafeTensorsFile
    /// Convolution weights stay in the file and are read at each call (`Conv2D.Storage.streamed`).
    let streaming: Bool
    private(set) var used: Set<String> = []

    init(file: SafeTensorsFile, streaming: Bool = false) {
        self.file = file
        self.streaming = streaming
    }

    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        used.insert(name)
        return try file.tensor(name, shape: shape)
    }

    func vector(_ name: String, _ count: Int) throws -> [Float] { try tensor(name, [count]).data }

    func conv(_ prefix: String, in cin: Int, out cout: Int, kernel: Int, stride: Int = 1) throws -> Conv2D {
        try conv(prefix, stored: [cout, cin, kernel, kernel], stride: stride)
    }

    /// A convolution whose weight is stored with shape `stored` (attention's 1×1 convs are [Cout, Cin, 1]).
    private func conv(_ prefix: String, stored: [Int], stride: Int = 1) throws -> Conv2D {
        let name = prefix + ".weight", bias = try vector(prefix + ".bias", stored[0])
        let k = stored.count == 4 ? stored[2] : 1
        let shape = [stored[0], stored[1], k, k]
        if streaming {
            used.insert(name)
            return Conv2D(streamed: try file.streamed(name, shape: stored).reshaped(shape), bias: bias, stride: stride)
        }
        return Conv2D(weight: try tensor(name, stored).reshaped(shape), bias: bias, stride: stride)
    }

    func linear(_ prefix: String, in inF: Int, out outF: Int) throws -> Linear {
        Linear(weight: try tensor(prefix + ".weight", [outF, inF]), bias: try vector(prefix + ".bias", outF))
    }

    func groupNorm(_ prefix: String, channels: Int, groups: Int) throws -> GroupNorm {
        GroupNorm(
            groups: groups, weight: try vector(prefix + ".weight", channels),
            bias: try vector(prefix + ".bias", channels))
    }

    /// Throws if the file holds tensors the model did not use (a config mismatch).
    func checkAllUsed() throws {
        let extra = Set(file.entries.keys).subtracting(used)
        if let name = extra.sorted().first {
            throw ModelError(
                "\(file.path): tensor \(name) is not part of the model the config describes (\(extra.count) unused tensors)"
            )
        }
    }
}

/// Builders of the generator's blocks from weights under a name prefix.
extension WeightLoader {
    func resBlock(_ p: String, config: GeneratorConfig, in cin: Int, out cout: Int, resampling: Resampling) throws
        -> ResBlock
    {
        let g = config.num_groups, emb = 4 * config.model_channels
        return ResBlock(
            inNorm: try groupNorm(p + ".in_layers.0", channels: cin, groups: g),
            inConv: try conv(p + ".in_layers.2", in: cin, out: cout, kernel: 3),
            embedding: try linear(p + ".emb_layers.1", in: emb, out: 2 * cout),
            outNorm: try groupNorm(p + ".out_layers.0", channels: cout, groups: g),
            outConv: try conv(p + ".out_layers.3", in: cout, out: cout, kernel: 3),
            skip: cin == cout ? nil : try conv(p + ".skip_connection", in: cin, out: cout, kernel: 1),
            resampling: resampling)
    }

    func spadeNorm(_ p: String, config: GeneratorConfig, channels c: Int) throws -> SPADEGroupNorm {
        let k = config.num_classes, hid = config.spade_hidden
        return SPADEGroupNorm(
            groups: config.num_groups, shared: try conv(p + ".mlp_shared.0", in: k, out: hid, kernel: 3),
            gamma: try conv(p + ".mlp_gamma", in: hid, out: c, kernel: 3),
            beta: try conv(p + ".mlp_beta", in: hid, out: c, kernel: 3))
    }

    func sdmResBlock(_ p: String, config: GeneratorConfig, in cin: Int, out cout: Int, resampling: Resampling) throws
        -> SDMResBlock
    {
        let emb = 4 * config.model_channels
        return SDMResBlock(
            inNorm: try spadeNorm(p + ".in_norm", config: config, channels: cin),
            inConv: try conv(p + ".in_layers.1", in: cin, out: cout, kernel: 3),
            embedding: try linear(p + ".emb_layers.1", in: emb, out: 2 * cout),
            outNorm: try spadeNorm(p + ".out_norm", config: config, channels: cout),
            outConv: try conv(p + ".out_layers.2", in: cout, out: cout, kernel: 3),
            skip: cin == cout ? nil : try conv(p + ".skip_connection", in: cin, out: cout, kernel: 1),
            resampling: resampling)
    }

    func attentionBlock(_ p: String, config: GeneratorConfig, channels c: Int) throws -> AttentionBlock {
        let heads = config.num_head_channels == -1 ? config.num_heads : c / config.num_head_channels
        return AttentionBlock(
            norm: try groupNorm(p + ".norm", channels: c, groups: config.num_groups),
            qkv: try conv(p + ".qkv", stored: [3 * c, c, 1]),
            projection: try conv(p + ".proj_out", stored: [c, c, 1]),
            heads: heads)
    }
}
