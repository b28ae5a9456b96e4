import Imaging
import Randomness

/// One generated scene: a photo-like image and its exact label map (Cityscapes train ids).
public struct Scene: Sendable {
    public let name: String
    public let image: RGBImage
    public let labels: LabelMap
}

/// Renders procedural street scenes in perspective, deterministically from a seed.
///
/// A scene is a straight street seen from a car: road with lanes and marks, sidewalks,
/// facades of buildings, greenery, walls and fences, the street's far end and the sky, then
/// vehicles, riders, pedestrians, poles, signs, traffic lights and trees placed on the
/// ground and sized by perspective. Every pixel's colour and class are written together,
/// so the label map is exactly what is visible.
public struct StreetSceneGenerator: Sendable {
    /// Output size in pixels.
    public let width: Int, height: Int

    public init(width: Int = 128, height: Int = 64) {
        precondition(width >= 8 && height >= 8, "scene size must be at least 8x8")
        self.width = width
        self.height = height
    }

    /// The name of scene `index` of a run with `seed` (used for every file of the scene).
    public static func name(seed: UInt64, index: Int) -> String {
        let digits = String(index)
        return "s\(seed)_" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Scene `index` of the run with `seed`; it does not depend on any other scene.
    public func scene(seed: UInt64, index: Int) -> Scene {
        var rng = SeededGenerator(seed: seed, stream: UInt64(index))
        let h = Double(height)
        let camera = StreetCamera(
            width: width, height: height, focal: h * rng.uniform(0.95...1.2),
            centerX: Double(width) * (0.5 + rng.uniform(-0.08...0.08)),
            horizon: h * rng.uniform(0.36...0.47), cameraHeight: rng.uniform(1.3...1.8))
        let layout = StreetLayout.random(&rng)
        let lighting = Lighting.random(&rng)
        let noise = ValueNoise(seed: rng.next())

        var canvas = SceneCanvas(camera: camera)
        StreetBackground(layout: layout, lighting: lighting, noise: noise).paint(into: &canvas)
        let objects = StreetSceneGenerator.placeObjects(layout: layout, rng: &rng)
            .sorted { $0.depth > $1.depth }
        let painter = ObjectPainter(lighting: lighting, noise: noise)
        for object in objects { painter.draw(object, into: &canvas) }
        if layout.bonnet > 0 { paintBonnet(layout.bonnet, into: &canvas, lighting: lighting) }

        return Scene(
            name: StreetSceneGenerator.name(seed: seed, index: index),
            image: develop(canvas, lighting: lighting, noise: ValueNoise(seed: rng.next())),
            labels: LabelMap(width: width, height: height, ids: canvas.labels))
    }

    // MARK: - Object placement

    static let carColors: [Color] = [
        Color(0.75, 0.75, 0.76), Color(0.1, 0.1, 0.11), Color(0.85, 0.86, 0.88), Color(0.5, 0.08, 0.08),
        Color(0.12, 0.2, 0.45), Color(0.35, 0.36, 0.38), Color(0.6, 0.6, 0.55), Color(0.2, 0.3, 0.25),
    ]
    static let clothes: [Color] = [
        Color(0.1, 0.1, 0.12), Color(0.2, 0.25, 0.45), Color(0.6, 0.1, 0.1), Color(0.85, 0.85, 0.8),
        Color(0.35, 0.3, 0.25), Color(0.2, 0.4, 0.3), Color(0.7, 0.55, 0.2), Color(0.45, 0.45, 0.5),
    ]
    static let skins: [Color] = [Color(0.85, 0.68, 0.56), Color(0.62, 0.45, 0.33), Color(0.4, 0.28, 0.2)]

    static func placeObjects(layout: StreetLayout, rng: inout SeededGenerator) -> [StreetObject] {
        var objects: [StreetObject] = []
        let far = min(70, layout.streetEnd - 6)
        // Traffic: per lane, non-overlapping along depth.
        var occupied = [[ClosedRange<Double>]](repeating: [], count: layout.laneCount)
        for _ in 0..<rng.int(1...7) {
            let lane = rng.int(0...(layout.laneCount - 1))
            let z = rng.uniform(4...max(5, far))
            let x = layout.laneCenter(lane) + rng.uniform(-0.4...0.4)
            let oncoming = layout.laneCenter(lane) < -layout.laneWidth * 0.5 && rng.chance(0.6)
            let roll = rng.nextDouble()
            let object: StreetObject
            let length: Double
            if roll < 0.66 {
                length = rng.uniform(3.9...4.8)
                object = .vehicle(
                    .car, x: x, z: z, width: rng.uniform(1.7...1.95), height: rng.uniform(1.4...1.65),
                    length: length, paint: rng.pick(carColors), oncoming: oncoming)
            } else if roll < 0.77 {
                length = rng.uniform(6...9)
                object = .vehicle(
                    .truck, x: x, z: z, width: 2.5, height: rng.uniform(3.0...3.8), length: length,
                    paint: rng.pick([Color(0.9, 0.9, 0.88), Color(0.3, 0.4, 0.6), Color(0.7, 0.2, 0.15)]),
                    oncoming: oncoming)
            } else if roll < 0.87 {
                length = 12
                object = .vehicle(
                    .bus, x: x, z: z, width: 2.55, height: rng.uniform(3.0...3.3), length: length,
                    paint: rng.pick([Color(0.95, 0.8, 0.15), Color(0.8, 0.15, 0.12), Color(0.2, 0.35, 0.7)]),
                    oncoming: oncoming)
            } else if roll < 0.92 {
                length = rng.uniform(20...30)
                object = .vehicle(
                    .tram, x: x, z: z, width: 2.4, height: 3.3, length: length,
                    paint: rng.pick([Color(0.9, 0.9, 0.9), Color(0.85, 0.3, 0.2)]), oncoming: oncoming)
            } else {
                length = 2.2
                object = .motorcycle(x: x, z: z, paint: rng.pick(carColors), jacket: rng.pick(clothes))
            }
            let span = (z - 1.5)...(z + length + 1.5)
            if occupied[lane].contains(where: { $0.overlaps(span) }) { continue }
            occupied[lane].append(span)
            objects.append(object)
        }
        // Parked cars along the curbs.
        for rightSide in [false, true] where rng.chance(0.55) {
            var z = rng.uniform(3...12)
            let x = rightSide ? layout.roadRight - 1.1 : layout.roadLeft + 1.1
            while z < far {
                if rng.chance(0.75) {
                    objects.append(
                        .vehicle(
                            .car, x: x, z: z, width: 1.8, height: rng.uniform(1.4...1.6),
                            length: rng.uniform(4...4.7), paint: rng.pick(carColors), oncoming: false))
                }
                z += rng.uniform(5.5...9)
            }
        }
        // Pedestrians on the sidewalks (and sometimes on the crossing).
        for _ in 0..<rng.int(0...7) {
            let rightSide = rng.chance(0.5)
            let x =
                rightSide
                ? rng.uniform((layout.roadRight + 0.5)...(layout.sidewalkRight - 0.3))
                : rng.uniform((layout.sidewalkLeft + 0.3)...(layout.roadLeft - 0.5))
            objects.append(
                .person(
                    x: x, z: rng.uniform(3...45), height: rng.uniform(1.55...1.95),
                    shirt: rng.pick(clothes), trousers: rng.pick(clothes), skin: rng.pick(skins),
                    stride: rng.uniform(-0.05...0.12)))
        }
        if let crossing = layout.crossing, rng.chance(0.7) {
            for _ in 0..<rng.int(1...4) {
                objects.append(
                    .person(
                        x: rng.uniform(layout.roadLeft...layout.roadRight), z: rng.uniform(crossing),
                        height: rng.uniform(1.55...1.95), shirt: rng.pick(clothes),
                        trousers: rng.pick(clothes), skin: rng.pick(skins), stride: rng.uniform(0...0.15)))
            }
        }
        // Cyclists near the curb or crossing; parked bicycles on the sidewalk.
        for _ in 0..<rng.int(0...2) {
            let rightSide = rng.chance(0.5)
            let x = rightSide ? layout.roadRight - rng.uniform(0.6...1.5) : layout.roadLeft + rng.uniform(0.6...1.5)
            objects.append(
                .bicycle(
                    x: x, z: rng.uniform(4...35), facingRight: rng.chance(0.5),
                    rider: rng.pick(clothes), frame: rng.pick(carColors)))
        }
        if rng.chance(0.3) {
            let x = rng.uniform((layout.roadRight + 0.6)...(layout.sidewalkRight - 0.2))
            objects.append(
                .bicycle(
                    x: x, z: rng.uniform(4...25), facingRight: rng.chance(0.5), rider: nil,
                    frame: rng.pick(carColors)))
        }
        // Street furniture near the curbs.
        for rightSide in [false, true] where rng.chance(0.7) {
            let x = rightSide ? layout.roadRight + 0.5 : layout.roadLeft - 0.5
            var z = rng.uniform(4...14)
            let spacing = rng.uniform(14...26)
            while z < far {
                objects.append(.streetLamp(x: x, z: z, height: rng.uniform(5.5...8), armToward: rightSide ? -1 : 1))
                z += spacing
            }
        }
        for _ in 0..<rng.int(0...3) {
            let rightSide = rng.chance(0.6)
            let x = rightSide ? layout.roadRight + rng.uniform(0.4...1.2) : layout.roadLeft - rng.uniform(0.4...1.2)
            objects.append(
                .trafficSign(x: x, z: rng.uniform(4...40), height: rng.uniform(2.0...2.6), style: rng.int(0...3)))
        }
        if rng.chance(0.5) {
            let z = layout.crossing?.lowerBound ?? rng.uniform(10...40)
            objects.append(
                .trafficLight(x: layout.roadRight + 0.6, z: z, height: rng.uniform(2.6...3.4), lit: rng.int(0...2)))
            if rng.chance(0.6) {
                objects.append(
                    .trafficLight(x: layout.roadLeft - 0.6, z: z, height: rng.uniform(2.6...3.4), lit: rng.int(0...2)))
            }
        }
        for rightSide in [false, true] where rng.chance(0.45) {
            let x = rightSide ? layout.sidewalkRight - 0.8 : layout.sidewalkLeft + 0.8
            var z = rng.uniform(4...12)
            while z < far {
                objects.append(
                    .tree(
                        x: x + rng.uniform(-0.3...0.3), z: z, trunk: rng.uniform(1.8...3),
                        crown: rng.uniform(1.4...2.8), seed: rng.next()))
                z += rng.uniform(7...13)
            }
        }
        return objects
    }

    // MARK: - Camera effects

    /// The ego vehicle's bonnet across the bottom of the frame: void in Cityscapes.
    private func paintBonnet(_ fraction: Double, into canvas: inout SceneCanvas, lighting: Lighting) {
        let w = Double(width), h = Double(height)
        for py in 0..<height {
            for px in 0..<width {
                let u = (Double(px) + 0.5) / w - 0.5
                let top = h * (1 - fraction * (1 - 1.6 * u * u))
                if Double(py) + 0.5 >= top {
                    let i = py * width + px
                    canvas.color[i] = Color(0.12, 0.12, 0.13) + lighting.skyHorizon * (0.15 * (1 - 2 * abs(u)))
                    canvas.labels[i] = TrainID.void
                }
            }
        }
    }

    /// Turns linear scene colour into an 8-bit photo: tint and exposure, vignetting and
    /// sensor noise (per channel and luminance).
    private func develop(_ canvas: SceneCanvas, lighting: Lighting, noise: ValueNoise) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let w = Double(width), h = Double(height)
        for py in 0..<height {
            let v = (Double(py) + 0.5) / h - 0.5
            for px in 0..<width {
                let u = (Double(px) + 0.5) / w - 0.5
                let vignette = 1 - 0.35 * (u * u + v * v)
                let i = py * width + px
                let c = canvas.color[i] * lighting.tint * vignette
                let luma = lighting.sensorNoise * approximateGaussian(noise, px, py &* 3)
                let channels = [c.r, c.g, c.b]
                for k in 0..<3 {
                    let n = 0.6 * lighting.sensorNoise * approximateGaussian(noise, px &* 3 &+ k, py &* 5 &+ 1)
                    let value = (channels[k] + luma + n) * 255
                    pixels[3 * i + k] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
