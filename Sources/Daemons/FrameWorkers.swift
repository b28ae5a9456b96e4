import Foundation
import NIOPosix
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
    private let pool: NIOThreadPool
    private let slots: AsyncSlots

    /// - Parameters:
    ///   - threads: worker threads (default: the cores, at least 1).
    ///   - maxInFlight: frames in work at once (default: 2 per thread).
    public init(threads: Int? = nil, maxInFlight: Int? = nil) {
        let threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.threads = threads
        self.maxInFlight = max(1, maxInFlight ?? 2 * threads)
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        slots = AsyncSlots(count: self.maxInFlight)
    }

    /// The pool a daemon process shares between its connections.
    public static let shared = FrameWorkers()

    /// Frames in work now (for /metrics and tests).
    public var inFlight: Int { slots.taken }

    /// Runs `body` on a worker thread once a slot is free; returns or throws what it does.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        await slots.acquire()
        defer { slots.release() }
        return try await pool.runIfActive(body)
    }
}

/// A counting semaphore for async callers: `acquire` suspends while every slot is taken (first come,
/// first served), `release` hands the slot to the longest waiter.
final class AsyncSlots: Sendable {
    private struct State {
        var free: Int
        var taken = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Synchronization.Mutex<State>

    init(count: Int) { state = .init(State(free: count)) }

    var taken: Int { state.withLock { $0.taken } }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    state.taken += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.free += 1
                state.taken -= 1
                return nil
            }
            return state.waiters.removeFirst()  // the slot passes on: `taken` stays
        }
        next?.resume()
    }
}
