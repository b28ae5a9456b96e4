import Randomness

/// The weather and light of one scene: sky colours, how strongly each surface orientation is
/// lit, distance haze and exposure.
struct Lighting: Sendable {
    var skyTop: Color
    var skyHorizon: Color
    var cloudColor: Color
    /// Fraction of the sky covered by clouds, 0…1.
    var cloudCover: Double
    /// Light on surfaces facing the camera, on lateral planes facing +X (the left side of the
    /// street), facing −X (the right side), and on the ground.
    var front: Double, facingRight: Double, facingLeft: Double, ground: Double
    /// Colour cast multiplied into every pixel.
    var tint: Color
    var haze: Color
    /// Depth at which haze reaches half strength (metres).
    var hazeDistance: Double
    /// Standard deviation of sensor noise (in 0…1 units).
    var sensorNoise: Double
    /// Whether shadows fall (sunny scenes).
    var sunny: Bool

    static func random(_ rng: inout SeededGenerator) -> Lighting {
        let weather = rng.int(0...9)
        var l: Lighting
        if weather < 5 {  // sunny
            let leftLit = rng.chance(0.5)
            l = Lighting(
                skyTop: Color(0.22, 0.42, 0.78) * rng.uniform(0.85...1.1), skyHorizon: Color(0.70, 0.80, 0.92),
                cloudColor: Color(0.97, 0.97, 0.98), cloudCover: rng.uniform(0.0...0.35),
                front: rng.uniform(0.85...1.0), facingRight: leftLit ? 1.15 : 0.62, facingLeft: leftLit ? 0.62 : 1.15,
                ground: 1.0, tint: Color(1.03, 1.0, 0.95), haze: Color(0.75, 0.82, 0.9),
                hazeDistance: rng.uniform(250...500), sensorNoise: rng.uniform(0.006...0.015), sunny: true)
        } else if weather < 8 {  // overcast
            let g = rng.uniform(0.68...0.85)
            l = Lighting(
                skyTop: Color(g, g, g + 0.04), skyHorizon: Color(g + 0.1, g + 0.1, g + 0.11),
                cloudColor: Color(g - 0.1, g - 0.1, g - 0.08), cloudCover: rng.uniform(0.4...0.9),
                front: 0.85, facingRight: 0.8, facingLeft: 0.78, ground: 0.85,
                tint: Color(0.97, 0.98, 1.02), haze: Color(g, g, g + 0.02),
                hazeDistance: rng.uniform(120...260), sensorNoise: rng.uniform(0.01...0.022), sunny: false)
        } else {  // dusk
            l = Lighting(
                skyTop: Color(0.22, 0.25, 0.45), skyHorizon: Color(0.95, 0.62, 0.38),
                cloudColor: Color(0.75, 0.45, 0.42), cloudCover: rng.uniform(0.1...0.5),
                front: 0.65, facingRight: 0.7, facingLeft: 0.5, ground: 0.62,
                tint: Color(1.08, 0.93, 0.82), haze: Color(0.7, 0.55, 0.5),
                hazeDistance: rng.uniform(150...300), sensorNoise: rng.uniform(0.015...0.03), sunny: false)
        }
        let exposure = rng.uniform(0.85...1.15)
        l.tint = l.tint * exposure
        return l
    }

    /// Light on a plane of this orientation.
    func light(on plane: Plane) -> Double {
        switch plane {
        case .frontal: return front
        case .lateral(let x): return x < 0 ? facingRight : facingLeft
        }
    }

    /// Blends a surface colour toward the haze colour with distance.
    @inline(__always) func hazed(_ c: Color, depth: Double) -> Color {
        c.mixed(with: haze, depth / (depth + hazeDistance))
    }
}
