import COpenBLAS

/// Thin wrappers over OpenBLAS's single-precision GEMM, row-major.
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
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Number of threads OpenBLAS uses (set with `OPENBLAS_NUM_THREADS` or `setThreads`).
    public static var threads: Int { Int(openblas_get_num_threads()) }
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
