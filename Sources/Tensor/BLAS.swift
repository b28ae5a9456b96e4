import CDNNL
import COpenBLAS

/// Single-precision GEMM, row-major: oneDNN's (`dnnl_sgemm`, on the same OpenMP threads as its
/// convolutions) on the oneDNN backend, OpenBLAS's on the im2col backend (the engine's first, kept for
/// side-by-side benchmarks).
public enum BLAS {
    /// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; `transA`/`transB` transpose A (m×k
    /// stored k×m) or B (k×n stored n×k).
    @inline(__always)
    public static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0
    ) {
        FLOPCounter.add(2 * m * n * k)
        if ConvolutionBackend.current == .onednn {
            let status = dnnl_sgemm(
                transA ? 84 : 78, transB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                beta,
                c, Int64(ldc))  // 'T' / 'N'
            precondition(status == dnnl_success, "dnnl_sgemm failed: status \(status.rawValue)")
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Number of threads OpenBLAS uses (set with `OPENBLAS_NUM_THREADS` or `setThreads`).
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// Sets the threads of OpenBLAS and of oneDNN's OpenMP runtime together, so that neither
    /// oversubscribes the cores the other uses (they run one after the other, never at once).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(n))
        OneDNN.setThreads(n)
    }
}
