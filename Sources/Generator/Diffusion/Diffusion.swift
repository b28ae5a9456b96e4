import Foundation
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

    /// The step t₀ whose forward-process noise matches an estimate's: the t with (1 − ᾱ_t)/ᾱ_t nearest to
    /// `noiseToSignal` (the estimate's error variance in the model's −1…1 scale, times the calibration c), so
    /// x_t₀ = √ᾱ·x̂ + √(1 − ᾱ)·ε carries about the noise the estimate already has, scaled as the process
    /// would scale it (SDEdit; CDDM).
    public func matchingStep(noiseToSignal: Double) -> Int {
        var best = 0, distance = Double.infinity
        for t in 0..<steps {
            let ratio = (1 - alphasCumprod[t]) / alphasCumprod[t]
            let d = abs(log(max(ratio, 1e-12)) - log(max(noiseToSignal, 1e-12)))
            if d < distance {
                best = t
                distance = d
            }
        }
        return best
    }

    /// `count` timesteps spread evenly over 0…`last` (the first 0, the last `last`): a sampler that starts at
    /// step `last` instead of T − 1.
    public func respaced(_ count: Int, through last: Int) -> [Int] {
        guard count > 1, last > 0 else { return [max(0, last)] }
        return Array(Set((0..<count).map { Int((Double($0 * last) / Double(count - 1)).rounded()) })).sorted()
    }

    /// `count` timesteps spread evenly over 0…T−1 (round half to even, as Python's round).
    public func respaced(_ count: Int) -> [Int] {
        if count >= steps { return Array(0..<steps) }
        let frac = count > 1 ? Double(steps - 1) / Double(count - 1) : 0
        return Array(Set((0..<count).map { Int((Double($0) * frac).rounded(.toNearestOrEven)) })).sorted()
    }

    /// Guided ε for x [N,3,H,W] at timestep t. `conditioning` holds the maps followed by the
    /// null maps (batch 2N) when guidance ≠ 1, else the maps alone.
    func guidedEpsilon(
        _ model: SpadeUNet, _ x: Tensor, t: Int, conditioning: SpadeUNet.Conditioning, guidance: Float,
        rescale: Float = 0,
        highFrequency: (guidance: Float, pool: Int)? = nil
    ) -> Tensor {
        let n = x.shape[0], per = x.count / n
        if conditioning.batch == n {
            let out = model.forward(x, timesteps: [Float](repeating: Float(t), count: n), conditioning: conditioning)
            return firstThreeChannels(out)
        }
        // One encoder pass serves both the map and the null map (see SpadeUNet.forward).
        let both = model.forward(x, timesteps: [Float](repeating: Float(t), count: n), conditioning: conditioning)
        let eps = firstThreeChannels(both)
        if guidance == 1 { return Tensor(shape: x.shape, data: Array(eps.data[0..<(n * per)])) }
        var out = [Float](repeating: 0, count: n * per)
        if let highFrequency {
            // Only the coarse part of the direction (k×k block means) gets g; the rest gets g_hf.
            let k = highFrequency.pool, h = x.shape[2], w = x.shape[3], planes = n * x.shape[1]
            for plane in 0..<planes {
                let base = plane * h * w
                for by in stride(from: 0, to: h, by: k) {
                    for bx in stride(from: 0, to: w, by: k) {
                        var mean: Float = 0
                        for y in by..<(by + k) {
                            for x in bx..<(bx + k) {
                                mean += eps.data[base + y * w + x] - eps.data[n * per + base + y * w + x]
                            }
                        }
                        mean /= Float(k * k)
                        for y in by..<(by + k) {
                            for x in bx..<(bx + k) {
                                let i = base + y * w + x
                                let d = eps.data[i] - eps.data[n * per + i]
                                out[i] = eps.data[n * per + i] + guidance * mean + highFrequency.guidance * (d - mean)
                            }
                        }
                    }
                }
            }
        } else {
            for i in 0..<(n * per) {
                let c = eps.data[i], u = eps.data[n * per + i]
                out[i] = u + guidance * (c - u)
            }
        }
        if rescale > 0 {
            // CFG rescale per image: the guided ε's standard deviation brought back towards the conditional one's.
            for s in 0..<n {
                let range = (s * per)..<((s + 1) * per)
                let ratio = Self.standardDeviation(eps.data[range]) / Self.standardDeviation(out[range])
                for i in range { out[i] = rescale * out[i] * ratio + (1 - rescale) * out[i] }
            }
        }
        return Tensor(shape: x.shape, data: out)
    }

    /// The unbiased standard deviation (torch.std's default).
    static func standardDeviation(_ values: ArraySlice<Float>) -> Float {
        let n = Double(values.count)
        guard n > 1 else { return 0 }
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let squares = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return Float((squares / (n - 1)).squareRoot())
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
        guidance == 1
            ? try model.condition(on: maps)
            : try model.condition(on: Ops.concatBatch([maps, Tensor(zeros: maps.shape)]))
    }

    /// Deterministic DDIM (η = 0) from `noise` over `count` respaced steps; x0 clipped to [−1, 1].
    /// `onStep` sees x after each step (for trajectories and progress).
    public func ddim(
        _ model: SpadeUNet, maps: Tensor, noise: Tensor, count: Int, guidance: Float, settings: SamplerSettings? = nil,
        onStep: ((Int, Tensor) -> Void)? = nil
    ) throws -> Tensor {
        try ddim(
            model, maps: maps, start: noise, timesteps: respaced(count), guidance: guidance, settings: settings,
            onStep: onStep)
    }

    /// Deterministic DDIM from `start`, taken as x at the last of `timesteps` (ascending), down through the
    /// others to x0: one network pass per timestep.
    public func ddim(
        _ model: SpadeUNet, maps: Tensor, start: Tensor, timesteps seq: [Int], guidance: Float,
        settings: SamplerSettings? = nil, onStep: ((Int, Tensor) -> Void)? = nil
    ) throws -> Tensor {
        let settings = settings ?? SamplerSettings(guidance: guidance)
        let cond = try conditioning(model, maps: maps, guidance: settings.guidance)
        var x = start
        for i in stride(from: seq.count - 1, through: 0, by: -1) {
            let t = seq[i]
            let aPrev: Float = i > 0 ? Float(alphasCumprod[seq[i - 1]]) : 1
            let (x0, e) = predictX0(model, x, t: t, conditioning: cond, settings: settings)
            let sp = aPrev.squareRoot(), s1p = (1 - aPrev).squareRoot()
            var next = [Float](repeating: 0, count: x.count)
            for j in 0..<x.count { next[j] = sp * x0.data[j] + s1p * e.data[j] }
            x = Tensor(shape: x.shape, data: next)
            onStep?(seq.count - 1 - i, x)
        }
        return x
    }

    /// Ancestral DDPM over `count` respaced steps (all T by default), posterior variance β̃.
    public func ddpm(
        _ model: SpadeUNet, maps: Tensor, noise: Tensor, count: Int? = nil, guidance: Float,
        settings: SamplerSettings? = nil,
        rng: inout SeededGenerator
    ) throws -> Tensor {
        let settings = settings ?? SamplerSettings(guidance: guidance)
        let seq = respaced(count ?? steps)
        let cond = try conditioning(model, maps: maps, guidance: settings.guidance)
        var x = noise
        for i in stride(from: seq.count - 1, through: 0, by: -1) {
            let t = seq[i]
            let aT = Float(alphasCumprod[t]), aPrev: Float = i > 0 ? Float(alphasCumprod[seq[i - 1]]) : 1
            let beta = 1 - aT / aPrev
            let x0 = predictX0(model, x, t: t, conditioning: cond, settings: settings).x0
            let c0 = aPrev.squareRoot() * beta / (1 - aT), ct = (1 - beta).squareRoot() * (1 - aPrev) / (1 - aT)
            let sigma = i > 0 ? (beta * (1 - aPrev) / (1 - aT)).squareRoot() : 0
            var next = [Float](repeating: 0, count: x.count)
            for j in 0..<x.count {
                next[j] = c0 * x0.data[j] + ct * x.data[j] + (sigma > 0 ? sigma * Float(rng.gaussian()) : 0)
            }
            x = Tensor(shape: x.shape, data: next)
        }
        return x
    }

    /// The data prediction x0 at timestep t and the ε re-derived from it (see `SamplerSettings`).
    /// `conditioning` holds maps then null maps (batch 2N) unless guidance is 1 at every step.
    func predictX0(
        _ model: SpadeUNet, _ x: Tensor, t: Int, conditioning: SpadeUNet.Conditioning, settings: SamplerSettings
    ) -> (x0: Tensor, eps: Tensor) {
        let g = settings.guidance(at: t)
        let split = settings.highFrequencyGuidance.map { (guidance: $0, pool: settings.highFrequencyPool) }
        var eps = guidedEpsilon(
            model, x, t: t, conditioning: conditioning, guidance: g, rescale: settings.rescale,
            highFrequency: g == 1 ? nil : split)
        let aT = Float(alphasCumprod[t]), sa = aT.squareRoot(), s1a = (1 - aT).squareRoot()
        var x0 = [Float](repeating: 0, count: x.count)
        for j in 0..<x.count { x0[j] = (x.data[j] - s1a * eps.data[j]) / sa }
        switch settings.x0 {
        case .clip,
            .dynamic where t < settings.dynamicMinT:
            for j in x0.indices { x0[j] = min(1, max(-1, x0[j])) }
        case .dynamic:
            let n = x.shape[0], per = x.count / n
            for s in 0..<n {
                let range = (s * per)..<((s + 1) * per)
                let bound = max(1, Self.quantile(x0[range].map { abs($0) }, settings.dynamicQuantile))
                for j in range { x0[j] = min(bound, max(-bound, x0[j])) / bound }
            }
        case .none:
            break
        }
        for j in 0..<x.count { eps.data[j] = (x.data[j] - sa * x0[j]) / s1a }
        return (Tensor(shape: x.shape, data: x0), eps)
    }

    /// The p-quantile of `values` with linear interpolation between order statistics (torch.quantile's
    /// default).
    static func quantile(_ values: [Float], _ p: Float) -> Float {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = Double(p) * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        let fraction = Float(position - Double(low))
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }

    /// DPM-Solver++'s `count` timesteps, descending (diffusers' DPMSolverMultistepScheduler, "linspace"):
    /// t_i = ⌊(T−1)(count−i)/count + ½⌋ for i = 0…count−1; the sampler ends at σ = 0.
    public func dpmSolverTimesteps(_ count: Int) -> [Int] {
        (0..<count).map { i in Int((Double(steps - 1) * Double(count - i) / Double(count) + 0.5).rounded(.down)) }
    }

    /// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): data prediction, multistep, second order, one
    /// network pass per step (guided: a batch of 2), from `noise` at t = T−1 to σ = 0. With α_t = √ᾱ_t,
    /// σ_t = √(1−ᾱ_t), λ_t = log(α_t/σ_t) and D_i = predictX0(x_i, t_i):
    ///
    ///     last step:  x = D_i                                   (first order to σ = 0)
    ///     otherwise:  s = t_i, t = t_{i+1}, h = λ_t − λ_s
    ///                 D = D_i (first step), else r = (λ_s − λ_{t_{i−1}})/h, D = (1 + 1/(2r))·D_i − D_{i−1}/(2r)
    ///                 x = (σ_t/σ_s)·x + α_t·(1 − e^{−h})·D
    ///
    /// `onStep` sees x after each step.
    public func dpmSolver(
        _ model: SpadeUNet, maps: Tensor, noise: Tensor, count: Int, settings: SamplerSettings,
        onStep: ((Int, Tensor) -> Void)? = nil
    ) throws -> Tensor {
        let ts = dpmSolverTimesteps(count)
        let guided = ts.contains { settings.guidance(at: $0) != 1 }
        let cond = try conditioning(model, maps: maps, guidance: guided ? settings.guidance : 1)
        func alpha(_ t: Int) -> Double { alphasCumprod[t].squareRoot() }
        func sigma(_ t: Int) -> Double { (1 - alphasCumprod[t]).squareRoot() }
        func lambda(_ t: Int) -> Double { Foundation.log(alpha(t) / sigma(t)) }
        var x = noise
        var previous: Tensor?
        for (i, s) in ts.enumerated() {
            let d = predictX0(model, x, t: s, conditioning: cond, settings: settings).x0
            if i == ts.count - 1 {
                x = d
            } else {
                let t = ts[i + 1], h = lambda(t) - lambda(s)
                let ratio = Float(sigma(t) / sigma(s)), gain = Float(alpha(t) * (1 - Foundation.exp(-h)))
                var next = [Float](repeating: 0, count: x.count)
                if let previous {
                    let r = (lambda(s) - lambda(ts[i - 1])) / h
                    let a = Float(1 + 1 / (2 * r)), b = Float(1 / (2 * r))
                    for j in 0..<x.count { next[j] = ratio * x.data[j] + gain * (a * d.data[j] - b * previous.data[j]) }
                } else {
                    for j in 0..<x.count { next[j] = ratio * x.data[j] + gain * d.data[j] }
                }
                x = Tensor(shape: x.shape, data: next)
            }
            previous = d
            onStep?(i, x)
        }
        return x
    }

    /// Standard-normal noise of `shape` from a seeded generator.
    public static func noise(shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(rng.gaussian()) })
    }
}
