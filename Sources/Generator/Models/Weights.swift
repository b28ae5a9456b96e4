import Tensor

/// Looks weights up by their PyTorch state-dict names, checking shapes, and records which
/// names were used so unexpected extra tensors can be reported.
final class WeightLoader {
    let file: SafeTensorsFile
    private(set) var used: Set<String> = []

    init(file: SafeTensorsFile) { self.file = file }

    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        used.insert(name)
        return try file.tensor(name, shape: shape)
    }

    func vector(_ name: String, _ count: Int) throws -> [Float] { try tensor(name, [count]).data }

    func conv(_ prefix: String, in cin: Int, out cout: Int, kernel: Int, stride: Int = 1) throws -> Conv2D {
        Conv2D(weight: try tensor(prefix + ".weight", [cout, cin, kernel, kernel]), bias: try vector(prefix + ".bias", cout),
               stride: stride, padding: kernel / 2)
    }

    func linear(_ prefix: String, in inF: Int, out outF: Int) throws -> Linear {
        Linear(weight: try tensor(prefix + ".weight", [outF, inF]), bias: try vector(prefix + ".bias", outF))
    }

    func groupNorm(_ prefix: String, channels: Int, groups: Int) throws -> GroupNorm {
        GroupNorm(groups: groups, weight: try vector(prefix + ".weight", channels), bias: try vector(prefix + ".bias", channels))
    }

    /// Throws if the file holds tensors the model did not use (a config mismatch).
    func checkAllUsed() throws {
        let extra = Set(file.entries.keys).subtracting(used)
        if let name = extra.sorted().first {
            throw ModelError("\(file.path): tensor \(name) is not part of the model the config describes (\(extra.count) unused tensors)")
        }
    }
}

/// Builders of the generator's blocks from weights under a name prefix.
extension WeightLoader {
    func resBlock(_ p: String, config: GeneratorConfig, in cin: Int, out cout: Int, resampling: Resampling) throws -> ResBlock {
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

    func sdmResBlock(_ p: String, config: GeneratorConfig, in cin: Int, out cout: Int, resampling: Resampling) throws -> SDMResBlock {
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
            qkv: Conv2D(weight: try tensor(p + ".qkv.weight", [3 * c, c, 1]).reshaped([3 * c, c, 1, 1]),
                        bias: try vector(p + ".qkv.bias", 3 * c)),
            projection: Conv2D(weight: try tensor(p + ".proj_out.weight", [c, c, 1]).reshaped([c, c, 1, 1]),
                               bias: try vector(p + ".proj_out.bias", c)),
            heads: heads)
    }
}
