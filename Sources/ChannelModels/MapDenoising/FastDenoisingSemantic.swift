/// GESCO's Fast Denoising Semantic block (FDS): on a noisy one-hot map, a 3×3 average filter
/// (stride 1, zero padding 1, always divided by 9 — PyTorch `AvgPool2d(3, 1, 1)` with its
/// default `count_include_pad=True`) followed by a 3×3 max filter (stride 1, padding 1 that
/// never wins — `MaxPool2d(3, 1, 1)`), each plane on its own. Then `argmax` over the planes
/// gives the class per pixel. The averaging pulls isolated noise spikes down by 9×; the max
/// restores the amplitude and width of real regions that averaging eroded at their edges.
///
/// Both filters are separable (a 3×3 box sum is a row sum of column sums; a 3×3 max is a
/// row max of column maxima), so each costs two 3-tap passes: 4 adds or 4 compares per
/// value instead of 8. The sum differs from PyTorch's 9-term order only by Float rounding
/// (≲ 1 ulp of the sum).
public enum FastDenoisingSemantic {
    /// FDS: the max filter of the average filter of every plane.
    public static func apply(_ planes: ClassPlanes) -> ClassPlanes {
        maxFilter3x3(averageFilter3x3(planes))
    }

    /// 3×3 average per plane, stride 1, zero padding 1 counted in the divisor (sum / 9).
    public static func averageFilter3x3(_ planes: ClassPlanes) -> ClassPlanes {
        filter(planes) { src, tmp, dst, h, w in
            // Rows: horizontal 3-sums with zeros outside the image.
            for y in 0..<h {
                let r = src + y * w, o = tmp + y * w
                if w == 1 { o[0] = r[0]; continue }
                o[0] = r[0] + r[1]
                for x in 1..<(w - 1) { o[x] = r[x - 1] + r[x] + r[x + 1] }
                o[w - 1] = r[w - 2] + r[w - 1]
            }
            // Columns: add the row sums above and below, then divide (PyTorch divides, it
            // does not multiply by 1/9).
            for y in 0..<h {
                let c = tmp + y * w, o = dst + y * w
                if y > 0 && y < h - 1 {
                    let a = c - w, b = c + w
                    for x in 0..<w { o[x] = (a[x] + c[x] + b[x]) / 9 }
                } else if h == 1 {
                    for x in 0..<w { o[x] = c[x] / 9 }
                } else {
                    let n = y == 0 ? c + w : c - w
                    for x in 0..<w { o[x] = (c[x] + n[x]) / 9 }
                }
            }
        }
    }

    /// 3×3 maximum per plane, stride 1, padding 1 that is ignored (−∞).
    public static func maxFilter3x3(_ planes: ClassPlanes) -> ClassPlanes {
        filter(planes) { src, tmp, dst, h, w in
            for y in 0..<h {
                let r = src + y * w, o = tmp + y * w
                if w == 1 { o[0] = r[0]; continue }
                o[0] = max(r[0], r[1])
                for x in 1..<(w - 1) { o[x] = max(max(r[x - 1], r[x]), r[x + 1]) }
                o[w - 1] = max(r[w - 2], r[w - 1])
            }
            for y in 0..<h {
                let c = tmp + y * w, o = dst + y * w
                if y > 0 && y < h - 1 {
                    let a = c - w, b = c + w
                    for x in 0..<w { o[x] = max(max(a[x], c[x]), b[x]) }
                } else if h == 1 {
                    for x in 0..<w { o[x] = c[x] }
                } else {
                    let n = y == 0 ? c + w : c - w
                    for x in 0..<w { o[x] = max(c[x], n[x]) }
                }
            }
        }
    }

    /// The index of the largest plane at each pixel (row-major, `height * width` entries);
    /// ties go to the lowest index, as `torch.argmax` does. Needs at least one plane.
    public static func argmax(_ planes: ClassPlanes) -> [Int] {
        precondition(planes.channels > 0, "argmax needs at least one class plane")
        let size = planes.planeSize
        var best = [Float](planes.values[0..<size])
        var index = [Int](repeating: 0, count: size)
        // Plane by plane, so every pass streams contiguous memory.
        planes.values.withUnsafeBufferPointer { v in
            best.withUnsafeMutableBufferPointer { best in
                index.withUnsafeMutableBufferPointer { index in
                    for k in 1..<planes.channels {
                        let plane = v.baseAddress! + k * size
                        for p in 0..<size where plane[p] > best[p] {  // strict: ties keep the lower k
                            best[p] = plane[p]
                            index[p] = k
                        }
                    }
                }
            }
        }
        return index
    }

    /// Maps plane indices back to label ids through the frame's present-class list:
    /// index k → `presentClassIDs[k]`; an index outside the list → void (255).
    public static func labelIDs(classIndices: [Int], presentClassIDs: [UInt8]) -> [UInt8] {
        classIndices.map { $0 >= 0 && $0 < presentClassIDs.count ? presentClassIDs[$0] : 255 }
    }

    /// The receiver's whole path: FDS (unless `denoise` is false), argmax, and mapping
    /// through `presentClassIDs` (one per plane) → a row-major label map.
    public static func decodeLabels(_ planes: ClassPlanes, presentClassIDs: [UInt8], denoise: Bool = true) -> [UInt8] {
        precondition(presentClassIDs.count == planes.channels, "one class id per plane")
        return labelIDs(classIndices: argmax(denoise ? apply(planes) : planes), presentClassIDs: presentClassIDs)
    }

    /// Runs a separable two-pass `body(src, tmp, dst, height, width)` on every plane (also used by
    /// `PottsDenoiser` for its neighbour sums).
    static func filter(
        _ planes: ClassPlanes,
        _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    ) -> ClassPlanes {
        let h = planes.height, w = planes.width, size = planes.planeSize
        var out = ClassPlanes(channels: planes.channels, height: h, width: w)
        var tmp = [Float](repeating: 0, count: size)
        planes.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                tmp.withUnsafeMutableBufferPointer { tmp in
                    for k in 0..<planes.channels {
                        body(src.baseAddress! + k * size, tmp.baseAddress!, dst.baseAddress! + k * size, h, w)
                    }
                }
            }
        }
        return out
    }
}
