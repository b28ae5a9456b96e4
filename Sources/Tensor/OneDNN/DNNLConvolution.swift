import CDNNL
import Foundation

/// A convolution layer's oneDNN plans, one per input shape and precision (a generator meets a few:
/// batch 1 or 2 at each level's size), made at the layer's first call with that shape.
final class DNNLConvolution: @unchecked Sendable {
    private struct Key: Hashable {
        var shape: [Int]
        var precision: Precision
        var input: Tensor.Layout, output: Tensor.Layout
    }

    private let lock = NSLock()
    private var plans: [Key: ConvolutionPlan] = [:]
    /// Shapes oneDNN has no convolution for (they run on im2col).
    private var unsupported: Set<Key> = []

    /// The plans made so far, for `bench-engine` (what oneDNN runs for each layer).
    var implementations: [String] { lock.withLock { plans.values.map(\.implementation) } }

    /// `layer` applied to `x` [N, Cin, H, W] → [N, Cout, Ho, Wo] in `layout`; nil when oneDNN has no convolution
    /// for it.
    func callAsFunction(_ layer: Conv2D, _ x: Tensor, outputShape: [Int], layout: Tensor.Layout) -> Tensor? {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(shape: x.shape, precision: OneDNN.precision, input: x.layout, output: layout)
        guard !unsupported.contains(key) else { return nil }
        var done = false
        // The primitive writes every element: no zero-fill (hundreds of megabytes a layer at 256x512).
        let output = [Float](unsafeUninitializedCapacity: outputShape.reduce(1, *)) { out, initialized in
            x.data.withUnsafeBufferPointer { input in
                if let plan = plans[key]
                    ?? makePlan(layer, key: key, input: input.baseAddress!, scratch: out.baseAddress!)
                {
                    plan.run(input.baseAddress!, into: out.baseAddress!)
                    done = true
                }
            }
            initialized = out.count  // Float needs no initialisation; a failed plan's buffer is thrown away
        }
        guard done else {
            unsupported.insert(key)
            return nil
        }
        FLOPCounter.add(2 * output.count * layer.inChannels * layer.kernel * layer.kernel)
        return Tensor(shape: outputShape, data: output, layout: layout)
    }

    /// Plans the layer for `key`; with `ConvolutionAlgorithm.fastest`, times direct and Winograd on the
    /// real input and keeps the faster. nil when oneDNN has no convolution for the layer.
    private func makePlan(
        _ layer: Conv2D, key: Key, input: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) -> ConvolutionPlan? {
        func plan(_ algorithm: dnnl_alg_kind_t) -> ConvolutionPlan? {
            // Only direct may use as much scratch as it needs (it needs little).
            ConvolutionPlan(
                weights: layer.storage, shape: layer.weightShape, bias: layer.bias, stride: layer.stride,
                padding: layer.padding, input: key.shape, sourceLayout: key.input, destinationLayout: key.output,
                precision: key.precision, algorithm: algorithm,
                scratchpadLimit: algorithm == dnnl_convolution_direct
                    ? .max : ConvolutionAlgorithm.maximumScratchpadBytes)
        }
        let direct = plan(dnnl_convolution_direct)
        var chosen = direct
        let winogradPossible = key.precision == .fp32 && layer.kernel == 3 && layer.stride == 1
        switch OneDNN.algorithm {
        case .direct:
            break
        case .auto:
            if let automatic = plan(dnnl_convolution_auto) { chosen = automatic }
        case .winograd:
            if winogradPossible, let winograd = plan(dnnl_convolution_winograd) { chosen = winograd }
        case .fastest:
            guard winogradPossible else { break }
            // Layers of one shape (the SPADE branches of a level) share the verdict: timed once.
            let shape = AlgorithmChoices.Shape(
                input: key.shape, output: layer.outChannels, kernel: layer.kernel, stride: layer.stride)
            if let known = AlgorithmChoices.shared.verdict(for: shape) {
                if known == .winograd, let winograd = plan(dnnl_convolution_winograd) { chosen = winograd }
            } else if let winograd = plan(dnnl_convolution_winograd) {
                let faster = direct.map { Self.time(winograd, input, scratch) < Self.time($0, input, scratch) } ?? true
                if faster { chosen = winograd }
                AlgorithmChoices.shared.record(faster ? .winograd : .direct, for: shape)
            }
        }
        guard let chosen else { return nil }
        plans[key] = chosen
        return chosen
    }

    /// The best of three runs after one warm-up, in seconds.
    private static func time(
        _ plan: ConvolutionPlan, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>
    )
        -> Double
    {
        plan.run(input, into: output)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            plan.run(input, into: output)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return best / 1e9
    }
}

/// Which algorithm `fastest` chose for each convolution shape, for the whole process.
final class AlgorithmChoices: @unchecked Sendable {
    struct Shape: Hashable {
        var input: [Int]
        var output: Int, kernel: Int, stride: Int
    }

    static let shared = AlgorithmChoices()
    private let lock = NSLock()
    private var verdicts: [Shape: ConvolutionAlgorithm] = [:]

    func verdict(for shape: Shape) -> ConvolutionAlgorithm? { lock.withLock { verdicts[shape] } }
    func record(_ algorithm: ConvolutionAlgorithm, for shape: Shape) { lock.withLock { verdicts[shape] = algorithm } }
}
