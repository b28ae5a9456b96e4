import Randomness

/// One realisation of a TDL channel that varies in time: each tap's complex gain at any instant.
///
/// Each Rayleigh tap (and the Rayleigh part of a Rician first tap) is a sum of `sinusoids` complex exponentials
/// with Doppler shifts f_D·cos α and phases φ, α and φ uniform: its ensemble autocorrelation is exactly
/// J0(2π f_D τ) (Clarke's, the Jakes spectrum) for any number of sinusoids, and with 32 its amplitude is close to
/// Rayleigh. The specular path of TDL-D/E rotates at 0.7·f_D (as Sionna and other open implementations of TR 38.901
/// take its arrival angle) from a uniform phase. Taps are independent; mean powers are the model's.
public struct TDLFading: Sendable {
    public let model: TDLModel
    /// Maximum Doppler shift f_D = v·f_c/c, Hz (0: a channel frozen at its first draw).
    public let dopplerHz: Double
    /// Sinusoids per Rayleigh component.
    public static let sinusoids = 32
    /// The specular path's Doppler as a fraction of f_D.
    public static let losDopplerFraction = 0.7

    /// Per tap: angular Doppler 2π f_D cos α_n (rad/s) and phase φ_n of each sinusoid.
    private let omegas: [[Double]]
    private let phases: [[Double]]
    /// Amplitude of each tap's Rayleigh part, √(its mean power / sinusoids).
    private let scatterAmplitude: [Double]
    private let losAmplitude: Double
    private let losPhase: Double

    /// Draws a realisation of `model` with maximum Doppler `dopplerHz`.
    public init(model: TDLModel, dopplerHz: Double, using rng: inout SeededGenerator) {
        self.model = model
        self.dopplerHz = dopplerHz
        var omegas: [[Double]] = [], phases: [[Double]] = [], amplitudes: [Double] = []
        let twoPi = 2 * Double.pi
        for (index, power) in model.powers.enumerated() {
            let scattered = index == 0 ? power / (1 + model.kFactor) : power
            amplitudes.append((scattered / Double(Self.sinusoids)).squareRoot())
            var w: [Double] = [], p: [Double] = []
            for _ in 0..<Self.sinusoids {
                w.append(twoPi * dopplerHz * libmCos(twoPi * rng.nextDouble()))
                p.append(twoPi * rng.nextDouble())
            }
            omegas.append(w)
            phases.append(p)
        }
        self.omegas = omegas
        self.phases = phases
        scatterAmplitude = amplitudes
        losAmplitude = (model.powers[0] * model.kFactor / (1 + model.kFactor)).squareRoot()
        losPhase = twoPi * rng.nextDouble()
    }

    /// Tap `tap`'s complex gain at time `t` (seconds).
    public func gain(tap: Int, at t: Double) -> (re: Double, im: Double) {
        var re = 0.0, im = 0.0
        let w = omegas[tap], p = phases[tap]
        for n in 0..<w.count {
            let angle = w[n] * t + p[n]
            re += libmCos(angle)
            im += libmSin(angle)
        }
        re *= scatterAmplitude[tap]
        im *= scatterAmplitude[tap]
        if tap == 0, losAmplitude > 0 {
            let angle = 2 * Double.pi * Self.losDopplerFraction * dopplerHz * t + losPhase
            re += losAmplitude * libmCos(angle)
            im += losAmplitude * libmSin(angle)
        }
        return (re, im)
    }

    /// Every tap's gain at time `t`.
    public func gains(at t: Double) -> [(re: Double, im: Double)] {
        (0..<model.powers.count).map { gain(tap: $0, at: t) }
    }
}
