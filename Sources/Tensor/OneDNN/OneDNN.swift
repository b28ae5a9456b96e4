import CDNNL
import Foundation
import Synchronization

/// The number format convolutions compute in. Activations stay float32 between layers either way.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// bf16 where the CPU multiplies bf16 in hardware and oneDNN gains from it (AMX), fp32 elsewhere.
    case auto
    case fp32
    /// Inputs and weights rounded to bfloat16 (8-bit mantissa), float32 accumulation and outputs.
    case bf16

    public var description: String { rawValue }
}

/// Which convolution algorithm oneDNN runs for each layer.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Direct and Winograd are both timed at a layer shape's first call, the faster one kept (fp32 only:
    /// oneDNN has no bf16 Winograd). The fastest, but the choice depends on timing, so outputs may differ
    /// in the last bits from another run's: the default of the commands that make images.
    case fastest
    /// Direct (or brgconv) kernels only: the same outputs in every run on a CPU, so a sweep split into
    /// shards gives exactly the whole run's figures: the default of the library and of `semcom eval`.
    case direct
    case winograd
    /// oneDNN's own choice by shape and CPU (deterministic; measured slower than direct here).
    case auto

    /// The most scratch memory a Winograd (or `auto`) convolution may ask for; a layer whose plan asks more
    /// runs direct. Winograd holds its input and output transforms (about 4× the activations) in oneDNN's
    /// scratchpad: on SDM's 256x512 network (lean plan) a guided step peaked at 5.6 GB RSS with no limit,
    /// 4.3 GB at 256 MiB and 3.4–3.5 GB at 64 MiB (direct only: 3.2 GB, 15 % slower than at 64 MiB). The
    /// shipped 64x128 generator's layers need at most a few MiB.
    public static let maximumScratchpadBytes = 64 << 20
}

/// Process-wide settings of the tensor engine's oneDNN backend: its CPU engine, the precision and
/// algorithm convolutions use, and the thread count oneDNN's OpenMP runtime shares with BLAS.
public enum OneDNN {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        return engine!
    }()

    private static let settings = Mutex((precision: Precision.fp32, algorithm: ConvolutionAlgorithm.direct))

    /// The precision convolutions use from now on (`auto` resolved); within `withPrecision`, that one.
    public static var precision: Precision {
        get { scopedPrecision ?? settings.withLock { $0.precision } }
        set { settings.withLock { $0.precision = newValue == .auto ? automaticPrecision : newValue } }
    }

    @TaskLocal private static var scopedPrecision: Precision?

    /// Runs `body` with convolutions in `precision` (for this task only: tests compare precisions side by side).
    public static func withPrecision<T>(_ precision: Precision, _ body: () throws -> T) rethrows -> T {
        try $scopedPrecision.withValue(precision == .auto ? automaticPrecision : precision) { try body() }
    }

    public static var algorithm: ConvolutionAlgorithm {
        get { settings.withLock { $0.algorithm } }
        set { settings.withLock { $0.algorithm = newValue } }
    }

    /// Whether this CPU has bf16 instructions at all (AVX512-BF16 or AMX): `--precision bf16` needs them.
    public static var cpuHasBF16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
    }

    /// Whether oneDNN's kernels here are AVX-512 ones, which compute in 16-channel blocks (`Tensor.Layout.blocked16`);
    /// AVX2's compute in blocks of 8.
    public static var computesInBlocksOf16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return isa & avx512 == avx512
    }

    /// Whether this CPU has AMX tiles for bf16 (Sapphire Rapids and later, when the OS enables them).
    public static var cpuHasAMX: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let amx = dnnl_cpu_isa_avx512_core_amx.rawValue
        return isa & amx == amx
    }

    /// bf16 only with AMX: on AVX512-BF16 alone oneDNN 2.6's bf16 convolutions measured slower than fp32
    /// at the generator's shapes (BENCHMARKS.md), so `auto` stays fp32 there.
    public static var automaticPrecision: Precision { cpuHasAMX ? .bf16 : .fp32 }

    /// The instruction set oneDNN dispatches to, e.g. `avx512_core_bf16`.
    public static var isaName: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2: "avx2"
        case let other: "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }

    /// Sets oneDNN's OpenMP thread count (the BLAS gets the same from `BLAS.setThreads`). libgomp comes with
    /// libdnnl; looked up at run time so the build needs no libgomp development link.
    static func setThreads(_ count: Int) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(nil, "omp_set_num_threads") else { return }  // RTLD_DEFAULT
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(count))
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN failed \(what()): status \(status.rawValue)")
    }
}
