/// A dense float32 tensor: an explicit shape and a contiguous buffer. Images and feature maps are NCHW
/// (`shape` is always [N, C, H, W]); their data is row-major (`planar`) or, for the U-Net's activations on
/// oneDNN, channel-blocked (`blocked16`), the layout oneDNN's convolutions compute in.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]
    public var layout: Layout

    /// How a tensor's elements are ordered in `data`.
    public enum Layout: Sendable, Equatable {
        /// Row-major in `shape`'s order (NCHW for feature maps).
        case planar
        /// oneDNN's nChw16c: [N][C/16][H][W][16], the 16 channels of a block side by side for each pixel, so that
        /// convolutions read and write it without reorders. Needs C divisible by `Tensor.channelBlock`.
        case blocked16
    }

    /// Channels per block of `Layout.blocked16`.
    public static let channelBlock = 16

    public init(shape: [Int], data: [Float], layout: Layout = .planar) {
        precondition(shape.reduce(1, *) == data.count, "tensor data count \(data.count) does not match shape \(shape)")
        precondition(
            layout == .planar || (shape.count == 4 && shape[1] % Tensor.channelBlock == 0),
            "a blocked tensor is [N, C, H, W] with C divisible by \(Tensor.channelBlock), got \(shape)")
        self.shape = shape
        self.data = data
        self.layout = layout
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// The same data under another shape with the same element count (planar tensors only).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(layout == .planar, "reshaping a blocked tensor: convert it with planar() first")
        return Tensor(shape: newShape, data: data)
    }

    /// Samples `range` of a batch, as a batch of `range.count`.
    public func slice(batch range: Range<Int>) -> Tensor {
        // Both layouts keep each sample contiguous.
        let per = count / shape[0]
        return Tensor(
            shape: [range.count] + shape.dropFirst(),
            data: Array(data[(range.lowerBound * per)..<(range.upperBound * per)]),
            layout: layout)
    }

    /// Largest absolute difference to `other` (same shape and layout).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape && layout == other.layout, "shapes differ: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(data[i] - other.data[i])) }
        return m
    }

    /// Largest absolute value.
    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }
}

/// Element-wise and structural operations.
public enum Ops {
    /// a + b (same shape and layout).
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape && a.layout == b.layout, "add: shapes differ \(a.shape) vs \(b.shape)")
        var out = a
        accumulate(&out, b)
        return out
    }

    /// a += b (same shape and layout), in place: a residual sum without a copy.
    public static func accumulate(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape && a.layout == b.layout, "accumulate: shapes differ \(a.shape) vs \(b.shape)")
        guard a.count > 0 else { return }
        a.data.withUnsafeMutableBufferPointer { o in
            b.data.withUnsafeBufferPointer { bb in
                Elementwise.accumulate(o.baseAddress!, bb.baseAddress!, count: o.count)
            }
        }
    }

    /// Concatenates two NCHW tensors (same layout) along channels. Each sample is a's channels then b's, in
    /// either layout: blocked tensors concatenate whole 16-channel blocks.
    public static func concatChannels(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(
            a.shape.count == 4 && b.shape.count == 4 && a.shape[0] == b.shape[0] && a.layout == b.layout
                && a.shape[2] == b.shape[2] && a.shape[3] == b.shape[3], "concat: incompatible \(a.shape) \(b.shape)")
        let n = a.shape[0], hw = a.shape[2] * a.shape[3]
        let ca = a.shape[1], cb = b.shape[1]
        var out = [Float]()
        out.reserveCapacity(n * (ca + cb) * hw)
        for s in 0..<n {
            out.append(contentsOf: a.data[(s * ca * hw)..<((s + 1) * ca * hw)])
            out.append(contentsOf: b.data[(s * cb * hw)..<((s + 1) * cb * hw)])
        }
        return Tensor(shape: [n, ca + cb, a.shape[2], a.shape[3]], data: out, layout: a.layout)
    }

    /// Concatenates tensors (same layout) along the batch dimension.
    public static func concatBatch(_ parts: [Tensor]) -> Tensor {
        let tail = Array(parts[0].shape.dropFirst()), layout = parts[0].layout
        precondition(
            parts.allSatisfy { Array($0.shape.dropFirst()) == tail && $0.layout == layout },
            "concatBatch: shapes differ")
        return Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + tail, data: parts.flatMap(\.data), layout: layout)
    }

    /// SiLU x·σ(x), in place: the C kernels' SiLU (`Activation.silu`), the one the norms fuse.
    public static func siluInPlace(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            Elementwise.affine(base, count: p.count, a: 1, b: 0, activation: .silu)
        }
    }

    public static func silu(_ x: Tensor) -> Tensor { var y = x; siluInPlace(&y); return y }

    /// ReLU, in place.
    public static func reluInPlace(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count where p[i] < 0 { p[i] = 0 }
        }
    }
}
