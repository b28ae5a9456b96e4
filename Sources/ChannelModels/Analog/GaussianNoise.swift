import Randomness

/// Bulk standard-normal draws from a `SeededGenerator`.
///
/// `SeededGenerator.gaussian()` spends two uniforms, a log, a sqrt and a cosine on one
/// normal and discards its twin. Channel noise needs millions of draws per frame, so this
/// fills a buffer with the Marsaglia polar method instead: no trigonometry, both normals of
/// each accepted pair kept (acceptance π/4, so ≈ 1.27 uniform pairs per two normals).
/// The sequence is a pure function of the generator's state, so noise stays reproducible.
public enum GaussianNoise {
    /// Fills `buffer` with independent N(0, 1) draws.
    public static func fillStandardNormal(
        _ buffer: UnsafeMutableBufferPointer<Double>, using rng: inout SeededGenerator
    ) {
        let n = buffer.count
        var i = 0
        while i < n {
            // Uniforms in (−1, 1) from the top 53 bits; reject the corners of the square and 0.
            let u = 2 * rng.nextDouble() - 1
            let v = 2 * rng.nextDouble() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let scale = libmSqrt(-2 * libmLog(s) / s)
            buffer[i] = u * scale
            if i + 1 < n { buffer[i + 1] = v * scale }
            i += 2
        }
    }

    /// `count` independent N(0, 1) draws.
    public static func standardNormal(count: Int, using rng: inout SeededGenerator) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillStandardNormal(buffer, using: &rng)
            initialized = count
        }
    }
}
