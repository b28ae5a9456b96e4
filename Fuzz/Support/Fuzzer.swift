import CLibFuzzer

#if canImport(Glibc)
import Glibc
#endif

/// The glue between libFuzzer's driver and a harness: `Fuzzer.run { bytes in … }` hands every input to
/// the closure. libFuzzer's command line (`-max_total_time=…`, corpus folders, a crash file to replay)
/// is the process's. A harness returns normally for any input the code under test refuses (a thrown
/// error is the expected answer to bad bytes); only a trap, an AddressSanitizer report, a timeout or
/// running out of memory is a finding.
public enum Fuzzer {
    public static func run(_ harness: @escaping ([UInt8]) -> Void) -> Never {
        current = harness
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            Fuzzer.current!(bytes)
            return 0
        }
        exit(status)
    }

    /// The harness being fuzzed (set once, before the driver starts; libFuzzer calls it from one thread).
    nonisolated(unsafe) private static var current: (([UInt8]) -> Void)?
}

/// Reads the fields a harness takes from the front of its input; past the end it reads zeros, so every
/// input maps to some case and the rest (`remaining`) is the body under test.
public struct InputReader {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func byte() -> UInt8 {
        defer { offset += 1 }
        return offset < bytes.count ? bytes[offset] : 0
    }

    /// A big-endian u16.
    public mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    /// Everything not read yet.
    public var remaining: [UInt8] { offset < bytes.count ? Array(bytes[offset...]) : [] }
}

/// Stops the fuzzer with a message: an oracle the harness checks (e.g. decode ∘ encode = identity) failed.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        var text = "fuzz check failed: \(message())\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// CRC-32 (ISO-HDLC, as zlib and PNG compute it) of `bytes`, for harnesses that repair checksums.
public func crc32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc = crc >> 8 ^ crcTable[Int(UInt8(truncatingIfNeeded: crc) ^ byte)]
    }
    return ~crc
}

private let crcTable: [UInt32] = (UInt32(0)..<256).map { n in
    (0..<8).reduce(n) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ c >> 1 : c >> 1 }
}

/// With `SEMCOM_FUZZ_TRACE=1` in the environment, writes `message` to standard error: how far an input got
/// (replay a corpus with it to see which inputs the code under test refuses, and why). Free otherwise.
public func fuzzTrace(_ message: @autoclosure () -> String) {
    guard tracing else { return }
    var text = message() + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

private let tracing = getenv("SEMCOM_FUZZ_TRACE").map { String(cString: $0) == "1" } ?? false
