/// A linear RGB colour with components in [0, 1].
struct Color: Sendable {
    var r: Double, g: Double, b: Double
    init(_ r: Double, _ g: Double, _ b: Double) { self.r = r; self.g = g; self.b = b }
    init(bytes r: Int, _ g: Int, _ b: Int) { self.init(Double(r) / 255, Double(g) / 255, Double(b) / 255) }
    static func * (c: Color, k: Double) -> Color { Color(c.r * k, c.g * k, c.b * k) }
    static func * (c: Color, k: Color) -> Color { Color(c.r * k.r, c.g * k.g, c.b * k.b) }
    static func + (a: Color, b: Color) -> Color { Color(a.r + b.r, a.g + b.g, a.b + b.b) }
    func mixed(with other: Color, _ t: Double) -> Color { self * (1 - t) + other * t }
}

/// A 2-D shape in the coordinates of the plane it is drawn on (metres): `u` runs along the
/// plane (X on a frontal plane, Z on a lateral one), `v` is height above the ground.
enum Shape: Sendable {
    case rect(u0: Double, u1: Double, v0: Double, v1: Double)
    case ellipse(cu: Double, cv: Double, ru: Double, rv: Double)
    /// A ring: ellipse minus a concentric smaller ellipse (wheels).
    case ring(cu: Double, cv: Double, outer: Double, inner: Double)
    /// A quadrilateral with horizontal bottom (at v0) and top (at v1) edges.
    case trapezoid(v0: Double, v1: Double, bottom: (Double, Double), top: (Double, Double))
    /// A segment between two points with a radius (limbs, frames, poles).
    case capsule(a: (Double, Double), b: (Double, Double), radius: Double)
    /// An ellipse whose radius wobbles with value noise (tree crowns, bushes).
    case blob(cu: Double, cv: Double, ru: Double, rv: Double, roughness: Double, seed: UInt64)

    var bounds: (u0: Double, u1: Double, v0: Double, v1: Double) {
        switch self {
        case let .rect(u0, u1, v0, v1): return (u0, u1, v0, v1)
        case let .ellipse(cu, cv, ru, rv): return (cu - ru, cu + ru, cv - rv, cv + rv)
        case let .ring(cu, cv, outer, _): return (cu - outer, cu + outer, cv - outer, cv + outer)
        case let .trapezoid(v0, v1, bottom, top):
            return (min(bottom.0, top.0), max(bottom.1, top.1), v0, v1)
        case let .capsule(a, b, r):
            return (min(a.0, b.0) - r, max(a.0, b.0) + r, min(a.1, b.1) - r, max(a.1, b.1) + r)
        case let .blob(cu, cv, ru, rv, rough, _):
            return (cu - ru * (1 + rough), cu + ru * (1 + rough), cv - rv * (1 + rough), cv + rv * (1 + rough))
        }
    }

    func contains(_ u: Double, _ v: Double) -> Bool {
        switch self {
        case let .rect(u0, u1, v0, v1): return u >= u0 && u < u1 && v >= v0 && v < v1
        case let .ellipse(cu, cv, ru, rv):
            let du = (u - cu) / ru, dv = (v - cv) / rv
            return du * du + dv * dv <= 1
        case let .ring(cu, cv, outer, inner):
            let d2 = (u - cu) * (u - cu) + (v - cv) * (v - cv)
            return d2 <= outer * outer && d2 >= inner * inner
        case let .trapezoid(v0, v1, bottom, top):
            guard v >= v0 && v < v1 else { return false }
            let t = (v - v0) / (v1 - v0)
            return u >= bottom.0 + (top.0 - bottom.0) * t && u < bottom.1 + (top.1 - bottom.1) * t
        case let .capsule(a, b, r):
            let abu = b.0 - a.0, abv = b.1 - a.1
            let len2 = abu * abu + abv * abv
            let t = len2 > 0 ? max(0, min(1, ((u - a.0) * abu + (v - a.1) * abv) / len2)) : 0
            let du = u - (a.0 + t * abu), dv = v - (a.1 + t * abv)
            return du * du + dv * dv <= r * r
        case let .blob(cu, cv, ru, rv, rough, seed):
            let du = (u - cu) / ru, dv = (v - cv) / rv
            let noise = ValueNoise(seed: seed)
            // Wobble the radius with noise sampled along the boundary direction.
            let wobble = 1 + rough * 2 * noise.fbm((u - cu) * 1.3 + 50, (v - cv) * 1.3 + 50, octaves: 2)
            return du * du + dv * dv <= wobble * wobble
        }
    }
}

/// The plane a shape is drawn on.
enum Plane: Sendable {
    /// Facing the camera at depth `z`; shape `u` is world X.
    case frontal(z: Double)
    /// Parallel to the street at X = `x`; shape `u` is depth Z.
    case lateral(x: Double)
}

/// The pixel buffers a scene is painted into: colour and class id, always written together,
/// so the label map is exactly what is visible.
struct SceneCanvas {
    let camera: StreetCamera
    var color: [Color]
    var labels: [UInt8]

    init(camera: StreetCamera) {
        self.camera = camera
        color = [Color](repeating: Color(0, 0, 0), count: camera.width * camera.height)
        labels = [UInt8](repeating: 255, count: camera.width * camera.height)
    }

    /// Paints `shape` on `plane` with `label`; `shade(u, v, depth)` gives each pixel's colour.
    /// Pixels are tested by mapping their centre back onto the plane, so shapes are
    /// perspective-correct. A nil label tints colour only (shadows).
    mutating func paint(_ shape: Shape, on plane: Plane, label: UInt8?, shade: (Double, Double, Double) -> Color) {
        let b = shape.bounds
        let cam = camera
        // Pixel bounding box from the projected corners of the shape's bounds.
        var corners: [(Double, Double, Double)] = []
        switch plane {
        case .frontal(let z):
            guard z > StreetCamera.nearClip else { return }
            corners = [(b.u0, b.v0, z), (b.u1, b.v0, z), (b.u0, b.v1, z), (b.u1, b.v1, z)]
        case .lateral(let x):
            let z0 = max(b.u0, StreetCamera.nearClip)
            guard b.u1 > z0 else { return }
            corners = [(x, b.v0, z0), (x, b.v1, z0), (x, b.v0, b.u1), (x, b.v1, b.u1)]
        }
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for (X, Y, Z) in corners {
            let (px, py) = cam.project(x: X, y: Y, z: Z)
            minX = min(minX, px); maxX = max(maxX, px); minY = min(minY, py); maxY = max(maxY, py)
        }
        let x0 = max(0, Int(minX.rounded(.down))), x1 = min(cam.width - 1, Int(maxX.rounded(.up)))
        let y0 = max(0, Int(minY.rounded(.down))), y1 = min(cam.height - 1, Int(maxY.rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for py in y0...y1 {
            let cy = Double(py) + 0.5
            for px in x0...x1 {
                let cx = Double(px) + 0.5
                let u: Double, v: Double, depth: Double
                switch plane {
                case .frontal(let z):
                    u = cam.worldX(column: cx, depth: z); v = cam.worldY(row: cy, depth: z); depth = z
                case .lateral(let x):
                    guard let z = cam.depthOnLateralPlane(column: cx, planeX: x), z > StreetCamera.nearClip else {
                        continue
                    }
                    u = z; v = cam.worldY(row: cy, depth: z); depth = z
                }
                guard shape.contains(u, v) else { continue }
                let i = py * cam.width + px
                if let label {
                    color[i] = shade(u, v, depth)
                    labels[i] = label
                } else {
                    color[i] = color[i] * shade(u, v, depth)
                }
            }
        }
    }

    /// Paints a shadow (colour factor `darkness`) on the ground inside an ellipse centred at
    /// world (x, z) with radii `rx`, `rz` metres.
    mutating func groundShadow(x: Double, z: Double, rx: Double, rz: Double, darkness: Double) {
        let cam = camera
        let (pxa, pya) = cam.project(x: x - rx, y: 0, z: z + rz)
        let (pxb, pyb) = cam.project(x: x + rx, y: 0, z: max(StreetCamera.nearClip, z - rz))
        let (pxc, _) = cam.project(x: x - rx, y: 0, z: max(StreetCamera.nearClip, z - rz))
        let (pxd, _) = cam.project(x: x + rx, y: 0, z: z + rz)
        let x0 = max(0, Int(min(pxa, pxc).rounded(.down))), x1 = min(cam.width - 1, Int(max(pxb, pxd).rounded(.up)))
        let y0 = max(0, Int(min(pya, pyb).rounded(.down))), y1 = min(cam.height - 1, Int(max(pya, pyb).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for py in y0...y1 {
            let gz = cam.groundDepth(row: Double(py) + 0.5)
            guard gz.isFinite else { continue }
            for px in x0...x1 {
                let gx = cam.worldX(column: Double(px) + 0.5, depth: gz)
                let du = (gx - x) / rx, dv = (gz - z) / rz
                let d = du * du + dv * dv
                if d <= 1 {
                    let i = py * cam.width + px
                    color[i] = color[i] * (darkness + (1 - darkness) * d * d)
                }
            }
        }
    }
}
