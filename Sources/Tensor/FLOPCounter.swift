import Synchronization

/// Counts the floating-point operations of GEMM-based layers (2 per multiply-add), for
/// benchmarks: achieved GFLOP/s = counted FLOPs / time. Off unless `isEnabled`.
public enum FLOPCounter {
    private static let total = Atomic<Int>(0)
    private static let enabled = Atomic<Bool>(false)

    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    public static var count: Int { total.load(ordering: .relaxed) }
    public static func reset() { total.store(0, ordering: .relaxed) }

    @inline(__always) static func add(_ flops: Int) {
        if enabled.load(ordering: .relaxed) { total.add(flops, ordering: .relaxed) }
    }
}

extension BLAS {
    /// Measured single-precision GEMM rate (GFLOP/s) on n×n×n products: the machine's peak here.
    public static func measurePeak(n: Int = 2048, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = a
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(
                            m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n,
                            c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            let d = ContinuousClock.now - start
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}
