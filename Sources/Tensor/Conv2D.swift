import Synchronization

/// A 2-D convolution (square kernel, stride, zero padding). On the oneDNN backend (the default) oneDNN
/// runs it in the precision and with the algorithm `OneDNN` says; on the im2col backend it is im2col +
/// one GEMM per sample: out[Cout, HoWo] = W[Cout, Cin·k·k] · cols[Cin·k·k, HoWo] (1×1 stride-1 convs
/// skip im2col and multiply the input directly).
public struct Conv2D: Sendable {
    /// Where a layer's weights live.
    public enum Storage: Sendable {
        /// In memory, float32 (packed once into oneDNN's layout at the first call).
        case resident(Tensor)
        /// In the model file, read and packed again at every call (`StreamedTensor`).
        case streamed(StreamedTensor)
    }

    public let storage: Storage
    /// [Cout, Cin, k, k].
    public let weightShape: [Int]
    /// [Cout].
    public let bias: [Float]?
    public let stride: Int, padding: Int
    /// The layer's oneDNN plans (made at first use).
    let planned = DNNLConvolution()

    public var inChannels: Int { weightShape[1] }
    public var outChannels: Int { weightShape[0] }
    public var kernel: Int { weightShape[2] }

    /// The weights [Cout, Cin, k, k] in memory (read from the file when streamed).
    public var weight: Tensor {
        switch storage {
        case .resident(let tensor): tensor
        case .streamed(let streamed): streamed.load()
        }
    }

    public init(weight: Tensor, bias: [Float]?, stride: Int = 1, padding: Int? = nil) {
        self.init(storage: .resident(weight), shape: weight.shape, bias: bias, stride: stride, padding: padding)
    }

    /// A layer whose weights stay in the model file (see `StreamedTensor`).
    public init(streamed weight: StreamedTensor, bias: [Float]?, stride: Int = 1, padding: Int? = nil) {
        self.init(storage: .streamed(weight), shape: weight.shape, bias: bias, stride: stride, padding: padding)
    }

    private init(storage: Storage, shape: [Int], bias: [Float]?, stride: Int, padding: Int?) {
        precondition(shape.count == 4 && shape[2] == shape[3], "conv weight must be [Cout,Cin,k,k]")
        self.storage = storage
        self.weightShape = shape
        self.bias = bias
        self.stride = stride
        self.padding = padding ?? shape[2] / 2
    }

    /// The convolution of `x` in `output` layout; nil: `x`'s layout where the output channels allow it (blocked
    /// activations stay blocked), else planar.
    public func callAsFunction(_ x: Tensor, output: Tensor.Layout? = nil) -> Tensor {
        precondition(
            x.shape.count == 4 && x.shape[1] == inChannels,
            "conv expects [N,\(inChannels),H,W], got \(x.shape)")
        let layout = output ?? (outChannels % Tensor.channelBlock == 0 ? x.layout : .planar)
        precondition(
            layout == .planar || outChannels % Tensor.channelBlock == 0,
            "a blocked output needs channels divisible by \(Tensor.channelBlock), this layer has \(outChannels)")
        let n = x.shape[0], h = x.shape[2], w = x.shape[3], k = kernel
        let ho = (h + 2 * padding - k) / stride + 1, wo = (w + 2 * padding - k) / stride + 1
        let cin = inChannels, cout = outChannels, kk = cin * k * k, hw = ho * wo
        if ConvolutionBackend.current == .onednn,
            let y = planned(self, x, outputShape: [n, cout, ho, wo], layout: layout)
        {
            return y
        }
        // im2col works on planar tensors.
        let x = x.converted(to: .planar)
        let direct = k == 1 && stride == 1 && padding == 0
        // Columns go to a per-thread scratch buffer; the output is written in full (bias or
        // beta = 0), so it needs no zero-fill either.
        let cols = direct ? nil : ScratchBuffer.forCurrentThread(count: kk * hw)
        let weight = self.weight
        let out = [Float](unsafeUninitializedCapacity: n * cout * hw) { dst, initialized in
            x.data.withUnsafeBufferPointer { src in
                weight.data.withUnsafeBufferPointer { wt in
                    for s in 0..<n {
                        let input = src.baseAddress! + s * cin * h * w
                        let output = dst.baseAddress! + s * cout * hw
                        if let bias {
                            for c in 0..<cout { (output + c * hw).initialize(repeating: bias[c], count: hw) }
                        }
                        let beta: Float = bias == nil ? 0 : 1
                        if let cols {
                            Conv2D.im2col(
                                input, channels: cin, height: h, width: w, kernel: k, stride: stride,
                                padding: padding, outHeight: ho, outWidth: wo, into: cols)
                            BLAS.sgemm(
                                m: cout, n: hw, k: kk, a: wt.baseAddress!, lda: kk, b: cols, ldb: hw,
                                c: output, ldc: hw, beta: beta)
                        } else {
                            BLAS.sgemm(
                                m: cout, n: hw, k: cin, a: wt.baseAddress!, lda: cin, b: input, ldb: hw,
                                c: output, ldc: hw, beta: beta)
                        }
                    }
                }
            }
            initialized = n * cout * hw
        }
        return Tensor(shape: [n, cout, ho, wo], data: out).converted(to: layout)
    }

    /// Unfolds one CHW image into rows (c, ky, kx) × columns (oy, ox); out-of-image taps are 0.
    /// Row-contiguous writes: each (c, ky, kx) row is filled along ox, the GEMM's inner dim.
    static func im2col(
        _ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int, kernel k: Int,
        stride: Int, padding: Int, outHeight ho: Int, outWidth wo: Int, into cols: UnsafeMutablePointer<Float>
    ) {
        // Channels are independent: split them over the workers.
        Parallel.forEachSlice(channels, minimumPerWorker: 4) { slice in
            for c in slice {
                let plane = input + c * h * w
                for ky in 0..<k {
                    for kx in 0..<k {
                        let row = (c * k + ky) * k + kx
                        let dst = cols + row * ho * wo
                        for oy in 0..<ho {
                            let iy = oy * stride - padding + ky
                            let line = dst + oy * wo
                            if iy < 0 || iy >= h {
                                line.update(repeating: 0, count: wo)
                                continue
                            }
                            let srcRow = plane + iy * w
                            if stride == 1 {
                                // Valid ox range where 0 <= ox - padding + kx < w.
                                let lo = max(0, padding - kx), hi = min(wo, w + padding - kx)
                                if lo > 0 { line.update(repeating: 0, count: lo) }
                                if hi > lo { (line + lo).update(from: srcRow + (lo - padding + kx), count: hi - lo) }
                                if hi < wo { (line + max(hi, 0)).update(repeating: 0, count: wo - max(hi, 0)) }
                            } else {
                                for ox in 0..<wo {
                                    let ix = ox * stride - padding + kx
                                    line[ox] = ix >= 0 && ix < w ? srcRow[ix] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where convolutions run.
public enum ConvolutionBackend: String, Sendable, CaseIterable {
    /// oneDNN (direct, brgconv or Winograd kernels chosen for this CPU at run time).
    case onednn
    /// im2col + the BLAS's sgemm: the engine's first backend, kept for comparison (`bench-engine`).
    case im2col

    private static let setting = Mutex(ConvolutionBackend.onednn)

    /// The backend of every convolution from now on (a process-wide setting, made at start); within
    /// `with`, that one.
    public static var current: ConvolutionBackend {
        get { scoped ?? setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    @TaskLocal private static var scoped: ConvolutionBackend?

    /// Runs `body` on `backend` (for this task only: tests compare backends side by side).
    public static func with<T>(_ backend: ConvolutionBackend, _ body: () throws -> T) rethrows -> T {
        try $scoped.withValue(backend) { try body() }
    }
}
