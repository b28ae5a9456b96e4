/// Resampling to a chosen size: label maps by nearest neighbour (class ids must never be
/// blended), images by area averaging when shrinking and bilinear when enlarging.
public enum Resize {
    /// Nearest-neighbour resize, sampling at pixel centres (as PyTorch's `nearest`).
    public static func nearest(_ map: LabelMap, width: Int, height: Int) -> LabelMap {
        if map.width == width && map.height == height { return map }
        var ids = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let sy = min(map.height - 1, y * map.height / height)
            for x in 0..<width {
                let sx = min(map.width - 1, x * map.width / width)
                ids[y * width + x] = map.ids[sy * map.width + sx]
            }
        }
        return LabelMap(width: width, height: height, ids: ids)
    }

    /// Resizes an image: box-filter (area) average per output pixel footprint when
    /// shrinking, bilinear with half-pixel centres when enlarging.
    public static func image(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        if image.width == width && image.height == height { return image }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
        for y in 0..<height {
            for x in 0..<width {
                var acc = (0.0, 0.0, 0.0), weight = 0.0
                if sx >= 1 && sy >= 1 {
                    // Area: every source pixel whose square overlaps the footprint, weighted by overlap.
                    let x0 = Double(x) * sx, x1 = x0 + sx, y0 = Double(y) * sy, y1 = y0 + sy
                    for j in Int(y0)..<min(image.height, Int(y1.rounded(.up))) {
                        let wy = min(y1, Double(j + 1)) - max(y0, Double(j))
                        for i in Int(x0)..<min(image.width, Int(x1.rounded(.up))) {
                            let w = wy * (min(x1, Double(i + 1)) - max(x0, Double(i)))
                            let p = image[i, j]
                            acc.0 += w * Double(p.0); acc.1 += w * Double(p.1); acc.2 += w * Double(p.2)
                            weight += w
                        }
                    }
                } else {
                    let fx = max(0, min(Double(image.width - 1), (Double(x) + 0.5) * sx - 0.5))
                    let fy = max(0, min(Double(image.height - 1), (Double(y) + 0.5) * sy - 0.5))
                    let ix = Int(fx), iy = Int(fy)
                    let ax = fx - Double(ix), ay = fy - Double(iy)
                    for (dx, dy, w) in [
                        (0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)), (0, 1, (1 - ax) * ay), (1, 1, ax * ay),
                    ] {
                        let p = image[min(ix + dx, image.width - 1), min(iy + dy, image.height - 1)]
                        acc.0 += w * Double(p.0); acc.1 += w * Double(p.1); acc.2 += w * Double(p.2)
                        weight += w
                    }
                }
                let o = 3 * (y * width + x)
                out[o] = UInt8(min(255, max(0, (acc.0 / weight).rounded())))
                out[o + 1] = UInt8(min(255, max(0, (acc.1 / weight).rounded())))
                out[o + 2] = UInt8(min(255, max(0, (acc.2 / weight).rounded())))
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
