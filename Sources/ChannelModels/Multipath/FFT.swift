import CFFTW
import Synchronization

/// Unitary discrete Fourier transforms of power-of-two sizes on FFTW (single precision): the library the field
/// uses, kept by its authors for 25 years, in Debian as `libfftw3-dev`. A plan per size and direction is made
/// once, in place (FFTW_ESTIMATE | FFTW_UNALIGNED, so any array will do) under a lock, since FFTW's planner is not
/// thread-safe; executing a plan on new arrays is.
public enum FFT {
    private static let plans = Mutex<[Int: OpaquePointer]>([:])

    private static func plan(size: Int, forward: Bool) -> OpaquePointer {
        plans.withLock { plans in
            let key = forward ? size : -size
            if let plan = plans[key] { return plan }
            // In place, as every transform is run: FFTW's new-array execute keeps the plan's in-place-ness.
            let buffer = fftwf_alloc_complex(size)!
            defer { fftwf_free(buffer) }
            let flags = UInt32(FFTW_ESTIMATE) | UInt32(FFTW_UNALIGNED)
            let plan = fftwf_plan_dft_1d(Int32(size), buffer, buffer, forward ? FFTW_FORWARD : FFTW_BACKWARD, flags)!
            plans[key] = plan
            return plan
        }
    }

    /// X[k] = (1/√N)·Σ_n x[n]·e^(∓j2πkn/N) (forward: −), in place on interleaved (re, im) pairs.
    public static func transform(_ values: inout [ComplexSymbol], forward: Bool) {
        let n = values.count
        guard n > 1 else { return }
        let plan = plan(size: n, forward: forward)
        let scale = 1 / Float(n).squareRoot()
        values.withUnsafeMutableBytes { raw in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: fftwf_complex.self)
            fftwf_execute_dft(plan, pointer, pointer)
        }
        for i in 0..<n { values[i] = values[i] * scale }
    }
}
