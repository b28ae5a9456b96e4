import Foundation
import Imaging
import Testing

@testable import Evaluation

@Suite("Metrics")
struct MetricTests {
    /// The pair of `ssim_reference.py` (40×24): a smooth ramp and a deterministically perturbed copy.
    static func referencePair() -> (RGBImage, RGBImage) {
        let w = 40, h = 24
        var a = [UInt8](repeating: 0, count: w * h * 3), b = a
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    let va = (x * 7 + y * 13 + c * 50) % 256
                    let vb = min(255, max(0, va + (x * y + 3 * c) % 31 - 15))
                    a[(y * w + x) * 3 + c] = UInt8(va)
                    b[(y * w + x) * 3 + c] = UInt8(vb)
                }
            }
        }
        return (RGBImage(width: w, height: h, pixels: a), RGBImage(width: w, height: h, pixels: b))
    }

    @Test func psnrOfAKnownPair() {
        let a = RGBImage(width: 16, height: 16, fill: (0, 0, 0))
        let b = RGBImage(width: 16, height: 16, fill: (10, 10, 10))
        // MSE 100 → 10·log10(255² / 100).
        #expect(abs(ImageQuality.psnr(a, b) - 28.130803608679102) < 1e-9)
        #expect(ImageQuality.psnr(a, a) == .infinity)
        let (x, y) = Self.referencePair()
        #expect(abs(ImageQuality.psnr(x, y) - 29.0662372585) < 1e-8)  // numpy, ssim_reference.py
    }

    @Test func ssimIsOneOnIdenticalImages() {
        let (a, _) = Self.referencePair()
        #expect(abs(ImageQuality.ssim(a, a) - 1) < 1e-12)
    }

    @Test func ssimMatchesAnIndependentImplementation() {
        // 0.9573127651: scipy.signal.convolve2d with the 11×11 window (Tests/EvaluationTests/ssim_reference.py).
        let (a, b) = Self.referencePair()
        #expect(abs(ImageQuality.ssim(a, b) - 0.9573127651) < 1e-8)
    }

    @Test func mapAgreementIgnoresVoidReferencePixels() {
        let v = LabelMap.void
        let reference = LabelMap(width: 4, height: 2, ids: [0, 0, 1, 1, v, 2, 2, v])
        let predicted = LabelMap(width: 4, height: 2, ids: [0, 1, 1, 1, 0, 2, v, 3])
        let m = MapAgreement(predicted: predicted, reference: reference)
        // Six labelled pixels, four right; the 0 and 3 predicted on void pixels do not count.
        #expect(m.pixels == 6 && m.correct == 4)
        #expect(abs(m.pixelAccuracy - 4.0 / 6) < 1e-12)
        // IoU: class 0 1/2, class 1 2/3, class 2 1/2 (predicted void is a miss, not a class).
        #expect(m.classes == 3)
        #expect(abs(m.meanIoU - (0.5 + 2.0 / 3 + 0.5) / 3) < 1e-12)
        let perfect = MapAgreement(predicted: reference, reference: reference)
        #expect(perfect.meanIoU == 1 && perfect.pixelAccuracy == 1)
        // A class only the prediction has lowers mIoU.
        let invented = MapAgreement(
            predicted: LabelMap(width: 2, height: 1, ids: [0, 5]),
            reference: LabelMap(width: 2, height: 1, ids: [0, 0]))
        #expect(invented.classes == 2 && abs(invented.meanIoU - 0.25) < 1e-12)
    }

    @Test func intervalUsesStudentT() {
        let m = MeanInterval([1, 2, 3, 4, .nan])
        #expect(m.count == 4 && m.mean == 2.5)
        // s = √(5/3), t(0.975, 3) = 3.182.
        #expect(abs(m.halfWidth - 3.182 * (5.0 / 3).squareRoot() / 2) < 1e-9)
        #expect(MeanInterval([7]).low == 7)
        #expect(MeanInterval([]).count == 0)
    }

    @Test(arguments: [
        ("0,5,10", [0.0, 5, 10]), ("0:25:5", [0.0, 5, 10, 15, 20, 25]), ("-5:5:2.5", [-5.0, -2.5, 0, 2.5, 5]),
        ("20", [20.0]),
    ])
    func snrLists(text: String, expected: [Double]) throws {
        #expect(try SNRList.parse(text) == expected)
    }

    @Test func badSNRListsAreRefused() {
        for text in ["", "a,b", "5:0:1", "0:10:0", "0:10"] {
            #expect(throws: EvaluationError.self) { try SNRList.parse(text) }
        }
    }
}
