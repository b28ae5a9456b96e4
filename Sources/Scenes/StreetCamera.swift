/// A pinhole camera at height `cameraHeight` metres above a flat street, looking along +Z.
/// World axes: X to the right, Y up, Z forward (metres). Pixel coordinates: x to the right,
/// y down, origin at the top-left corner, pixel centres at +0.5.
struct StreetCamera: Sendable {
    /// Image size in pixels.
    let width: Int, height: Int
    /// Focal length in pixels.
    let focal: Double
    /// Column of the vanishing point of the street (pixels).
    let centerX: Double
    /// Row of the horizon (pixels).
    let horizon: Double
    /// Height of the camera above the ground (metres).
    let cameraHeight: Double
    /// Closest depth drawn (metres).
    static let nearClip = 0.8

    func project(x X: Double, y Y: Double, z Z: Double) -> (Double, Double) {
        (centerX + focal * X / Z, horizon + focal * (cameraHeight - Y) / Z)
    }

    /// Depth of the ground plane seen at row `py` (infinite at or above the horizon).
    func groundDepth(row py: Double) -> Double {
        py > horizon ? focal * cameraHeight / (py - horizon) : .infinity
    }

    /// World X on a plane of depth `z` seen at column `px`.
    @inline(__always) func worldX(column px: Double, depth z: Double) -> Double { (px - centerX) * z / focal }
    /// World Y on a plane of depth `z` seen at row `py`.
    @inline(__always) func worldY(row py: Double, depth z: Double) -> Double {
        cameraHeight - (py - horizon) * z / focal
    }
    /// Depth at which column `px` meets the vertical plane X = `planeX` (nil if it never does).
    @inline(__always) func depthOnLateralPlane(column px: Double, planeX: Double) -> Double? {
        let dx = px - centerX
        guard dx != 0 else { return nil }
        let z = focal * planeX / dx
        return z > 0 ? z : nil
    }
}
