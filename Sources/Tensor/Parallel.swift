import Dispatch
import Foundation

/// Splits element-wise work (norms, activations, im2col) over the engine's threads, so that `--threads 1`
/// stays single-threaded and the cores are not oversubscribed. On the oneDNN backend the work runs on
/// oneDNN's own OpenMP team (as PyTorch's `parallel_for` does): its threads spin for a while after each
/// primitive, and a second pool of threads would compete with them for the cores.
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
            // The slices are disjoint and both runners return only when all are done.
            nonisolated(unsafe) let run = escapable
            nonisolated(unsafe) let slice = { (w: Int) in run((w * count / workers)..<((w + 1) * count / workers)) }
            if ConvolutionBackend.current == .onednn, let team = OpenMPTeam.shared {
                team.run(workers: workers, slice)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { slice($0) }
            }
        }
    }
}

/// libgomp's parallel region, the team oneDNN runs on (libgomp comes with libdnnl; its entry points are
/// looked up at run time, so the build needs no libgomp development link).
struct OpenMPTeam: @unchecked Sendable {
    private typealias Region = @convention(c) (UnsafeMutableRawPointer?) -> Void
    private typealias Parallel = @convention(c) (Region, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    private typealias ThreadNumber = @convention(c) () -> Int32
    private let parallel: Parallel
    private let threadNumber: ThreadNumber

    static let shared: OpenMPTeam? = {
        guard let parallel = dlsym(nil, "GOMP_parallel"), let number = dlsym(nil, "omp_get_thread_num") else {
            return nil
        }
        return OpenMPTeam(
            parallel: unsafeBitCast(parallel, to: Parallel.self),
            threadNumber: unsafeBitCast(number, to: ThreadNumber.self))
    }()

    private struct Work {
        var slice: (Int) -> Void
        var threadNumber: ThreadNumber
    }

    /// Runs `slice(w)` for w in 0..<workers on a team of `workers` threads (the caller is one of them).
    func run(workers: Int, _ slice: (Int) -> Void) {
        withoutActuallyEscaping(slice) { slice in
            var work = Work(slice: slice, threadNumber: threadNumber)
            withUnsafeMutablePointer(to: &work) { pointer in
                parallel(
                    { context in
                        let work = context!.assumingMemoryBound(to: Work.self).pointee
                        work.slice(Int(work.threadNumber()))
                    }, pointer, UInt32(workers), 0)
            }
        }
    }
}
