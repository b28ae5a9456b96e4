import ChannelModels
import Foundation
import Imaging
import Link
import Randomness

/// How each scheme fits a budget of k complex channel uses (docs/budget.md).
public enum PayloadFit {
    /// The most payload bytes one transmission across `configuration` carries in at most `channelUses`
    /// complex uses, counted exactly as the physical layer spends them (CRC-32 per code block, LDPC codeword
    /// padding, modulation fill, pilots); nil when not even one byte fits. This is ⌊k·R·log2 M⌋ bits less the
    /// layer's own overheads, so a stream of this size never exceeds the budget.
    public static func maxPayloadBytes(_ configuration: PhysicalLayerConfiguration, channelUses k: Int) -> Int? {
        let layer = PhysicalLayer(configuration)
        func fits(_ bytes: Int) -> Bool { layer.cost(payloadBytes: bytes).channelUses <= k }
        guard k > 0, fits(1) else { return nil }
        // Cost grows with the payload; ⌊k·R·log2 M / 8⌋ + 1 bytes never fit.
        var low = 1, high = Int(Double(k) * configuration.spectralEfficiency / 8) + 1
        while fits(high) { high *= 2 }  // never taken with the layer's overheads; a guard against a new code
        while high - low > 1 {
            let mid = (low + high) / 2
            if fits(mid) { low = mid } else { high = mid }
        }
        return low
    }

    /// The separation bound's bits: ⌊k·C⌋ with C = log2(1 + SNR) on AWGN, or the ergodic capacity
    /// E[log2(1 + |h|²·SNR)], |h|² ~ Exp(1), under Rayleigh fading (SNR = Es/N0, linear).
    public static func capacityBits(channelUses k: Int, esN0DB: Double, fading: Bool) -> Int {
        let snr = pow(10, esN0DB / 10)
        let capacity: Double
        if fading {
            // ∫₀^∞ log2(1 + snr·x)·e^(−x) dx by the midpoint rule on [0, 50] (the tail beyond holds < e^(−50)).
            let steps = 20_000, dx = 50.0 / Double(steps)
            var sum = 0.0
            for i in 0..<steps {
                let x = (Double(i) + 0.5) * dx
                sum += log2(1 + snr * x) * exp(-x)
            }
            capacity = sum * dx
        } else {
            capacity = log2(1 + snr)
        }
        return Int((Double(k) * capacity).rounded(.down))
    }

    /// The capacity of one frame of `k` uses over Rayleigh block fading (`coherence` uses per block) with the
    /// channel known: ⌊Σ_b n_b·log2(1 + |h_b|²·SNR)⌋ bits, |h_b|² ~ Exp(1) drawn from `rng`.
    public static func blockFadingCapacityBits(
        channelUses k: Int, esN0DB: Double, coherence: Int, using rng: inout SeededGenerator
    ) -> Int {
        let snr = pow(10, esN0DB / 10), block = max(1, coherence)
        var bits = 0.0, left = k
        while left > 0 {
            let n = min(block, left)
            let gain = -log(1 - rng.nextDouble())  // Exp(1); nextDouble is in [0, 1)
            bits += Double(n) * log2(1 + gain * snr)
            left -= n
        }
        return Int(bits.rounded(.down))
    }

    /// The largest image of the same aspect whose pixels, three real values each and two per complex use,
    /// fit `channelUses` (nil: the full size, no budget); (0, 0) when not even one pixel fits.
    public static func analogPixels(width: Int, height: Int, channelUses k: Int?) -> (width: Int, height: Int) {
        guard let k else { return (width, height) }
        func uses(_ w: Int, _ h: Int) -> Int { (3 * w * h + 1) / 2 }
        if uses(width, height) <= k { return (width, height) }
        let scale = (2 * Double(k) / (3 * Double(width * height))).squareRoot()
        var w = max(1, Int(Double(width) * scale)), h = max(1, Int(Double(height) * scale))
        while w > 0 && h > 0 && uses(w, h) > k {
            if w * height > h * width { w -= 1 } else { h -= 1 }
        }
        return w > 0 && h > 0 ? (w, h) : (0, 0)
    }
}

/// The image a receiver shows when nothing arrived (a lost frame, or a scheme that does not fit): a flat image
/// of the mean colour of the training scenes (`semcom scenes --count 200 --seed 1`: seed 1 is the training
/// set's, disjoint from the evaluation's 7), what a receiver that knows only the image statistics shows best
/// in mean square without any bits. EvaluationTests recompute it from the scene generator.
public enum FallbackImage {
    /// Mean R, G, B over every pixel of the 200 training scenes at 64x128, rounded, 0…255.
    public static let meanColour: (UInt8, UInt8, UInt8) = (95, 93, 87)

    public static func image(width: Int, height: Int) -> RGBImage {
        RGBImage(width: width, height: height, fill: meanColour)
    }
}
