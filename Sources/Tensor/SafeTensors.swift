import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failure to read weights, naming the file and, where it applies, the tensor.
public struct WeightsError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the raw little-endian data.
/// F32, F16 and BF16 tensors are read as Float. Every offset and size is checked against
/// the file before any data is touched.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One tensor's header entry: element type, shape and byte range in the file.
    public struct Entry: Sendable {
        public let dtype: String
        public let shape: [Int]
        public let begin: Int, end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let dataStart: Int

    /// Largest header accepted (bytes).
    public static let maxHeaderBytes = 100 << 20

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw WeightsError("\(path): cannot open weights file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw WeightsError("\(path): cannot stat weights file") }
        length = Int(st.st_size)
        guard length >= 8 else { throw WeightsError("\(path): truncated safetensors file (\(length) bytes, no header)") }
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw WeightsError("\(path): cannot memory-map weights file")
        }
        base = map
        var headerLength: UInt64 = 0
        withUnsafeMutableBytes(of: &headerLength) { $0.copyMemory(from: UnsafeRawBufferPointer(start: map, count: 8)) }
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(SafeTensorsFile.maxHeaderBytes), Int(headerLength) <= length - 8 else {
            munmap(map, length)
            throw WeightsError("\(path): safetensors header length \(headerLength) exceeds the file (\(length) bytes): truncated or not a safetensors file")
        }
        dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: map + 8, count: Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            munmap(map, length)
            throw WeightsError("\(path): safetensors header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else {
                munmap(map, length)
                throw WeightsError("\(path): tensor \(name): malformed header entry")
            }
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "F16", "BF16": size = 2
            default:
                munmap(map, length)
                throw WeightsError("\(path): tensor \(name): unsupported dtype \(dtype) (F32, F16, BF16 are read)")
            }
            // Shape and offsets come from the file: an unchecked product or sum of them traps on a crafted
            // header (a dimension near 2^63, an offset near Int.max; found by `make fuzz`, Fuzz/regressions/
            // safetensors), so the byte count is computed with overflow checks and the end offset is compared
            // with what follows the header instead of being added to it.
            guard shape.allSatisfy({ $0 >= 0 }), let count = Self.elementCount(shape),
                  case let (byteCount, overflow) = count.multipliedReportingOverflow(by: size), !overflow,
                  offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == byteCount,
                  offsets[1] <= length - dataStart
            else {
                munmap(map, length)
                throw WeightsError("\(path): tensor \(name): data offsets \(offsets) do not fit shape \(shape) \(dtype) within the file (\(length) bytes; truncated?)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.entries = entries
        self.metadata = metadata
    }

    deinit { munmap(base, length) }

    /// The number of elements of `shape` (every dimension ≥ 0), or nil when the product overflows `Int`.
    ///
    /// A header's shapes are untrusted: `shape.reduce(1, *)` trapped on a shape such as [2^32, 2^32] (found by
    /// `make fuzz`, reproducers in Fuzz/regressions/safetensors). This multiplies in the same order as that
    /// `reduce`, so a shape accepted here never traps in `tensor(_:)` or `Tensor.init`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The tensor `name` as float32; `shape`, when given, must match exactly.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        guard let e = entries[name] else { throw WeightsError("\(path): missing tensor \(name)") }
        if let expected, expected != e.shape {
            throw WeightsError("\(path): tensor \(name) has shape \(e.shape), the model expects \(expected)")
        }
        let count = e.shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        let src = UnsafeRawPointer(base) + dataStart + e.begin
        out.withUnsafeMutableBufferPointer { dst in
            switch e.dtype {
            case "F32":
                UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: src, byteCount: count * 4)
            case "F16":
                for i in 0..<count { dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default:  // BF16: the high half of a float32
                for i in 0..<count {
                    dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            }
        }
        return Tensor(shape: e.shape, data: out)
    }
}
