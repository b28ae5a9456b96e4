import Foundation
import Imaging

/// Deterministic inputs for the codec tests.
enum TestImages {
    /// The scene size the baselines run at: 64 rows × 128 columns.
    static let width = 128
    static let height = 64

    /// Smooth colour gradients with hard-edged shapes on top (a red block, a dark disc, thin white
    /// stripes), so the codecs see both what they code cheaply and what costs bits.
    static let scene = make(width: width, height: height)

    static func make(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                var pixel = (
                    40 + 150 * x / width, 60 + 120 * y / height, 200 - 140 * (x + y) / (width + height)
                )
                if x > width / 2, y < height / 3 { pixel = (230, 40, 40) }
                let dx = x - width / 4, dy = y - 2 * height / 3
                if dx * dx + dy * dy < 100 { pixel = (20, 20, 20) }
                if (x / 4) % 2 == 0, y > height - 8 { pixel = (250, 250, 250) }
                image[x, y] = (UInt8(pixel.0), UInt8(pixel.1), UInt8(pixel.2))
            }
        }
        return image
    }

    /// Peak signal-to-noise ratio over all channels, in dB (infinite for identical images).
    static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        var squared = 0.0
        for (p, q) in zip(a.pixels, b.pixels) {
            let d = Double(p) - Double(q)
            squared += d * d
        }
        let mse = squared / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// `count` bytes from a fixed-seed xorshift generator: the same "garbage" on every run.
    static func garbage(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }
}
