import Dispatch

/// Splits element-wise work (norms, activations, im2col) over the same number of threads the
/// BLAS uses, so that `--threads 1` stays single-threaded and the cores are not oversubscribed.
public enum Parallel {
    /// Runs `body(range)` on contiguous slices of `0..<count`, one per worker; small jobs
    /// (under `minimumPerWorker` items) run inline.
    @inline(__always)
    public static func forEachSlice(_ count: Int, minimumPerWorker: Int = 8, _ body: (Range<Int>) -> Void) {
        let workers = min(max(1, BLAS.threads), count / max(1, minimumPerWorker))
        if workers <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The slices are disjoint and concurrentPerform returns only when all are done.
            nonisolated(unsafe) let run = escapable
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                run((w * count / workers)..<((w + 1) * count / workers))
            }
        }
    }
}
