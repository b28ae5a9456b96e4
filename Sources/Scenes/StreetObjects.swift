import Randomness

/// Things standing in the street, each drawn as a few perspective-correct shapes on frontal
/// or lateral planes. Objects are painted far to near, so nearer ones occlude farther ones
/// in the image and in the label map alike.
enum StreetObject: Sendable {
    enum VehicleKind: Sendable { case car, truck, bus, tram }
    /// A vehicle whose rear (or front, when `oncoming`) faces the camera, centred at world
    /// X = `x`, its nearest face at depth `z`.
    case vehicle(
        VehicleKind, x: Double, z: Double, width: Double, height: Double, length: Double, paint: Color, oncoming: Bool)
    /// A motorcycle with its rider, seen from behind.
    case motorcycle(x: Double, z: Double, paint: Color, jacket: Color)
    /// A bicycle seen from the side (crossing or parked), with a rider or not.
    case bicycle(x: Double, z: Double, facingRight: Bool, rider: Color?, frame: Color)
    case person(x: Double, z: Double, height: Double, shirt: Color, trousers: Color, skin: Color, stride: Double)
    /// A street lamp; `armToward` is +1 when its arm reaches right.
    case streetLamp(x: Double, z: Double, height: Double, armToward: Double)
    case trafficSign(x: Double, z: Double, height: Double, style: Int)
    case trafficLight(x: Double, z: Double, height: Double, lit: Int)
    case tree(x: Double, z: Double, trunk: Double, crown: Double, seed: UInt64)

    /// Painter's-algorithm key: nearest depth of the object (metres).
    var depth: Double {
        switch self {
        case let .vehicle(_, _, z, _, _, _, _, _), let .motorcycle(_, z, _, _), let .bicycle(_, z, _, _, _),
            let .person(_, z, _, _, _, _, _), let .streetLamp(_, z, _, _), let .trafficSign(_, z, _, _),
            let .trafficLight(_, z, _, _), let .tree(_, z, _, _, _):
            return z
        }
    }

    /// Ground footprint for shadows: (x, z, half width, half depth).
    var footprint: (Double, Double, Double, Double)? {
        switch self {
        case let .vehicle(_, x, z, w, _, l, _, _): return (x, z + l / 2, w / 2 + 0.2, l / 2 + 0.2)
        case let .person(x, z, _, _, _, _, _): return (x, z + 0.2, 0.35, 0.35)
        case let .motorcycle(x, z, _, _): return (x, z + 1, 0.4, 1.1)
        default: return nil
        }
    }
}

/// Draws street objects with the scene's lighting.
struct ObjectPainter {
    let lighting: Lighting
    let noise: ValueNoise

    func draw(_ object: StreetObject, into canvas: inout SceneCanvas) {
        if lighting.sunny, let (x, z, rx, rz) = object.footprint {
            canvas.groundShadow(x: x, z: z, rx: rx, rz: rz, darkness: 0.45)
        } else if let (x, z, rx, rz) = object.footprint {
            canvas.groundShadow(x: x, z: z, rx: rx * 0.9, rz: rz * 0.9, darkness: 0.7)
        }
        switch object {
        case let .vehicle(kind, x, z, w, h, l, paint, oncoming):
            drawVehicle(kind, x: x, z: z, w: w, h: h, l: l, paint: paint, oncoming: oncoming, into: &canvas)
        case let .motorcycle(x, z, paint, jacket):
            drawMotorcycle(x: x, z: z, paint: paint, jacket: jacket, into: &canvas)
        case let .bicycle(x, z, facingRight, rider, frame):
            drawBicycle(x: x, z: z, dir: facingRight ? 1 : -1, rider: rider, frame: frame, into: &canvas)
        case let .person(x, z, h, shirt, trousers, skin, stride):
            drawPerson(
                x: x, z: z, h: h, shirt: shirt, trousers: trousers, skin: skin, stride: stride, label: TrainID.person,
                into: &canvas)
        case let .streetLamp(x, z, h, arm):
            let plane = Plane.frontal(z: z)
            let metal = Color(0.42, 0.43, 0.45)
            fill(.capsule(a: (x, 0), b: (x, h), radius: 0.11), plane, TrainID.pole, metal, &canvas)
            fill(.capsule(a: (x, h), b: (x + arm * 1.6, h + 0.25), radius: 0.07), plane, TrainID.pole, metal, &canvas)
            fill(
                .ellipse(cu: x + arm * 1.6, cv: h + 0.15, ru: 0.3, rv: 0.12), plane, TrainID.pole,
                Color(0.3, 0.3, 0.32), &canvas)
        case let .trafficSign(x, z, h, style):
            let plane = Plane.frontal(z: z)
            fill(.capsule(a: (x, 0), b: (x, h), radius: 0.05), plane, TrainID.pole, Color(0.55, 0.56, 0.58), &canvas)
            let cv = h + 0.3
            switch style {
            case 0:  // prohibition: red ring, white centre
                fill(
                    .ellipse(cu: x, cv: cv, ru: 0.33, rv: 0.33), plane, TrainID.trafficSign, Color(0.8, 0.1, 0.1),
                    &canvas)
                fill(
                    .ellipse(cu: x, cv: cv, ru: 0.24, rv: 0.24), plane, TrainID.trafficSign, Color(0.92, 0.92, 0.9),
                    &canvas)
            case 1:  // warning triangle
                fill(
                    .trapezoid(v0: cv - 0.3, v1: cv + 0.35, bottom: (x - 0.38, x + 0.38), top: (x, x)), plane,
                    TrainID.trafficSign, Color(0.85, 0.12, 0.1), &canvas)
                fill(
                    .trapezoid(v0: cv - 0.22, v1: cv + 0.2, bottom: (x - 0.26, x + 0.26), top: (x, x)), plane,
                    TrainID.trafficSign, Color(0.95, 0.92, 0.85), &canvas)
            case 2:  // information: blue square
                fill(
                    .rect(u0: x - 0.32, u1: x + 0.32, v0: cv - 0.32, v1: cv + 0.32), plane, TrainID.trafficSign,
                    Color(0.1, 0.3, 0.7), &canvas)
                fill(
                    .rect(u0: x - 0.08, u1: x + 0.08, v0: cv - 0.2, v1: cv + 0.2), plane, TrainID.trafficSign,
                    Color(0.92, 0.92, 0.92), &canvas)
            default:  // priority: yellow diamond-ish
                fill(
                    .trapezoid(v0: cv - 0.32, v1: cv, bottom: (x, x), top: (x - 0.32, x + 0.32)), plane,
                    TrainID.trafficSign, Color(0.95, 0.8, 0.1), &canvas)
                fill(
                    .trapezoid(v0: cv, v1: cv + 0.32, bottom: (x - 0.32, x + 0.32), top: (x, x)), plane,
                    TrainID.trafficSign, Color(0.95, 0.8, 0.1), &canvas)
            }
        case let .trafficLight(x, z, h, lit):
            let plane = Plane.frontal(z: z)
            fill(.capsule(a: (x, 0), b: (x, h), radius: 0.08), plane, TrainID.pole, Color(0.35, 0.36, 0.35), &canvas)
            fill(
                .rect(u0: x - 0.18, u1: x + 0.18, v0: h, v1: h + 0.95), plane, TrainID.trafficLight,
                Color(0.12, 0.12, 0.1), &canvas)
            let lamps = [Color(0.95, 0.15, 0.1), Color(0.95, 0.7, 0.1), Color(0.2, 0.9, 0.4)]
            for k in 0..<3 {
                let on = k == lit
                fill(
                    .ellipse(cu: x, cv: h + 0.8 - Double(k) * 0.3, ru: 0.1, rv: 0.1), plane, TrainID.trafficLight,
                    on ? lamps[k] * 1.2 : lamps[k] * 0.25, &canvas, lit: true)
            }
        case let .tree(x, z, trunk, crown, seed):
            let plane = Plane.frontal(z: z)
            fill(
                .capsule(a: (x, 0), b: (x, trunk + crown * 0.5), radius: 0.16), plane, TrainID.vegetation,
                Color(0.3, 0.24, 0.18), &canvas)
            let n = ValueNoise(seed: seed)
            let shape = Shape.blob(cu: x, cv: trunk + crown, ru: crown * 0.9, rv: crown, roughness: 0.22, seed: seed)
            let light = lighting.light(on: plane)
            canvas.paint(shape, on: plane, label: TrainID.vegetation) { u, v, d in
                let leaf = n.fbm(u * 3, v * 3, octaves: 3)
                let shadeTop = 0.75 + 0.35 * max(0, min(1, (v - trunk) / (2 * crown)))
                let c =
                    Color(0.22, 0.38, 0.13).mixed(with: Color(0.36, 0.46, 0.18), n.value(u, v))
                    * (shadeTop + 0.9 * leaf)
                return lighting.hazed(c * light, depth: d)
            }
        }
    }

    // MARK: - Helpers

    /// Fills a shape with a colour plus gentle texture and vertical shading.
    private func fill(
        _ shape: Shape, _ plane: Plane, _ label: UInt8, _ base: Color, _ canvas: inout SceneCanvas, lit: Bool = false
    ) {
        let light = lit ? 1.0 : lighting.light(on: plane)
        let n = noise
        canvas.paint(shape, on: plane, label: label) { u, v, d in
            let c = base * (1 + 0.08 * n.fbm(u * 6, v * 6, octaves: 2))
            return lighting.hazed(c * light, depth: d)
        }
    }

    /// Car paint: a vertical gradient with a highlight band, as on a glossy body.
    private func body(
        _ shape: Shape, _ plane: Plane, _ label: UInt8, _ paint: Color, _ canvas: inout SceneCanvas, top: Double
    ) {
        let light = lighting.light(on: plane)
        let sky = lighting.skyHorizon
        canvas.paint(shape, on: plane, label: label) { u, v, d in
            let t = max(0, min(1, v / top))
            var c = paint * (0.65 + 0.45 * t)
            let band = abs(t - 0.78)
            if band < 0.06 { c = c.mixed(with: sky, 0.35) }
            return lighting.hazed(c * light, depth: d)
        }
    }

    private func glassColor() -> Color { lighting.skyHorizon * 0.35 + Color(0.05, 0.06, 0.08) }

    private func drawVehicle(
        _ kind: StreetObject.VehicleKind, x: Double, z: Double, w: Double, h: Double, l: Double,
        paint: Color, oncoming: Bool, into canvas: inout SceneCanvas
    ) {
        let label: UInt8
        switch kind {
        case .car: label = TrainID.car
        case .truck: label = TrainID.truck
        case .bus: label = TrainID.bus
        case .tram: label = TrainID.train
        }
        let tyre = Color(0.08, 0.08, 0.09)
        // The side facing the camera, if the vehicle is off-axis.
        let sideX: Double? = x - w / 2 > 0.3 ? x - w / 2 : (x + w / 2 < -0.3 ? x + w / 2 : nil)
        if let sx = sideX {
            let side = Plane.lateral(x: sx)
            let z0 = z, z1 = z + l
            switch kind {
            case .car:
                body(.rect(u0: z0, u1: z1, v0: 0.25, v1: 0.95), side, label, paint, &canvas, top: h)
                body(
                    .trapezoid(
                        v0: 0.95, v1: h, bottom: (z0 + 0.15 * l, z0 + 0.88 * l), top: (z0 + 0.3 * l, z0 + 0.72 * l)),
                    side, label, paint, &canvas, top: h)
                fill(
                    .trapezoid(
                        v0: 1.0, v1: h - 0.06, bottom: (z0 + 0.2 * l, z0 + 0.83 * l), top: (z0 + 0.32 * l, z0 + 0.7 * l)
                    ),
                    side, label, glassColor(), &canvas)
            case .truck:
                body(.rect(u0: z0, u1: z0 + l - 2.4, v0: 0.6, v1: h), side, label, paint, &canvas, top: h)
                body(.rect(u0: z0 + l - 2.2, u1: z1, v0: 0.5, v1: h * 0.8), side, label, paint * 0.8, &canvas, top: h)
                fill(
                    .rect(u0: z0 + l - 1.6, u1: z1 - 0.3, v0: h * 0.5, v1: h * 0.74), side, label, glassColor(), &canvas
                )
            case .bus, .tram:
                body(.rect(u0: z0, u1: z1, v0: 0.3, v1: h), side, label, paint, &canvas, top: h)
                var wz = z0 + 0.6
                while wz + 1.6 < z1 - 0.4 {
                    fill(.rect(u0: wz, u1: wz + 1.5, v0: 1.25, v1: h - 0.55), side, label, glassColor(), &canvas)
                    wz += 1.8
                }
                if kind == .tram {
                    fill(
                        .capsule(a: (z0 + l * 0.4, h), b: (z0 + l * 0.5, h + 0.9), radius: 0.04), side, label,
                        Color(0.2, 0.2, 0.2), &canvas)
                }
            }
            let wheel = kind == .car ? 0.33 : 0.5
            for wz in [z0 + max(0.8, 0.16 * l), z1 - max(0.8, 0.16 * l)] {
                fill(.ellipse(cu: wz, cv: wheel, ru: wheel, rv: wheel), side, label, tyre, &canvas)
                fill(
                    .ellipse(cu: wz, cv: wheel, ru: wheel * 0.5, rv: wheel * 0.5), side, label, Color(0.55, 0.55, 0.57),
                    &canvas)
            }
        }
        // The face toward the camera.
        let face = Plane.frontal(z: z)
        let hw = w / 2
        let lights = oncoming ? Color(0.95, 0.93, 0.8) : Color(0.75, 0.08, 0.06)
        let wheelH = kind == .car ? 0.35 : 0.55
        fill(.rect(u0: x - hw + 0.05, u1: x - hw + 0.4, v0: 0, v1: wheelH), face, label, tyre, &canvas)
        fill(.rect(u0: x + hw - 0.4, u1: x + hw - 0.05, v0: 0, v1: wheelH), face, label, tyre, &canvas)
        switch kind {
        case .car:
            body(.rect(u0: x - hw, u1: x + hw, v0: 0.22, v1: 0.95), face, label, paint, &canvas, top: h)
            fill(.rect(u0: x - hw, u1: x + hw, v0: 0.22, v1: 0.38), face, label, paint * 0.45, &canvas)
            body(
                .trapezoid(v0: 0.95, v1: h, bottom: (x - 0.46 * w, x + 0.46 * w), top: (x - 0.36 * w, x + 0.36 * w)),
                face, label, paint, &canvas, top: h)
            fill(
                .trapezoid(
                    v0: 1.0, v1: h - 0.07, bottom: (x - 0.4 * w, x + 0.4 * w), top: (x - 0.32 * w, x + 0.32 * w)),
                face, label, glassColor(), &canvas)
            fill(
                .rect(u0: x - hw + 0.06, u1: x - hw + 0.36, v0: 0.7, v1: 0.84), face, label, lights, &canvas, lit: true)
            fill(
                .rect(u0: x + hw - 0.36, u1: x + hw - 0.06, v0: 0.7, v1: 0.84), face, label, lights, &canvas, lit: true)
            fill(.rect(u0: x - 0.26, u1: x + 0.26, v0: 0.44, v1: 0.56), face, label, Color(0.9, 0.9, 0.88), &canvas)
        case .truck:
            body(.rect(u0: x - hw, u1: x + hw, v0: 0.6, v1: h), face, label, paint, &canvas, top: h)
            var rib = x - hw + 0.3
            while rib < x + hw - 0.2 {
                fill(.rect(u0: rib, u1: rib + 0.05, v0: 0.7, v1: h - 0.1), face, label, paint * 0.75, &canvas)
                rib += 0.6
            }
            fill(.rect(u0: x - hw, u1: x + hw, v0: 0.45, v1: 0.62), face, label, Color(0.15, 0.15, 0.15), &canvas)
            fill(
                .rect(u0: x - hw + 0.1, u1: x - hw + 0.35, v0: 0.48, v1: 0.58), face, label, lights, &canvas, lit: true)
            fill(
                .rect(u0: x + hw - 0.35, u1: x + hw - 0.1, v0: 0.48, v1: 0.58), face, label, lights, &canvas, lit: true)
        case .bus, .tram:
            body(.rect(u0: x - hw, u1: x + hw, v0: 0.3, v1: h), face, label, paint, &canvas, top: h)
            fill(
                .rect(u0: x - 0.42 * w, u1: x + 0.42 * w, v0: h * 0.5, v1: h - 0.3), face, label, glassColor(), &canvas)
            fill(.rect(u0: x - hw + 0.1, u1: x - hw + 0.4, v0: 0.5, v1: 0.75), face, label, lights, &canvas, lit: true)
            fill(.rect(u0: x + hw - 0.4, u1: x + hw - 0.1, v0: 0.5, v1: 0.75), face, label, lights, &canvas, lit: true)
            if kind == .tram {
                fill(
                    .capsule(a: (x - 0.5, h), b: (x, h + 0.9), radius: 0.04), face, label, Color(0.2, 0.2, 0.2), &canvas
                )
                fill(
                    .capsule(a: (x + 0.5, h), b: (x, h + 0.9), radius: 0.04), face, label, Color(0.2, 0.2, 0.2), &canvas
                )
            }
        }
    }

    private func drawMotorcycle(x: Double, z: Double, paint: Color, jacket: Color, into canvas: inout SceneCanvas) {
        let face = Plane.frontal(z: z)
        fill(
            .rect(u0: x - 0.07, u1: x + 0.07, v0: 0, v1: 0.6), face, TrainID.motorcycle, Color(0.08, 0.08, 0.08),
            &canvas)
        body(
            .trapezoid(v0: 0.35, v1: 0.9, bottom: (x - 0.22, x + 0.22), top: (x - 0.3, x + 0.3)), face,
            TrainID.motorcycle,
            paint, &canvas, top: 1)
        fill(
            .rect(u0: x - 0.1, u1: x + 0.1, v0: 0.72, v1: 0.82), face, TrainID.motorcycle, Color(0.8, 0.1, 0.08),
            &canvas, lit: true)
        fill(
            .trapezoid(v0: 0.9, v1: 1.55, bottom: (x - 0.24, x + 0.24), top: (x - 0.2, x + 0.2)), face, TrainID.rider,
            jacket, &canvas)
        fill(.ellipse(cu: x, cv: 1.68, ru: 0.14, rv: 0.15), face, TrainID.rider, Color(0.1, 0.1, 0.12), &canvas)
        fill(.capsule(a: (x - 0.2, 1.45), b: (x - 0.34, 1.05), radius: 0.06), face, TrainID.rider, jacket, &canvas)
        fill(.capsule(a: (x + 0.2, 1.45), b: (x + 0.34, 1.05), radius: 0.06), face, TrainID.rider, jacket, &canvas)
    }

    private func drawBicycle(
        x: Double, z: Double, dir: Double, rider: Color?, frame: Color, into canvas: inout SceneCanvas
    ) {
        let p = Plane.frontal(z: z)
        func at(_ u: Double, _ v: Double) -> (Double, Double) { (x + dir * u, v) }
        let tyre = Color(0.07, 0.07, 0.07)
        fill(.ring(cu: x - dir * 0.53, cv: 0.34, outer: 0.34, inner: 0.27), p, TrainID.bicycle, tyre, &canvas)
        fill(.ring(cu: x + dir * 0.53, cv: 0.34, outer: 0.34, inner: 0.27), p, TrainID.bicycle, tyre, &canvas)
        let tubes: [((Double, Double), (Double, Double))] = [
            ((-0.53, 0.34), (-0.12, 0.88)), ((-0.12, 0.88), (0.0, 0.34)), ((-0.53, 0.34), (0.0, 0.34)),
            ((-0.12, 0.88), (0.42, 0.92)), ((0.42, 0.92), (0.0, 0.34)), ((0.42, 0.92), (0.53, 0.34)),
            ((0.42, 0.92), (0.46, 1.06)),
        ]
        for (a, b) in tubes {
            fill(.capsule(a: at(a.0, a.1), b: at(b.0, b.1), radius: 0.035), p, TrainID.bicycle, frame, &canvas)
        }
        guard let jacket = rider else { return }
        let trousers = Color(0.15, 0.16, 0.22)
        fill(.capsule(a: at(-0.14, 0.95), b: at(0.08, 0.55), radius: 0.08), p, TrainID.rider, trousers, &canvas)
        fill(.capsule(a: at(0.08, 0.55), b: at(0.02, 0.3), radius: 0.06), p, TrainID.rider, trousers, &canvas)
        fill(.capsule(a: at(-0.14, 0.98), b: at(0.16, 1.48), radius: 0.13), p, TrainID.rider, jacket, &canvas)
        fill(.capsule(a: at(0.16, 1.42), b: at(0.43, 1.06), radius: 0.05), p, TrainID.rider, jacket, &canvas)
        fill(
            .ellipse(cu: x + dir * 0.24, cv: 1.66, ru: 0.12, rv: 0.13), p, TrainID.rider, Color(0.78, 0.6, 0.48),
            &canvas)
    }

    func drawPerson(
        x: Double, z: Double, h: Double, shirt: Color, trousers: Color, skin: Color, stride: Double, label: UInt8,
        into canvas: inout SceneCanvas
    ) {
        let p = Plane.frontal(z: z)
        let k = h / 1.75
        fill(
            .capsule(a: (x - 0.08 * k, 0.85 * k), b: (x - (0.09 + stride) * k, 0.06 * k), radius: 0.075 * k), p, label,
            trousers, &canvas)
        fill(
            .capsule(a: (x + 0.08 * k, 0.85 * k), b: (x + (0.09 + stride) * k, 0.06 * k), radius: 0.075 * k), p, label,
            trousers, &canvas)
        fill(
            .trapezoid(
                v0: 0.82 * k, v1: 1.45 * k, bottom: (x - 0.16 * k, x + 0.16 * k), top: (x - 0.21 * k, x + 0.21 * k)),
            p, label, shirt, &canvas)
        fill(
            .capsule(a: (x - 0.21 * k, 1.4 * k), b: (x - (0.25 + stride) * k, 0.86 * k), radius: 0.055 * k), p, label,
            shirt, &canvas)
        fill(
            .capsule(a: (x + 0.21 * k, 1.4 * k), b: (x + (0.25 + stride) * k, 0.86 * k), radius: 0.055 * k), p, label,
            shirt, &canvas)
        fill(.ellipse(cu: x, cv: 1.6 * k, ru: 0.1 * k, rv: 0.125 * k), p, label, skin, &canvas)
        fill(.ellipse(cu: x, cv: 1.68 * k, ru: 0.1 * k, rv: 0.06 * k), p, label, skin * 0.35, &canvas)
    }
}
