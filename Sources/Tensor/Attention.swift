/// Multi-head self-attention over the H·W positions of a feature map, with guided-diffusion's
/// "legacy" QKV layout: the 1×1 qkv projection's 3C outputs are split per head into
/// consecutive [q; k; v] blocks of `C/heads` channels. Scores use q·k/√d, softmax in float.
public enum SelfAttention {
    /// qkv: [N, 3C, T] (already projected); returns [N, C, T].
    public static func attend(qkv: Tensor, heads: Int) -> Tensor {
        let n = qkv.shape[0], c3 = qkv.shape[1], t = qkv.shape[2], c = c3 / 3, d = c / heads
        let scale = 1 / Float(d).squareRoot()
        var out = [Float](repeating: 0, count: n * c * t)
        var scores = [Float](repeating: 0, count: t * t)
        qkv.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                scores.withUnsafeMutableBufferPointer { sc in
                    for s in 0..<n {
                        for hd in 0..<heads {
                            let q = src.baseAddress! + (s * c3 + hd * 3 * d) * t
                            let k = q + d * t, v = k + d * t
                            // scores[tq, tk] = Σ_c q[c,tq] k[c,tk] · scale
                            BLAS.sgemm(
                                m: t, n: t, k: d, a: q, lda: t, transA: true, b: k, ldb: t,
                                c: sc.baseAddress!, ldc: t, alpha: scale)
                            let scores = sc.baseAddress!
                            Parallel.forEachSlice(t, minimumPerWorker: 16) { rows in
                                Elementwise.softmaxRows(scores + rows.lowerBound * t, rows: rows.count, columns: t)
                            }
                            // out[c, tq] = Σ_tk v[c, tk] · scores[tq, tk]
                            let o = dst.baseAddress! + (s * c + hd * d) * t
                            BLAS.sgemm(
                                m: d, n: t, k: t, a: v, lda: t, b: sc.baseAddress!, ldb: t, transB: true,
                                c: o, ldc: t)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, t], data: out)
    }
}

#if canImport(Glibc)
import Glibc
#endif
