import Foundation

/// Runs CPU-heavy test work on a thread of its own. Swift Testing runs suites concurrently on the
/// cooperative pool, two threads on a two-core machine: a sweep of minutes there would starve the
/// in-process service tests of other suites, whose daemons need the pool to answer within seconds.
/// The caller waits meanwhile, so the work and its result are never shared (hence unchecked).
func onOwnThread<T>(_ body: @escaping () throws -> T) async throws -> T {
    let work = Unchecked(body)
    let result: Unchecked<Result<T, any Error>> = await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: Unchecked(Result { try work.value() })) }
        thread.stackSize = 8 << 20
        thread.start()
    }
    return try result.value.get()
}

private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
