import Imaging

/// JPEG's YCbCr (ITU-R BT.601, full range), centred: each plane minus 128, so a mid-grey image is all zeros.
/// SoftCast sends Y, Cb and Cr as separate planes: the chroma planes carry little energy, so their chunks are
/// the first to be dropped when the budget is short.
public enum YCbCr {
    /// The three centred planes (height × width each, row-major) of `image`.
    public static func planes(of image: RGBImage) -> [[Float]] {
        let n = image.width * image.height
        var y = [Float](repeating: 0, count: n), cb = y, cr = y
        for i in 0..<n {
            let r = Float(image.pixels[3 * i]), g = Float(image.pixels[3 * i + 1]), b = Float(image.pixels[3 * i + 2])
            y[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128
            cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b
            cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b
        }
        return [y, cb, cr]
    }

    /// The image of three centred planes, rounded and clamped to 0…255.
    public static func image(planes: [[Float]], width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let y = planes[0][i] + 128, cb = planes[1][i], cr = planes[2][i]
            let rgb = [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb]
            for c in 0..<3 { pixels[3 * i + c] = UInt8(max(0, min(255, rgb[c].rounded()))) }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// How a squared error per Y, Cb, Cr plane becomes a mean squared error per RGB value, for errors
    /// independent across the planes: the mean over R, G, B of Σ_plane (inverse coefficient)² · error.
    public static func rgbMSE(planeMSE: [Double]) -> Double {
        let inverse: [[Double]] = [[1, 0, 1.402], [1, -0.344136, -0.714136], [1, 1.772, 0]]
        return inverse.map { row in zip(row, planeMSE).map { $0 * $0 * $1 }.reduce(0, +) }.reduce(0, +) / 3
    }
}
