import ArgumentParser
import Tensor

extension Precision: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension ConvolutionBackend: ExpressibleByArgument {}

/// How the tensor engine runs the networks (generator and segmenter): precision, convolution algorithm,
/// backend and threads. Every command that runs a network takes these flags.
struct EngineOptions: ParsableArguments {
    @Option(help: "Convolution precision: auto (bf16 with AMX, else fp32), fp32 or bf16 (needs AVX512-BF16 or AMX).")
    var precision: Precision = .auto
    @Option(
        help:
            "Convolution algorithm: fastest (direct and Winograd timed per layer shape; default, eval excepted), direct (the same outputs in every run; eval's default), winograd or auto (oneDNN's choice)."
    )
    var convAlgorithm: ConvolutionAlgorithm?
    @Option(help: .hidden) var convBackend: ConvolutionBackend = .onednn
    @Option(help: "Threads of the engine, oneDNN and BLAS together (0: one per core).") var threads: Int = 0

    func validate() throws {
        if precision == .bf16 && !OneDNN.cpuHasBF16 {
            throw ValidationError(
                "--precision bf16: this CPU has no bf16 instructions (oneDNN dispatches to \(OneDNN.isaName)); use fp32 or auto"
            )
        }
        if threads < 0 { throw ValidationError("--threads must be ≥ 0") }
    }

    /// Makes these the process's engine settings (before any network runs); `algorithm` unless
    /// `--conv-algorithm` says otherwise.
    func apply(algorithm: ConvolutionAlgorithm = .fastest) {
        if threads > 0 { BLAS.setThreads(threads) }
        OneDNN.precision = precision
        OneDNN.algorithm = convAlgorithm ?? algorithm
        ConvolutionBackend.current = convBackend
    }
}
