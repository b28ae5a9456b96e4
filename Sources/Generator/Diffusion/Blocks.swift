import Foundation
import Tensor

/// Sinusoidal timestep features [cos(t·f_i), sin(t·f_i)], f_i = 10000^(−i/half) (guided-diffusion order).
public func timestepFeatures(_ t: [Float], dim: Int) -> Tensor {
    let half = dim / 2
    var out = [Float](repeating: 0, count: t.count * dim)
    for (n, step) in t.enumerated() {
        for i in 0..<half {
            // Float32 like PyTorch: exp(-ln(10000)·i/half) then t·f.
            let f = Float(exp(-log(10000.0) * Double(i) / Double(half)))
            let arg = step * f
            out[n * dim + i] = cosf(arg)
            out[n * dim + half + i] = sinf(arg)
        }
    }
    return Tensor(shape: [t.count, dim], data: out)
}

/// The timestep MLP: Linear(ch→4ch), SiLU, Linear(4ch→4ch) (`time_embed.0`, `time_embed.2`).
struct TimestepEmbedding {
    let first: Linear, second: Linear
    let channels: Int

    func callAsFunction(_ t: [Float]) -> Tensor {
        var h = first(timestepFeatures(t, dim: channels))
        Ops.siluInPlace(&h)
        return second(h)
    }
}

/// SPADE group norm: GroupNorm without affine, then x̂·(1 + γ) + β with γ, β predicted per pixel
/// from the map (resized nearest to the feature size) by conv3x3 → ReLU → conv3x3.
/// γ and β depend only on the map, so they are computed once per image (`modulation`) and reused
/// at every diffusion step.
struct SPADEGroupNorm {
    let groups: Int
    let shared: Conv2D, gamma: Conv2D, beta: Conv2D

    struct Modulation { let gamma: Tensor, beta: Tensor }

    /// γ and β for features of `height` × `width` in `layout`.
    func modulation(map: Tensor, height: Int, width: Int, layout: Tensor.Layout) -> Modulation {
        let hidden: Tensor.Layout = shared.outChannels % Tensor.channelBlock == 0 ? layout : .planar
        var actv = shared(Resample.resizeNearest(map, height: height, width: width), output: hidden)
        Ops.reluInPlace(&actv)
        return Modulation(gamma: gamma(actv, output: layout), beta: beta(actv, output: layout))
    }

    /// Normalises `x` and applies the map modulation, then the timestep modulation
    /// ((1 + scale)·v + shift, per sample and channel) and the activation, in one pass.
    func apply(_ x: inout Tensor, _ m: Modulation, scale: [Float]? = nil, shift: [Float]? = nil, activation: Activation)
    {
        let n = x.shape[0], c = x.shape[1], hw = x.count / (n * c), cpg = c / groups
        precondition(
            m.gamma.shape == x.shape && m.gamma.layout == x.layout,
            "SPADE modulation \(m.gamma.shape) does not match features \(x.shape)")
        let stats = GroupNorm.statistics(x, groups: groups, eps: 1e-5)
        let layout = x.layout, planes = x.blockPlanes
        x.data.withUnsafeMutableBufferPointer { p in
            m.gamma.data.withUnsafeBufferPointer { g in
                m.beta.data.withUnsafeBufferPointer { b in
                    let (pp, gg, bb) = (p.baseAddress!, g.baseAddress!, b.baseAddress!)
                    switch layout {
                    case .planar:
                        Parallel.forEachSlice(n * c) { slice in
                            for sc in slice {
                                let s = sc / c, ch = sc % c
                                let (mean, inv) = stats[s * groups + ch / cpg]
                                let k = 1 + (scale?[sc] ?? 0), t = shift?[sc] ?? 0
                                let start = sc * hw
                                Elementwise.spade(
                                    pp + start, gamma: gg + start, beta: bb + start, count: hw, mean: mean,
                                    inverseStd: inv,
                                    scale: k, shift: t, activation: activation)
                            }
                        }
                    case .blocked16:
                        let blocks = c / Tensor.channelBlock
                        Parallel.forEachSlice(planes.count, minimumPerWorker: 1) { slice in
                            BlockCoefficients.with(4) { lanes in
                                for plane in slice {
                                    let s = plane / blocks
                                    for l in 0..<Tensor.channelBlock {
                                        let ch = plane % blocks * Tensor.channelBlock + l
                                        (lanes[0][l], lanes[1][l]) = stats[s * groups + ch / cpg]
                                        lanes[2][l] = 1 + (scale?[s * c + ch] ?? 0)
                                        lanes[3][l] = shift?[s * c + ch] ?? 0
                                    }
                                    let start = plane * planes.floats
                                    Elementwise.spadeBlock(
                                        pp + start, gamma: gg + start, beta: bb + start, pixels: hw, mean: lanes[0],
                                        inverseStd: lanes[1], scale: lanes[2], shift: lanes[3], activation: activation)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How a block resamples: nothing, nearest ×2 up, or 2×2 average down (applied to both the
/// residual path after its first norm and the skip path, as guided-diffusion does).
enum Resampling {
    case none, up, down
    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .none: return x
        case .up: return Resample.upsampleNearest2x(x)
        case .down: return Resample.averagePool2x2(x)
        }
    }
}

/// Splits an [N, 2C] embedding projection into per-(sample, channel) scale and shift.
func scaleShift(_ e: Tensor, channels c: Int) -> ([Float], [Float]) {
    let n = e.shape[0]
    var scale = [Float](repeating: 0, count: n * c), shift = scale
    for s in 0..<n {
        for ch in 0..<c {
            scale[s * c + ch] = e.data[s * 2 * c + ch]
            shift[s * c + ch] = e.data[s * 2 * c + c + ch]
        }
    }
    return (scale, shift)
}

/// Encoder residual block (`ResBlock`): GN-SiLU-conv, timestep scale/shift on the second GN,
/// SiLU-conv, plus the (1×1-projected when channels change) input.
struct ResBlock {
    let inNorm: GroupNorm, inConv: Conv2D
    let embedding: Linear
    let outNorm: GroupNorm, outConv: Conv2D
    let skip: Conv2D?
    let resampling: Resampling

    /// `emb` is SiLU(timestep embedding), shared by all blocks.
    func callAsFunction(_ x: Tensor, emb: Tensor) -> Tensor {
        var h = inNorm(x, activation: .silu)
        h = inConv(resampling(h))
        let x = resampling(x)
        let (scale, shift) = scaleShift(embedding(emb), channels: outConv.outChannels)
        outNorm.apply(&h, scale: scale, shift: shift, activation: .silu)
        h = outConv(h)
        Ops.accumulate(&h, skip.map { $0(x) } ?? x)
        return h
    }
}

/// Decoder / middle residual block (`SDMResBlock`): as `ResBlock` with both norms SPADE.
struct SDMResBlock {
    let inNorm: SPADEGroupNorm, inConv: Conv2D
    let embedding: Linear
    let outNorm: SPADEGroupNorm, outConv: Conv2D
    let skip: Conv2D?
    let resampling: Resampling

    /// The map modulations of both norms at this block's feature sizes.
    func modulations(map: Tensor, height: Int, width: Int, layout: Tensor.Layout)
        -> (SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation)
    {
        let (oh, ow) = resampling == .up ? (2 * height, 2 * width) : (height, width)
        return (
            inNorm.modulation(map: map, height: height, width: width, layout: layout),
            outNorm.modulation(map: map, height: oh, width: ow, layout: layout)
        )
    }

    func callAsFunction(_ x: Tensor, emb: Tensor, _ m: (SPADEGroupNorm.Modulation, SPADEGroupNorm.Modulation)) -> Tensor
    {
        var h = x
        inNorm.apply(&h, m.0, activation: .silu)
        h = inConv(resampling(h))
        let x = resampling(x)
        let (scale, shift) = scaleShift(embedding(emb), channels: outConv.outChannels)
        outNorm.apply(&h, m.1, scale: scale, shift: shift, activation: .silu)
        h = outConv(h)
        Ops.accumulate(&h, skip.map { $0(x) } ?? x)
        return h
    }
}

/// Self-attention block: GN → 1×1 qkv → multi-head attention → 1×1 projection → + input.
struct AttentionBlock {
    let norm: GroupNorm
    let qkv: Conv2D, projection: Conv2D
    let heads: Int

    func callAsFunction(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], t = x.shape[2] * x.shape[3]
        // Attention's matrix products read channels as rows: planar in, back to x's layout out.
        let q = qkv(norm(x), output: .planar).reshaped([n, 3 * c, t])
        let a = SelfAttention.attend(qkv: q, heads: heads).reshaped(x.shape)
        var y = projection(a, output: x.layout)
        Ops.accumulate(&y, x)
        return y
    }
}
