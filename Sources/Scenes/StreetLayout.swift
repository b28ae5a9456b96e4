import Randomness

/// Cityscapes train ids used by the scene generator (one place, named).
enum TrainID {
    static let road: UInt8 = 0, sidewalk: UInt8 = 1, building: UInt8 = 2, wall: UInt8 = 3, fence: UInt8 = 4
    static let pole: UInt8 = 5, trafficLight: UInt8 = 6, trafficSign: UInt8 = 7, vegetation: UInt8 = 8
    static let terrain: UInt8 = 9, sky: UInt8 = 10, person: UInt8 = 11, rider: UInt8 = 12, car: UInt8 = 13
    static let truck: UInt8 = 14, bus: UInt8 = 15, train: UInt8 = 16, motorcycle: UInt8 = 17, bicycle: UInt8 = 18
    static let void: UInt8 = 255
}

/// One stretch of the street's edge, between depths `z0` and `z1` (metres).
struct FacadeSegment: Sendable {
    enum Kind: Sendable {
        /// A building `height` metres tall with a window grid.
        case building(
            height: Double, windowSpacing: Double, windowWidth: Double, floorHeight: Double, groundFloor: Double)
        /// Trees and bushes up to about `height` metres, optionally behind a low wall or fence.
        case greenery(height: Double, barrier: UInt8?, barrierHeight: Double)
        /// Nothing: the view opens onto terrain and the far end of the street.
        case open
    }
    var z0: Double, z1: Double
    var kind: Kind
    var base: Color
    var seed: UInt64
}

/// The geometry of one street: road, lanes, sidewalks, the two facades and the far end.
struct StreetLayout: Sendable {
    /// Road edges (metres, world X).
    var roadLeft: Double, roadRight: Double
    var laneWidth: Double, laneCount: Int
    /// Outer edges of the sidewalks (metres).
    var sidewalkLeft: Double, sidewalkRight: Double
    /// Facade planes (metres).
    var facadeLeft: Double, facadeRight: Double
    var leftSegments: [FacadeSegment], rightSegments: [FacadeSegment]
    /// Depth where the street ends in a row of buildings (metres).
    var streetEnd: Double
    /// A zebra crossing between these depths, if any.
    var crossing: ClosedRange<Double>?
    var asphalt: Color, pavement: Color, grass: Color
    /// Height of the ego vehicle's bonnet at the bottom of the image (fraction of the image
    /// height, 0 when not visible); Cityscapes labels it void.
    var bonnet: Double

    static let facadeColors: [Color] = [
        Color(0.78, 0.72, 0.62), Color(0.62, 0.6, 0.58), Color(0.66, 0.38, 0.3), Color(0.85, 0.83, 0.78),
        Color(0.76, 0.62, 0.4), Color(0.5, 0.52, 0.56), Color(0.72, 0.55, 0.5), Color(0.58, 0.62, 0.64),
    ]

    static func random(_ rng: inout SeededGenerator) -> StreetLayout {
        let laneCount = rng.int(2...4)
        let laneWidth = rng.uniform(3.0...3.6)
        let cameraLane = rng.int(0...(laneCount - 1))
        let roadLeft = -(Double(cameraLane) + 0.5) * laneWidth + rng.uniform(-0.4...0.4)
        let roadRight = roadLeft + Double(laneCount) * laneWidth
        let sidewalkLeft = roadLeft - rng.uniform(1.8...4.5)
        let sidewalkRight = roadRight + rng.uniform(1.8...4.5)
        let facadeLeft = sidewalkLeft - (rng.chance(0.35) ? rng.uniform(0.8...5) : 0)
        let facadeRight = sidewalkRight + (rng.chance(0.35) ? rng.uniform(0.8...5) : 0)
        let streetEnd = rng.uniform(45...140)
        let left = segments(&rng, until: streetEnd)
        let right = segments(&rng, until: streetEnd)
        let crossing: ClosedRange<Double>? =
            rng.chance(0.3)
            ? {
                let z = rng.uniform(7...25)
                return z...(z + rng.uniform(3...5))
            }() : nil
        let grey = rng.uniform(0.26...0.42)
        return StreetLayout(
            roadLeft: roadLeft, roadRight: roadRight, laneWidth: laneWidth, laneCount: laneCount,
            sidewalkLeft: sidewalkLeft, sidewalkRight: sidewalkRight, facadeLeft: facadeLeft, facadeRight: facadeRight,
            leftSegments: left, rightSegments: right, streetEnd: streetEnd, crossing: crossing,
            asphalt: Color(grey, grey, grey + 0.015),
            pavement: rng.pick([Color(0.62, 0.6, 0.58), Color(0.7, 0.66, 0.6), Color(0.55, 0.52, 0.55)]),
            grass: rng.pick([Color(0.38, 0.5, 0.22), Color(0.48, 0.5, 0.28), Color(0.42, 0.44, 0.3)]),
            bonnet: rng.chance(0.3) ? rng.uniform(0.06...0.12) : 0)
    }

    private static func segments(_ rng: inout SeededGenerator, until end: Double) -> [FacadeSegment] {
        var out: [FacadeSegment] = []
        var z = 0.5
        while z < end {
            let length = rng.uniform(7...28)
            let roll = rng.nextDouble()
            let kind: FacadeSegment.Kind
            var base = rng.pick(facadeColors)
            if roll < 0.62 {
                kind = .building(
                    height: rng.uniform(7...28), windowSpacing: rng.uniform(2.4...4.0),
                    windowWidth: rng.uniform(1.0...1.6),
                    floorHeight: rng.uniform(2.9...3.5), groundFloor: rng.uniform(3.2...4.5))
            } else if roll < 0.88 {
                let barrier: UInt8? = rng.chance(0.55) ? (rng.chance(0.5) ? TrainID.wall : TrainID.fence) : nil
                kind = .greenery(height: rng.uniform(3...11), barrier: barrier, barrierHeight: rng.uniform(0.9...2.2))
                base = rng.pick([Color(0.62, 0.6, 0.56), Color(0.55, 0.5, 0.45), Color(0.42, 0.45, 0.42)])
            } else {
                kind = .open
            }
            out.append(FacadeSegment(z0: z, z1: z + length, kind: kind, base: base, seed: rng.next()))
            z += length
        }
        return out
    }

    /// The segment covering depth `z` on one side.
    func segment(rightSide: Bool, depth z: Double) -> FacadeSegment? {
        let list = rightSide ? rightSegments : leftSegments
        return list.first { z >= $0.z0 && z < $0.z1 }
    }

    /// Centre of lane `index` (0 = leftmost), metres.
    func laneCenter(_ index: Int) -> Double { roadLeft + (Double(index) + 0.5) * laneWidth }
}
