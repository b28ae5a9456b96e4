/// Paints the static street — sky, facades, the far end, road, sidewalks and terrain — by
/// casting each pixel's ray against the street's planes, nearest first.
struct StreetBackground {
    let layout: StreetLayout
    let lighting: Lighting
    let noise: ValueNoise

    func paint(into canvas: inout SceneCanvas) {
        let cam = canvas.camera
        for py in 0..<cam.height {
            let cy = Double(py) + 0.5
            let groundZ = cam.groundDepth(row: cy)
            for px in 0..<cam.width {
                let cx = Double(px) + 0.5
                let i = py * cam.width + px
                let (c, label) = shade(column: cx, row: cy, groundZ: groundZ, camera: cam)
                canvas.color[i] = c
                canvas.labels[i] = label
            }
        }
    }

    private func shade(column cx: Double, row cy: Double, groundZ: Double, camera cam: StreetCamera) -> (Color, UInt8) {
        let rightSide = cx >= cam.centerX
        let planeX = rightSide ? layout.facadeRight : layout.facadeLeft
        if let zf = cam.depthOnLateralPlane(column: cx, planeX: planeX), zf < layout.streetEnd,
            let segment = layout.segment(rightSide: rightSide, depth: zf)
        {
            let y = cam.worldY(row: cy, depth: zf)
            if y >= 0, let hit = facade(segment, z: zf, y: y, plane: .lateral(x: planeX)) {
                return (lighting.hazed(hit.0, depth: zf), hit.1)
            }
        }
        if groundZ < layout.streetEnd {
            let x = cam.worldX(column: cx, depth: groundZ)
            return ground(x: x, z: groundZ, footprint: groundZ / cam.focal)
        }
        let endZ = layout.streetEnd
        let x = cam.worldX(column: cx, depth: endZ), y = cam.worldY(row: cy, depth: endZ)
        if y >= 0, let hit = streetEnd(x: x, y: y) {
            return (lighting.hazed(hit.0, depth: endZ), hit.1)
        }
        if y < 0 {  // beyond the street's end but below the horizon: far terrain
            return (lighting.hazed(layout.grass * lighting.ground, depth: groundZ), TrainID.terrain)
        }
        return (sky(column: cx, row: cy, camera: cam), TrainID.sky)
    }

    // MARK: - Surfaces

    private func facade(_ s: FacadeSegment, z: Double, y: Double, plane: Plane) -> (Color, UInt8)? {
        let light = lighting.light(on: plane)
        let n = ValueNoise(seed: s.seed)
        switch s.kind {
        case .open:
            return nil
        case let .building(height, spacing, windowWidth, floorHeight, groundFloor):
            guard y < height else { return nil }
            var c = s.base * (1 + 0.18 * n.fbm(z * 1.5, y * 1.5) + 0.06 * (n.value(z * 9, y * 9) - 0.5))
            if y > height - 0.5 { c = c * 0.72 }  // cornice
            let along = (z - s.z0) / spacing
            let inWindowColumn = along - along.rounded(.down) < windowWidth / spacing && along > 0.4
            if y < groundFloor {
                // Shop fronts: large dark windows with a sill.
                if inWindowColumn && y > 0.5 && y < groundFloor - 0.5 {
                    c = glass(n, z: z, y: y, cell: Int(along))
                } else if y < 0.35 {
                    c = c * 0.7
                }
            } else if y < height - 1.0 {
                let floor = (y - groundFloor) / floorHeight
                let f = floor - floor.rounded(.down)
                if inWindowColumn && f > 0.28 && f < 0.78 {
                    c = glass(n, z: z, y: y, cell: Int(along) * 131 + Int(floor))
                } else if inWindowColumn && f >= 0.2 && f <= 0.28 {
                    c = c * 1.12  // sill
                }
            }
            // Ambient occlusion near the ground.
            c = c * (0.8 + 0.2 * min(1, y / 2))
            return (c * light, TrainID.building)
        case let .greenery(height, barrier, barrierHeight):
            if let barrier, y < barrierHeight {
                var c = s.base * (1 + 0.15 * n.fbm(z * 2, y * 2))
                if barrier == TrainID.fence {
                    let slat = z / 0.18 - (z / 0.18).rounded(.down)
                    c = slat < 0.3 ? c * 0.55 : c
                    if y > barrierHeight - 0.1 { c = c * 0.7 }
                } else {
                    let panel = z / 2.5 - (z / 2.5).rounded(.down)
                    if panel < 0.03 { c = c * 0.7 }
                }
                return (c * light, barrier)
            }
            let top = height * (0.75 + 0.5 * (n.value(z / 4, 3.7) - 0.25)) + 1.2 * n.fbm(z / 1.3, 9.1)
            guard y < top else { return nil }
            return (foliage(n, u: z, v: y, top: top) * light, TrainID.vegetation)
        }
    }

    private func glass(_ n: ValueNoise, z: Double, y: Double, cell: Int) -> Color {
        let lit = n.lattice(cell, 17) > 0.9
        let reflect = lighting.skyHorizon * (0.35 + 0.3 * n.lattice(cell, 3))
        let c = lit ? Color(0.95, 0.85, 0.55) : reflect + Color(0.04, 0.05, 0.07)
        return c * (1 + 0.1 * n.fbm(z * 4, y * 4))
    }

    private func foliage(_ n: ValueNoise, u: Double, v: Double, top: Double) -> Color {
        let leaf = n.fbm(u * 3, v * 3, octaves: 3)
        let clumps = n.value(u * 0.8, v * 0.8)
        var c = Color(0.2, 0.36, 0.12).mixed(with: Color(0.34, 0.45, 0.16), clumps)
        c = c * (0.75 + 0.9 * leaf + 0.25 * min(1, v / max(top, 0.1)))
        return c
    }

    private func ground(x: Double, z: Double, footprint: Double) -> (Color, UInt8) {
        // Patterns fade out where one pixel covers more than their detail (no moiré).
        let detail = max(0, min(1, 1.5 - footprint * 8))
        let light = lighting.ground
        if x >= layout.roadLeft && x <= layout.roadRight {
            var c =
                layout.asphalt
                * (1 + 0.22 * noise.fbm(x * 2, z * 0.8) + 0.1 * detail * (noise.value(x * 20, z * 20) - 0.5))
            if isMarking(x: x, z: z, footprint: footprint) { c = Color(0.86, 0.86, 0.82) }
            return (lighting.hazed(c * light, depth: z), TrainID.road)
        }
        let onLeft = x < layout.roadLeft
        if (onLeft && x >= layout.sidewalkLeft) || (!onLeft && x <= layout.sidewalkRight) {
            var c = layout.pavement * (1 + 0.12 * noise.fbm(x * 1.5 + 40, z * 1.5))
            let distanceToRoad = onLeft ? layout.roadLeft - x : x - layout.roadRight
            if distanceToRoad < 0.25 {
                c = c * 1.15  // curb stone
            } else {
                let tu = x / 0.6 - (x / 0.6).rounded(.down), tv = z / 0.6 - (z / 0.6).rounded(.down)
                if tu < 0.06 || tv < 0.06 { c = c * (1 - 0.25 * detail) }
            }
            return (lighting.hazed(c * light, depth: z), TrainID.sidewalk)
        }
        let g =
            layout.grass
            * (1 + 0.35 * noise.fbm(x * 1.2 + 90, z * 1.2) + 0.2 * detail * (noise.value(x * 15, z * 15) - 0.5))
        return (lighting.hazed(g * light, depth: z), TrainID.terrain)
    }

    /// Lane marks: dashed lines between lanes, solid edges, a zebra crossing. All are paint on
    /// the road, so they keep the road's label.
    private func isMarking(x: Double, z: Double, footprint: Double) -> Bool {
        let half = max(0.08, footprint * 0.35)
        if abs(x - layout.roadLeft - 0.25) < half || abs(layout.roadRight - 0.25 - x) < half { return true }
        for lane in 1..<layout.laneCount {
            let bx = layout.roadLeft + Double(lane) * layout.laneWidth
            if abs(x - bx) < half {
                let phase = z / 9 - (z / 9).rounded(.down)
                if phase < 0.35 { return true }
            }
        }
        if let crossing = layout.crossing, crossing.contains(z) {
            let stripe = x / 1.0 - (x / 1.0).rounded(.down)
            return stripe < 0.5
        }
        return false
    }

    private func streetEnd(x: Double, y: Double) -> (Color, UInt8)? {
        let block = Int((x / 11).rounded(.down))
        let h = 7 + 24 * noise.lattice(block, 901)
        guard y < h else { return nil }
        let isTrees = noise.lattice(block, 902) < 0.22
        let n = ValueNoise(seed: noise.seed &+ UInt64(bitPattern: Int64(block)))
        if isTrees {
            let top = h * 0.5 + 1.5 * n.fbm(x / 1.5, 2)
            guard y < top else { return nil }
            return (foliage(n, u: x, v: y, top: top) * lighting.front, TrainID.vegetation)
        }
        var c = StreetLayout.facadeColors[Int(noise.lattice(block, 903) * 8) % 8] * (1 + 0.12 * n.fbm(x, y))
        let wx = x / 3 - (x / 3).rounded(.down), wy = y / 3.2 - (y / 3.2).rounded(.down)
        if wx < 0.45 && wy > 0.3 && wy < 0.75 && y > 3.5 { c = lighting.skyHorizon * 0.45 }
        return (c * lighting.front, TrainID.building)
    }

    private func sky(column cx: Double, row cy: Double, camera cam: StreetCamera) -> Color {
        let t = max(0, min(1, (cam.horizon - cy) / max(cam.horizon, 1)))
        var c = lighting.skyHorizon.mixed(with: lighting.skyTop, t * (2 - t))
        let u = cx / Double(cam.height), v = cy / Double(cam.height)
        let cloud = noise.fbm(u * 3 + 11, v * 6, octaves: 4) + 0.5
        let amount = max(0, min(1, (cloud - (1 - lighting.cloudCover)) * 4))
        c = c.mixed(with: lighting.cloudColor * (0.9 + 0.2 * cloud), amount)
        return c
    }
}
