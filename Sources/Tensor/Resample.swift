import CKernels

/// Resampling of NCHW tensors (the U-Net's up/down sampling and the map resize), matching PyTorch's conventions.
public enum Resample {
    /// A blocked tensor resampled plane by plane into [N, C, height, width] by `kernel(source, destination)`.
    private static func perBlockPlane(
        _ x: Tensor, height: Int, width: Int, _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let planes = x.blockPlanes, outFloats = Tensor.channelBlock * height * width
        let shape = [x.shape[0], x.shape[1], height, width]
        // Nothing to resample: an empty input gives an empty output (its planes or pixels are 0 too).
        guard planes.count * outFloats > 0 else { return Tensor(shape: shape, data: [], layout: .blocked16) }
        let out = [Float](unsafeUninitializedCapacity: planes.count * outFloats) { destination, initialized in
            x.data.withUnsafeBufferPointer { source in
                let (from, to) = (source.baseAddress!, destination.baseAddress!)
                Parallel.forEachSlice(planes.count, minimumPerWorker: 1) { slice in
                    for plane in slice { kernel(from + plane * planes.floats, to + plane * outFloats) }
                }
            }
            initialized = planes.count * outFloats
        }
        return Tensor(shape: shape, data: out, layout: .blocked16)
    }

    /// Nearest-neighbour ×2 (F.interpolate(scale_factor=2, mode="nearest")).
    public static func upsampleNearest2x(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        if x.layout == .blocked16 {
            return perBlockPlane(x, height: 2 * h, width: 2 * w) { semcom_block_upsample2x($0, $1, h, w) }
        }
        var out = [Float](repeating: 0, count: n * c * h * w * 4)
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(n * c) {
                    let s = src.baseAddress! + plane * h * w, d = dst.baseAddress! + plane * h * w * 4
                    for y in 0..<h {
                        let row = d + 2 * y * 2 * w
                        for xx in 0..<w { let v = s[y * w + xx]; row[2 * xx] = v; row[2 * xx + 1] = v }
                        (row + 2 * w).update(from: row, count: 2 * w)
                    }
                }
            }
        }
        return Tensor(shape: [n, c, 2 * h, 2 * w], data: out)
    }

    /// 2×2 average pooling, stride 2 (F.avg_pool2d(x, 2)); odd trailing rows/columns dropped.
    public static func averagePool2x2(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], ho = h / 2, wo = w / 2
        if x.layout == .blocked16 {
            return perBlockPlane(x, height: ho, width: wo) { semcom_block_average_pool2x2($0, $1, h, w) }
        }
        var out = [Float](repeating: 0, count: n * c * ho * wo)
        for plane in 0..<(n * c) {
            let s = plane * h * w, d = plane * ho * wo
            for y in 0..<ho {
                for xx in 0..<wo {
                    let i = s + 2 * y * w + 2 * xx
                    out[d + y * wo + xx] = (x.data[i] + x.data[i + 1] + x.data[i + w] + x.data[i + w + 1]) * 0.25
                }
            }
        }
        return Tensor(shape: [n, c, ho, wo], data: out)
    }

    /// Nearest resize to (height, width): source index ⌊dst·in/out⌋ (PyTorch "nearest").
    public static func resizeNearest(_ x: Tensor, height: Int, width: Int) -> Tensor {
        precondition(x.layout == .planar, "resizeNearest takes planar maps")
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        if h == height && w == width { return x }
        let sy = Float(h) / Float(height), sx = Float(w) / Float(width)
        let ys = (0..<height).map { min(h - 1, Int(Float($0) * sy)) }
        let xs = (0..<width).map { min(w - 1, Int(Float($0) * sx)) }
        var out = [Float](repeating: 0, count: n * c * height * width)
        for plane in 0..<(n * c) {
            for y in 0..<height {
                for xx in 0..<width {
                    out[(plane * height + y) * width + xx] = x.data[(plane * h + ys[y]) * w + xs[xx]]
                }
            }
        }
        return Tensor(shape: [n, c, height, width], data: out)
    }
}
