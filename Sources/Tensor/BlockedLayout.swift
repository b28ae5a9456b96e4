import CKernels

extension Tensor.Layout {
    /// The layout for a network's activations whose feature maps have these channel counts: blocked
    /// (convolutions without reorders) on oneDNN with AVX-512 kernels when every count allows it, planar
    /// otherwise (im2col computes in planar; AVX2's kernels in blocks of 8, so 16 would be reordered anyway).
    public static func activations(channels: [Int]) -> Tensor.Layout {
        let blockable = channels.allSatisfy { $0 % Tensor.channelBlock == 0 }
        return ConvolutionBackend.current == .onednn && OneDNN.computesInBlocksOf16 && blockable ? .blocked16 : .planar
    }
}

extension Tensor {
    /// This feature map in `target` layout (itself when it is already).
    public func converted(to target: Layout) -> Tensor {
        guard target != layout else { return self }
        precondition(
            shape.count == 4 && shape[1] % Tensor.channelBlock == 0,
            "only [N, C, H, W] with C divisible by \(Tensor.channelBlock) has a blocked layout, got \(shape)")
        guard count > 0 else { return Tensor(shape: shape, data: [], layout: target) }
        let n = shape[0], channels = shape[1], pixels = shape[2] * shape[3], per = channels * pixels
        let out = [Float](unsafeUninitializedCapacity: count) { destination, initialized in
            data.withUnsafeBufferPointer { source in
                let (from, to) = (source.baseAddress!, destination.baseAddress!)
                Parallel.forEachSlice(n, minimumPerWorker: 1) { samples in
                    for s in samples {
                        if target == .blocked16 {
                            semcom_to_blocked(from + s * per, to + s * per, channels, pixels)
                        } else {
                            semcom_to_planar(from + s * per, to + s * per, channels, pixels)
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: shape, data: out, layout: target)
    }

    /// The number of (sample, 16-channel block) planes of a blocked feature map, and the floats in each.
    public var blockPlanes: (count: Int, floats: Int) {
        (shape[0] * shape[1] / Tensor.channelBlock, Tensor.channelBlock * shape[2] * shape[3])
    }
}

/// Per-channel coefficients of one 16-channel block, as the blocked kernels take them.
public enum BlockCoefficients {
    /// Runs `body` with `arrays` scratch arrays of 16 floats each (on the stack).
    @inline(__always)
    public static func with<R>(_ arrays: Int, _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: arrays * Tensor.channelBlock) { buffer in
            body((0..<arrays).map { buffer.baseAddress! + $0 * Tensor.channelBlock })
        }
    }
}
