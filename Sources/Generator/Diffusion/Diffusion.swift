import Randomness
import Tensor

/// The DDPM forward process the generator was trained for (linear β from `beta_start` to
/// `beta_end` over `diffusion_steps`), and samplers over a respaced subset of its timesteps
/// with classifier-free guidance: ε = ε(∅) + s·(ε(map) − ε(∅)), the null map all zeros, both
/// passes in one batch.
public struct DiffusionSampler: Sendable {
    public let steps: Int
    /// ᾱ_t for t = 0…T−1, computed in double as the reference does.
    public let alphasCumprod: [Double]

    public init(config: GeneratorConfig) {
        steps = config.diffusion_steps
        var ab: [Double] = []
        var prod = 1.0
        for i in 0..<steps {
            let beta = config.beta_start + (config.beta_end - config.beta_start) * Double(i) / Double(max(1, steps - 1))
            prod *= 1 - beta
            ab.append(prod)
        }
        alphasCumprod = ab
    }

    /// `count` timesteps spread evenly over 0…T−1 (round half to even, as Python's round).
    public func respaced(_ count: Int) -> [Int] {
        if count >= steps { return Array(0..<steps) }
        let frac = count > 1 ? Double(steps - 1) / Double(count - 1) : 0
        return Array(Set((0..<count).map { Int((Double($0) * frac).rounded(.toNearestOrEven)) })).sorted()
    }

    /// Guided ε for x [N,3,H,W] at timestep t. `conditioning` holds the maps followed by the
    /// null maps (batch 2N) when guidance ≠ 1, else the maps alone.
    func guidedEpsilon(_ model: SpadeUNet, _ x: Tensor, t: Int, conditioning: SpadeUNet.Conditioning, guidance: Float) -> Tensor {
        let n = x.shape[0], per = x.count / n
        if conditioning.batch == n {
            let out = model.forward(x, timesteps: [Float](repeating: Float(t), count: n), conditioning: conditioning)
            return firstThreeChannels(out)
        }
        // One encoder pass serves both the map and the null map (see SpadeUNet.forward).
        let both = model.forward(x, timesteps: [Float](repeating: Float(t), count: n), conditioning: conditioning)
        let eps = firstThreeChannels(both)
        var out = [Float](repeating: 0, count: n * per)
        for i in 0..<(n * per) {
            let c = eps.data[i], u = eps.data[n * per + i]
            out[i] = u + guidance * (c - u)
        }
        return Tensor(shape: x.shape, data: out)
    }

    private func firstThreeChannels(_ out: Tensor) -> Tensor {
        let n = out.shape[0], c = out.shape[1], hw = out.shape[2] * out.shape[3]
        if c == 3 { return out }
        var data = [Float]()
        data.reserveCapacity(n * 3 * hw)
        for s in 0..<n { data.append(contentsOf: out.data[(s * c * hw)..<((s * c + 3) * hw)]) }
        return Tensor(shape: [n, 3, out.shape[2], out.shape[3]], data: data)
    }

    /// Batches maps with their null maps for guidance (or not, when guidance is 1).
    public func conditioning(_ model: SpadeUNet, maps: Tensor, guidance: Float) throws -> SpadeUNet.Conditioning {
        guidance == 1 ? try model.condition(on: maps)
            : try model.condition(on: Ops.concatBatch([maps, Tensor(zeros: maps.shape)]))
    }

    /// Deterministic DDIM (η = 0) from `noise` over `count` respaced steps; x0 clipped to [−1, 1].
    /// `onStep` sees x after each step (for trajectories and progress).
    public func ddim(
        _ model: SpadeUNet, maps: Tensor, noise: Tensor, count: Int, guidance: Float,
        onStep: ((Int, Tensor) -> Void)? = nil
    ) throws -> Tensor {
        let seq = respaced(count)
        let cond = try conditioning(model, maps: maps, guidance: guidance)
        var x = noise
        for i in stride(from: seq.count - 1, through: 0, by: -1) {
            let t = seq[i]
            let aT = Float(alphasCumprod[t]), aPrev: Float = i > 0 ? Float(alphasCumprod[seq[i - 1]]) : 1
            let eps = guidedEpsilon(model, x, t: t, conditioning: cond, guidance: guidance)
            let sa = aT.squareRoot(), s1a = (1 - aT).squareRoot()
            let sp = aPrev.squareRoot(), s1p = (1 - aPrev).squareRoot()
            var next = [Float](repeating: 0, count: x.count)
            for j in 0..<x.count {
                let x0 = min(1, max(-1, (x.data[j] - s1a * eps.data[j]) / sa))
                let e = (x.data[j] - sa * x0) / s1a
                next[j] = sp * x0 + s1p * e
            }
            x = Tensor(shape: x.shape, data: next)
            onStep?(seq.count - 1 - i, x)
        }
        return x
    }

    /// Ancestral DDPM over `count` respaced steps (all T by default), posterior variance β̃.
    public func ddpm(
        _ model: SpadeUNet, maps: Tensor, noise: Tensor, count: Int? = nil, guidance: Float, rng: inout SeededGenerator
    ) throws -> Tensor {
        let seq = respaced(count ?? steps)
        let cond = try conditioning(model, maps: maps, guidance: guidance)
        var x = noise
        for i in stride(from: seq.count - 1, through: 0, by: -1) {
            let t = seq[i]
            let aT = Float(alphasCumprod[t]), aPrev: Float = i > 0 ? Float(alphasCumprod[seq[i - 1]]) : 1
            let beta = 1 - aT / aPrev
            let eps = guidedEpsilon(model, x, t: t, conditioning: cond, guidance: guidance)
            let c0 = aPrev.squareRoot() * beta / (1 - aT), ct = (1 - beta).squareRoot() * (1 - aPrev) / (1 - aT)
            let sigma = i > 0 ? (beta * (1 - aPrev) / (1 - aT)).squareRoot() : 0
            var next = [Float](repeating: 0, count: x.count)
            for j in 0..<x.count {
                let x0 = min(1, max(-1, (x.data[j] - (1 - aT).squareRoot() * eps.data[j]) / aT.squareRoot()))
                next[j] = c0 * x0 + ct * x.data[j] + (sigma > 0 ? sigma * Float(rng.gaussian()) : 0)
            }
            x = Tensor(shape: x.shape, data: next)
        }
        return x
    }

    /// Standard-normal noise of `shape` from a seeded generator.
    public static func noise(shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(rng.gaussian()) })
    }
}
