import Foundation
import Imaging

/// Pixel fidelity of a reconstruction against the original: PSNR and SSIM.
///
/// SSIM follows Wang, Bovik, Sheikh & Simoncelli (2004): an 11×11 Gaussian window with σ = 1.5 (normalised
/// to sum 1), K1 = 0.01, K2 = 0.03, L = 255, evaluated at every position where the window lies wholly inside
/// the image ("valid" windows, as the authors' reference code does) and averaged. It is computed on the
/// luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), the usual choice for colour images.
public enum ImageQuality {
    /// Peak signal-to-noise ratio in dB over all three channels, peak 255; +∞ for identical images.
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "PSNR needs images of one size")
        var sum = 0.0
        for i in 0..<a.pixels.count {
            let d = Double(a.pixels[i]) - Double(b.pixels[i])
            sum += d * d
        }
        let mse = sum / Double(max(a.pixels.count, 1))
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// The SSIM window: side length, σ and the constants of Wang et al.
    public static let ssimWindowSize = 11
    public static let ssimSigma = 1.5
    public static let ssimK1 = 0.01, ssimK2 = 0.03, ssimDynamicRange = 255.0

    /// BT.601 luminance of every pixel, in 0…255.
    public static func luminance(_ image: RGBImage) -> [Double] {
        (0..<(image.width * image.height)).map { p -> Double in
            let r = Double(image.pixels[3 * p]), g = Double(image.pixels[3 * p + 1]),
                b = Double(image.pixels[3 * p + 2])
            return 0.299 * r + 0.587 * g + 0.114 * b
        }
    }

    /// Mean SSIM of the luminance of two images of one size (at least 11×11 pixels).
    public static func ssim(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM needs images of one size")
        return ssim(luminance(a), luminance(b), width: a.width, height: a.height)
    }

    /// Mean SSIM of two single-channel images (row-major, values in 0…255).
    public static func ssim(_ x: [Double], _ y: [Double], width: Int, height: Int) -> Double {
        let n = ssimWindowSize, r = n / 2
        precondition(width >= n && height >= n, "SSIM needs images of at least \(n)×\(n) pixels")
        // The window is separable: filter rows, then columns, for each of the five moments.
        var kernel = (0..<n).map { i in exp(-Double((i - r) * (i - r)) / (2 * ssimSigma * ssimSigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let xx = zip(x, x).map(*), yy = zip(y, y).map(*), xy = zip(x, y).map(*)
        let outW = width - n + 1, outH = height - n + 1
        func filtered(_ v: [Double]) -> [Double] {
            var rows = [Double](repeating: 0, count: height * outW)
            for row in 0..<height {
                for col in 0..<outW {
                    var s = 0.0
                    for k in 0..<n { s += kernel[k] * v[row * width + col + k] }
                    rows[row * outW + col] = s
                }
            }
            var out = [Double](repeating: 0, count: outH * outW)
            for row in 0..<outH {
                for col in 0..<outW {
                    var s = 0.0
                    for k in 0..<n { s += kernel[k] * rows[(row + k) * outW + col] }
                    out[row * outW + col] = s
                }
            }
            return out
        }
        let mx = filtered(x), my = filtered(y), sxx = filtered(xx), syy = filtered(yy), sxy = filtered(xy)
        let c1 = (ssimK1 * ssimDynamicRange) * (ssimK1 * ssimDynamicRange)
        let c2 = (ssimK2 * ssimDynamicRange) * (ssimK2 * ssimDynamicRange)
        var sum = 0.0
        for i in 0..<mx.count {
            let varX = sxx[i] - mx[i] * mx[i], varY = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i]
            sum +=
                ((2 * mx[i] * my[i] + c1) * (2 * cov + c2))
                / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (varX + varY + c2))
        }
        return sum / Double(mx.count)
    }
}
