/// y = x·Wᵀ + b for x [N, in], W [out, in] (PyTorch's nn.Linear layout).
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: [Float]?

    public init(weight: Tensor, bias: [Float]?) {
        precondition(weight.shape.count == 2, "linear weight must be [out, in]")
        self.weight = weight
        self.bias = bias
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let n = x.shape[0], inF = weight.shape[1], outF = weight.shape[0]
        precondition(x.count == n * inF, "linear expects [N, \(inF)], got \(x.shape)")
        var out = [Float](repeating: 0, count: n * outF)
        if let bias { for s in 0..<n { for o in 0..<outF { out[s * outF + o] = bias[o] } } }
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    BLAS.sgemm(
                        m: n, n: outF, k: inF, a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF,
                        transB: true, c: op.baseAddress!, ldc: outF, beta: bias == nil ? 0 : 1)
                }
            }
        }
        return Tensor(shape: [n, outF], data: out)
    }
}
