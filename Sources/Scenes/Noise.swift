/// Deterministic lattice value noise for procedural textures. Pure integer hashing and
/// arithmetic (no transcendental functions), so a scene renders to the same bytes on
/// every machine.
struct ValueNoise: Sendable {
    let seed: UInt64

    /// Hash of a lattice point to [0, 1).
    @inline(__always) func lattice(_ ix: Int, _ iy: Int) -> Double {
        var h = UInt64(bitPattern: Int64(ix)) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: Int64(iy)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= seed
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return Double(h >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Smooth noise in [0, 1) at (x, y), one lattice cell per unit.
    @inline(__always) func value(_ x: Double, _ y: Double) -> Double {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int(fx), iy = Int(fy)
        var tx = x - fx, ty = y - fy
        tx = tx * tx * (3 - 2 * tx)
        ty = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy), b = lattice(ix + 1, iy)
        let c = lattice(ix, iy + 1), d = lattice(ix + 1, iy + 1)
        return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty
    }

    /// Fractal sum of `octaves` layers (each twice the frequency, half the amplitude),
    /// centred on 0 with range about ±0.5.
    func fbm(_ x: Double, _ y: Double, octaves: Int = 3) -> Double {
        var sum = 0.0, amp = 0.5, fx = x, fy = y, norm = 0.0
        for _ in 0..<octaves {
            sum += amp * (value(fx, fy) - 0.5)
            norm += amp
            amp *= 0.5
            fx *= 2.03
            fy *= 2.03
        }
        return sum / norm
    }
}

/// An approximately standard-normal draw from four uniforms (Irwin–Hall), arithmetic only,
/// for sensor noise that must be identical on every machine.
@inline(__always) func approximateGaussian(_ noise: ValueNoise, _ i: Int, _ j: Int) -> Double {
    let s =
        noise.lattice(i, j) + noise.lattice(i &+ 7919, j) + noise.lattice(i, j &+ 104_729)
        + noise.lattice(i &+ 15_485_863, j &+ 32_452_843)
    return (s - 2) * 1.732_050_807_568_877
}
