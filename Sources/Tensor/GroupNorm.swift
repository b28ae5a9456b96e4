/// An activation fused into a normalisation pass.
public enum Activation: Sendable { case none, silu, relu }

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
        x.data.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachSlice(n * c) { slice in
                for sc in slice {
                    let s = sc / c, ch = sc % c
                    let (mean, inv) = stats[s * groups + ch / cpg]
                    let k = 1 + (scale?[s * c + ch] ?? 0), t = shift?[s * c + ch] ?? 0
                    let a = inv * (weight?[ch] ?? 1) * k
                    let b = ((bias?[ch] ?? 0) - mean * inv * (weight?[ch] ?? 1)) * k + t
                    Elementwise.affine(base + sc * hw, count: hw, a: a, b: b, activation: activation)
                }
            }
        }
    }

    /// (mean, 1/√(var+eps)) per (sample, group), accumulated in double (two passes: stable).
    public static func statistics(_ x: Tensor, groups: Int, eps: Float) -> [(Float, Float)] {
        let n = x.shape[0], c = x.shape[1], hw = x.count / (n * c), size = c / groups * hw
        var out = [(Float, Float)](repeating: (0, 0), count: n * groups)
        x.data.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                Parallel.forEachSlice(n * groups, minimumPerWorker: 2) { slice in
                    for sg in slice {
                        let s = sg / groups, g = sg % groups
                        let start = (s * c + g * (c / groups)) * hw
                        var sum = 0.0
                        for i in start..<(start + size) { sum += Double(p[i]) }
                        let mean = sum / Double(size)
                        var sq = 0.0
                        for i in start..<(start + size) { let d = Double(p[i]) - mean; sq += d * d }
                        o[sg] = (Float(mean), Float(1 / (sq / Double(size) + Double(eps)).squareRoot()))
                    }
                }
            }
        }
        return out
    }
}

/// Small fused element-wise kernels.
public enum Elementwise {
    /// p[i] = act(p[i]·a + b).
    @inline(__always)
    public static func affine(_ p: UnsafeMutablePointer<Float>, count: Int, a: Float, b: Float, activation: Activation) {
        switch activation {
        case .none: for i in 0..<count { p[i] = p[i] * a + b }
        case .relu: for i in 0..<count { p[i] = max(0, p[i] * a + b) }
        case .silu: for i in 0..<count { let v = p[i] * a + b; p[i] = v / (1 + expf(-v)) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
