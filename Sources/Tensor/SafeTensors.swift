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

    /// The kernel's page size (bytes), for `madvise`.
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Largest header accepted (bytes).
    public static let maxHeaderBytes = 100 << 20

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw WeightsError("\(path): cannot open weights file (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw WeightsError("\(path): cannot stat weights file") }
        length = Int(st.st_size)
        guard length >= 8 else {
            throw WeightsError("\(path): truncated safetensors file (\(length) bytes, no header)")
        }
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw WeightsError("\(path): cannot memory-map weights file")
        }
        base = map
        var headerLength: UInt64 = 0
        withUnsafeMutableBytes(of: &headerLength) { $0.copyMemory(from: UnsafeRawBufferPointer(start: map, count: 8)) }
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(SafeTensorsFile.maxHeaderBytes), Int(headerLength) <= length - 8 else {
            munmap(map, length)
            throw WeightsError(
                "\(path): safetensors header length \(headerLength) exceeds the file (\(length) bytes): truncated or not a safetensors file"
            )
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
                throw WeightsError(
                    "\(path): tensor \(name): data offsets \(offsets) do not fit shape \(shape) \(dtype) within the file (\(length) bytes; truncated?)"
                )
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.entries = entries
        self.metadata = metadata
    }

    deinit { munmap(base, length) }

    /// The number of values the file's tensors hold, from their byte ranges (each within the file), summed with
    /// saturation: a crafted header's overlapping entries cannot overflow it.
    public var parameterCount: Int {
        entries.values.reduce(0) { total, e in
            let (sum, overflow) = total.addingReportingOverflow((e.end - e.begin) / (e.dtype == "F32" ? 4 : 2))
            return overflow ? .max : sum
        }
    }

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
        let e = try entry(name, shape: expected)
        let out = [Float](unsafeUninitializedCapacity: e.shape.reduce(1, *)) { dst, initialized in
            convert(e, into: dst.baseAddress!)
            initialized = dst.count
        }
        return Tensor(shape: e.shape, data: out)
    }

    /// The tensor `name` left in the file, read at each use (`StreamedTensor`); `shape` must match exactly.
    public func streamed(_ name: String, shape expected: [Int]) throws -> StreamedTensor {
        let e = try entry(name, shape: expected)
        return StreamedTensor(file: self, name: name, shape: e.shape)
    }

    /// Reads tensor `name` (which must exist) as float32 into `destination`, then gives the file's pages of it
    /// back (`madvise(MADV_DONTNEED)` on the whole pages it covers): a mapped file's touched pages count in
    /// the process's resident set, and a streamed model's would add up to the whole file.
    func read(_ name: String, into destination: UnsafeMutablePointer<Float>) {
        let e = entries[name]!
        convert(e, into: destination)
        let page = Self.pageSize
        let first = (dataStart + e.begin + page - 1) / page * page, last = (dataStart + e.end) / page * page
        if last > first { madvise(base + first, last - first, MADV_DONTNEED) }
    }

    private func entry(_ name: String, shape expected: [Int]?) throws -> Entry {
        guard let e = entries[name] else { throw WeightsError("\(path): missing tensor \(name)") }
        if let expected, expected != e.shape {
            throw WeightsError("\(path): tensor \(name) has shape \(e.shape), the model expects \(expected)")
        }
        return e
    }

    /// Entry `e`'s values as float32 into `dst` (its element count of them).
    private func convert(_ e: Entry, into dst: UnsafeMutablePointer<Float>) {
        let count = e.shape.reduce(1, *)
        let src = UnsafeRawPointer(base) + dataStart + e.begin
        switch e.dtype {
        case "F32":
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        case "F16":
            for i in 0..<count {
                dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        default:  // BF16: the high half of a float32
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        }
    }
}

/// A tensor left in its `.safetensors` file and read each time it is used: a model whose weights would not fit
/// in memory beside its activations (SDM's 256x512 network: 654 M parameters, 2.6 GB as float32) keeps only
/// the layer at work in memory, at the cost of reading and converting it again at every use.
public struct StreamedTensor: Sendable {
    public let file: SafeTensorsFile
    public let name: String
    public let shape: [Int]

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The same values seen with another shape of as many elements.
    public func reshaped(_ shape: [Int]) -> StreamedTensor {
        precondition(shape.reduce(1, *) == count, "reshape \(self.shape) → \(shape) changes the element count")
        return StreamedTensor(file: file, name: name, shape: shape)
    }

    /// Reads the values as float32 into `destination` (`count` floats).
    public func read(into destination: UnsafeMutablePointer<Float>) { file.read(name, into: destination) }

    /// The values as an in-memory tensor.
    public func load() -> Tensor {
        Tensor(
            shape: shape,
            data: [Float](unsafeUninitializedCapacity: count) { dst, initialized in
                read(into: dst.baseAddress!)
                initialized = dst.count
            })
    }
}
