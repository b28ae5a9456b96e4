import Foundation
import NIOPosix
import SemanticWire
import Synchronization

/// The threads a daemon does its CPU-heavy frame work on (inflating, decoding, denoising, the physical
/// layer, re-encoding, PNG files), with a limit on frames in flight.
///
/// Why: that work takes from milliseconds to seconds per frame. Done on an event loop or on Swift's
/// cooperative pool (two threads on a two-core machine) it freezes every other connection while it runs;
/// here it runs on threads of its own, and a connection waiting for a slot simply stops reading (TCP
/// back-pressure), while the event loops keep answering HELLOs, ACKs and timeouts on the others.
/// The slot limit also bounds the memory frames in work can hold (see `docs/limits.md`).
public final class FrameWorkers: Sendable {
    /// Threads doing frame work.
    public let threads: Int
    /// Frames in work at once (waiting for a thread included); further callers wait for a slot.
    public let maxInFlight: Int
    /// Bytes of working memory all frames in work may hold together (their `cost`s); a frame waits until
    /// its cost fits. A frame costing more than the whole budget runs alone.
    public let memoryBudget: Int
    private let pool: NIOThreadPool
    private let slots: AsyncSlots
    private let memory: AsyncSlots

    /// Bytes of working memory by default: 2 GiB.
    public static let defaultMemoryBudget = 2 << 30

    /// - Parameters:
    ///   - threads: worker threads (default: the cores, at least 1).
    ///   - maxInFlight: frames in work at once (default: 2 per thread).
    ///   - memoryBudget: bytes of working memory for all frames in work (default 2 GiB: one frame of the
    ///     largest map the protocol allows, or hundreds of ordinary ones).
    public init(threads: Int? = nil, maxInFlight: Int? = nil, memoryBudget: Int = defaultMemoryBudget) {
        let threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.threads = threads
        self.maxInFlight = max(1, maxInFlight ?? 2 * threads)
        self.memoryBudget = max(1 << 20, memoryBudget)
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        slots = AsyncSlots(count: self.maxInFlight)
        memory = AsyncSlots(count: self.memoryBudget)
    }

    /// The pool a daemon process shares between its connections.
    public static let shared = FrameWorkers()

    /// Frames in work now (for /metrics and tests).
    public var inFlight: Int { slots.taken }

    /// Runs `body` on a worker thread once a slot and `cost` bytes of the memory budget are free; returns
    /// or throws what it does.
    public func run<T: Sendable>(cost: Int = 0, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let charge = min(max(0, cost), memoryBudget)
        await slots.acquire()
        defer { slots.release() }
        await memory.acquire(charge)
        defer { memory.release(charge) }
        return try await pool.runIfActive(body)
    }
}

/// A counting semaphore for async callers: `acquire(n)` suspends until `n` units are free, first come
/// first served (a large request is not starved by small ones behind it); `release(n)` gives them back.
final class AsyncSlots: Sendable {
    private struct State {
        var free: Int
        var taken = 0
        var waiters: [(units: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state: Mutex<State>

    init(count: Int) { state = .init(State(free: count)) }

    var taken: Int { state.withLock { $0.taken } }

    func acquire(_ units: Int = 1) async {
        guard units > 0 else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.waiters.isEmpty && state.free >= units {
                    state.free -= units
                    state.taken += units
                    return true
                }
                state.waiters.append((units, continuation))
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release(_ units: Int = 1) {
        guard units > 0 else { return }
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.free += units
            state.taken -= units
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiters.first, first.units <= state.free {
                state.waiters.removeFirst()
                state.free -= first.units
                state.taken += first.units
                ready.append(first.continuation)
            }
            return ready
        }
        ready.forEach { $0.resume() }
    }
}

extension FrameWorkers {
    /// Bytes of working memory handling `frame` takes at most, from its declared sizes (checked against
    /// the limits before this is asked): the inflated payload, the analog symbols as float32 and the
    /// denoiser's and channel's copies of them (≈ 6 in all, measured: a 2048×2048 map with 19 classes
    /// peaked at 1.6 GB), the decided map, its colour image and their PNG encodings. A layered frame adds its
    /// SoftCast estimate: three planes of coefficients in float64 and the image (32 bytes per pixel).
    public static func cost(of frame: MapFrame) -> Int {
        let pixels = frame.width * frame.height
        let uncompressed = frame.payload.uncompressedLength
        var symbols = 0, layer = 0
        switch frame.encoding {
        case .analog(let layout): symbols = uncompressed / max(1, layout.sampleFormat.byteCount)
        case .layered(let layout): (symbols, layer) = (layout.symbolCount, 32 * pixels)
        case .digital, .context: break
        }
        return uncompressed + 24 * symbols + 8 * pixels + layer
    }
}
