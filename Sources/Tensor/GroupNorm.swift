import CKernels

/// An activation fused into a normalisation pass.
public enum Activation: Sendable {
    case none, silu, relu

    /// The code of the C kernels (`semcom_kernels.h`).
    public var kernelCode: Int32 {
        switch self {
        case .none: Int32(SEMCOM_ACTIVATION_NONE)
        case .relu: Int32(SEMCOM_ACTIVATION_RELU)
        case .silu: Int32(SEMCOM_ACTIVATION_SILU)
        }
    }
}

/// Group normalisation over (channels-per-group × H × W) per sample, eps = 1e-5 as PyTorch;
/// optionally affine (per-channel weight and bias), optionally followed by a per-(sample,
/// channel) timestep modulation x·(1 + scale) + shift and an activation — all in one pass,
/// since each is a per-channel affine map before the activation.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let weight: [Float]?, bias: [Float]?
    public let eps: Float

    public init(groups: Int, weight: [Float]? = nil, bias: [Float]? = nil, eps: Float = 1e-5) {
        self.groups = groups
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor, activation: Activation = .none) -> Tensor {
        var y = x
        apply(&y, activation: activation)
        return y
    }

    /// Normalises in place. `scale`/`shift` ([N·C]) apply the timestep modulation after the affine.
    public func apply(_ x: inout Tensor, scale: [Float]? = nil, shift: [Float]? = nil, activation: Activation = .none) {
        let n = x.shape[0], c = x.shape[1], hw = x.count / (n * c)
        precondition(c % groups == 0, "GroupNorm: \(c) channels not divisible by \(groups) groups")
        let stats = GroupNorm.statistics(x, groups: groups, eps: eps)
        let cpg = c / groups
        /// Channel `ch` of sample `s` as act(v·a + b).
        func coefficients(_ s: Int, _ ch: Int) -> (a: Float, b: Float) {
            let (mean, inv) = stats[s * groups + ch / cpg]
            let k = 1 + (scale?[s * c + ch] ?? 0), t = shift?[s * c + ch] ?? 0
            let a = inv * (weight?[ch] ?? 1) * k
            return (a, ((bias?[ch] ?? 0) - mean * inv * (weight?[ch] ?? 1)) * k + t)
        }
        let layout = x.layout, planes = layout == .blocked16 ? x.blockPlanes : (count: 0, floats: 0)
        x.data.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            switch layout {
            case .planar:
                Parallel.forEachSlice(n * c) { slice in
                    for sc in slice {
                        let (a, b) = coefficients(sc / c, sc % c)
                        Elementwise.affine(base + sc * hw, count: hw, a: a, b: b, activation: activation)
                    }
                }
            case .blocked16:
                let blocks = c / Tensor.channelBlock
                Parallel.forEachSlice(planes.count, minimumPerWorker: 1) { slice in
                    BlockCoefficients.with(2) { lanes in
                        for plane in slice {
                            for l in 0..<Tensor.channelBlock {
                                (lanes[0][l], lanes[1][l]) = coefficients(
                                    plane / blocks, plane % blocks * Tensor.channelBlock + l)
                            }
                            semcom_block_affine(
                                base + plane * planes.floats, hw, lanes[0], lanes[1], activation.kernelCode)
                        }
                    }
                }
            }
        }
    }

    /// (mean, 1/√(var+eps)) per (sample, group), accumulated in double (two passes: stable).
    public static func statistics(_ x: Tensor, groups: Int, eps: Float) -> [(Float, Float)] {
        if x.layout == .blocked16 { return blockedStatistics(x, groups: groups, eps: eps) }
        let n = x.shape[0], c = x.shape[1], hw = x.count / (n * c), size = c / groups * hw
        var out = [(Float, Float)](repeating: (0, 0), count: n * groups)
        x.data.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                Parallel.forEachSlice(n * groups, minimumPerWorker: 2) { slice in
                    for sg in slice {
                        let s = sg / groups, g = sg % groups
                        let start = (s * c + g * (c / groups)) * hw
                        var mean = 0.0, sq = 0.0
                        semcom_moments(p.baseAddress! + start, size, &mean, &sq)
                        o[sg] = (Float(mean), Float(1 / (sq / Double(size) + Double(eps)).squareRoot()))
                    }
                }
            }
        }
        return out
    }

    /// `statistics` of a blocked tensor, whose groups may straddle blocks: per-channel Σv and Σv² in double in one
    /// pass, summed over each group's channels.
    private static func blockedStatistics(_ x: Tensor, groups: Int, eps: Float) -> [(Float, Float)] {
        let n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3], cpg = c / groups, size = Double(cpg * hw)
        let planes = x.blockPlanes
        var sums = [Double](repeating: 0, count: n * c), squares = sums
        x.data.withUnsafeBufferPointer { p in
            sums.withUnsafeMutableBufferPointer { s in
                squares.withUnsafeMutableBufferPointer { q in
                    let (pp, ss, qq) = (p.baseAddress!, s.baseAddress!, q.baseAddress!)
                    Parallel.forEachSlice(planes.count, minimumPerWorker: 1) { slice in
                        for plane in slice {
                            let lanes = plane * Tensor.channelBlock
                            semcom_block_moments(pp + plane * planes.floats, hw, ss + lanes, qq + lanes)
                        }
                    }
                }
            }
        }
        return (0..<(n * groups)).map { sg in
            let channels = (sg * cpg)..<((sg + 1) * cpg)  // sample s's group g: channels s·c + g·cpg …
            let mean = sums[channels].reduce(0, +) / size
            let variance = max(0, squares[channels].reduce(0, +) / size - mean * mean)
            return (Float(mean), Float(1 / (variance + Double(eps)).squareRoot()))
        }
    }
}

/// Small fused element-wise kernels.
public enum Elementwise {
    /// p[i] = act(p[i]·a + b) (SiLU's exponential to ≈ 2e-7 relative: `semcom_kernels.h`).
    @inline(__always)
    public static func affine(_ p: UnsafeMutablePointer<Float>, count: Int, a: Float, b: Float, activation: Activation)
    {
        semcom_affine(p, count, a, b, activation.kernelCode)
    }

    /// SPADE's modulation of one (sample, channel) plane: p[i] = act((((p[i] − mean)·inverseStd)·(1 + gamma[i])
    /// + beta[i])·scale + shift).
    @inline(__always)
    public static func spade(
        _ p: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, count: Int,
        mean: Float, inverseStd: Float, scale: Float, shift: Float, activation: Activation
    ) {
        semcom_spade(p, gamma, beta, count, mean, inverseStd, scale, shift, activation.kernelCode)
    }

    /// a[i] += b[i] for i < count.
    @inline(__always)
    public static func accumulate(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        semcom_accumulate(a, b, count)
    }

    /// Softmax of each row of a rows × columns matrix, in place.
    @inline(__always)
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        semcom_softmax_rows(p, rows, columns)
    }

    /// `spade` on one (sample, 16-channel block) plane of a blocked tensor: `pixels` × 16 floats, with the
    /// per-channel mean, inverseStd, scale and shift as 16-lane arrays.
    @inline(__always)
    public static func spadeBlock(
        _ p: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, pixels: Int,
        mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, activation: Activation
    ) {
        semcom_block_spade(p, gamma, beta, pixels, mean, inverseStd, scale, shift, activation.kernelCode)
    }
}

#if canImport(Glibc)
import Glibc
#endif
