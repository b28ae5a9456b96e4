import Foundation
import Imaging
import Tensor

/// Conversions between images, label maps and tensors.
public enum ImageTensor {
    /// RGB bytes → [1, 3, H, W] in −1…1.
    public static func fromImage(_ image: RGBImage) -> Tensor {
        let hw = image.width * image.height
        var data = [Float](repeating: 0, count: 3 * hw)
        for i in 0..<hw { for c in 0..<3 { data[c * hw + i] = Float(image.pixels[3 * i + c]) / 127.5 - 1 } }
        return Tensor(shape: [1, 3, image.height, image.width], data: data)
    }

    /// Sample `n` of [N, 3, H, W] in −1…1 → RGB bytes (rounded, clipped).
    public static func toImage(_ x: Tensor, sample n: Int = 0) -> RGBImage {
        let h = x.shape[2], w = x.shape[3], hw = h * w
        var pixels = [UInt8](repeating: 0, count: 3 * hw)
        let base = n * 3 * hw
        for i in 0..<hw {
            for c in 0..<3 {
                let v = (min(1, max(-1, x.data[base + c * hw + i])) + 1) * 127.5
                pixels[3 * i + c] = UInt8(v.rounded())
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Argmax over channels of sample 0 (ties → lowest class).
    public static func argmax(_ logits: Tensor) -> LabelMap {
        let c = logits.shape[1], h = logits.shape[2], w = logits.shape[3], hw = h * w
        var ids = [UInt8](repeating: 0, count: hw)
        for i in 0..<hw {
            var best = 0, value = logits.data[i]
            for k in 1..<c where logits.data[k * hw + i] > value { best = k; value = logits.data[k * hw + i] }
            ids[i] = UInt8(best)
        }
        return LabelMap(width: w, height: h, ids: ids)
    }

    /// One-hot map [1, K, H, W] of a label map; void (and ids ≥ K) are all-zero pixels.
    public static func oneHot(_ map: LabelMap, classes k: Int) -> Tensor {
        let hw = map.width * map.height
        var data = [Float](repeating: 0, count: k * hw)
        for (i, id) in map.ids.enumerated() where Int(id) < k { data[Int(id) * hw + i] = 1 }
        return Tensor(shape: [1, k, map.height, map.width], data: data)
    }
}
