import Checksums
import Foundation

/// Learned starting counts for the map coder's contexts (`PixelModel`): for the contexts its training maps met,
/// how often each class followed, quantised to weights 0…255. A map coded with a prior starts from what street
/// scenes look like instead of from uniform counts, which is most of the coder's gain on a small map.
///
/// File: safetensors (`models/map-prior/`) with three tensors — `coarse` U8 [coarse contexts, symbols],
/// `fine_keys` U64 [n] strictly ascending, `fine` U8 [n, symbols] — and metadata naming the class count and
/// how the prior was made. Its identity is the CRC-32 of the whole file: a stream names the prior it was
/// coded with, and a decoder with another prior refuses it instead of decoding garbage.
public struct MapPrior: Sendable {
    /// The classes the prior was learned for (maps with another class count cannot use it).
    public let classCount: Int
    /// CRC-32 (zlib's) of the file's bytes.
    public let identity: UInt32
    /// The file's metadata (how and from what it was learned).
    public let metadata: [String: String]
    let symbols: Int
    let coarse: [UInt8]
    let fineKeys: [UInt64]
    let fine: [UInt8]

    /// A file that is not a map prior, or not a well-formed one.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// How an identity is written for people: 0x and 8 hex digits.
    public static func text(identity: UInt32) -> String { CRC32.text(identity) }

    /// Contexts the prior lists, of those its training maps met.
    public var fineContexts: Int { fineKeys.count }

    /// Calls `body` with the weights that start a new slot: the fine context's when the prior lists it, else
    /// its coarse context's.
    @inline(__always)
    func weights<R>(fine key: UInt64, coarse context: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var low = 0, high = fineKeys.count
        while low < high {
            let middle = (low + high) / 2
            if fineKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        if low < fineKeys.count && fineKeys[low] == key {
            return fine.withUnsafeBufferPointer {
                body(UnsafeBufferPointer(rebasing: $0[(low * symbols)..<((low + 1) * symbols)]))
            }
        }
        return coarse.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[(context * symbols)..<((context + 1) * symbols)]))
        }
    }

    // MARK: Learning

    /// Learns a prior from `maps` (class ids below `classCount` or void, row-major).
    /// - Parameters:
    ///   - minimumCount: fine contexts met fewer times are left out (their coarse context stands in).
    ///   - metadata: recorded in the file (command, seeds, map count).
    public static func learn(
        maps: [(ids: [UInt8], width: Int, height: Int)], classCount: Int, minimumCount: Int = 2,
        metadata: [String: String] = [:]
    ) throws -> MapPrior {
        let symbols = classCount + 1
        guard symbols <= MapCoder.maxContextSymbols else {
            throw LoadError("a prior takes at most \(MapCoder.maxContextSymbols - 1) classes, not \(classCount)")
        }
        let coarseCount = Neighbourhood.coarseCount(symbols: symbols)
        var coarseCounts = [UInt32](repeating: 0, count: coarseCount * symbols)
        var fineIndex: [UInt64: Int] = [:]
        var fineCounts: [UInt32] = []
        var fineCoarse: [Int] = []
        for map in maps {
            let indices = map.ids.map { MapCoder.symbol($0, symbols: symbols) }
            var contexts = PixelContexts(symbols: symbols, width: map.width, height: map.height, predicting: true)
            indices.withUnsafeBufferPointer { ids in
                for y in 0..<map.height {
                    contexts.startRow(y, of: ids)
                    for x in 0..<map.width {
                        let s = Int(ids[y * map.width + x])
                        let (c, key) = contexts.both(ids, x: x, y: y)
                        coarseCounts[c * symbols + s] += 1
                        let index =
                            fineIndex[key]
                            ?? {
                                fineIndex[key] = fineCoarse.count
                                fineCoarse.append(c)
                                fineCounts.append(contentsOf: repeatElement(0, count: symbols))
                                return fineCoarse.count - 1
                            }()
                        fineCounts[index * symbols + s] += 1
                    }
                }
            }
        }
        // Coarse weights: the context's class frequencies, as sure as its count allows (≤ 255).
        var coarse = [UInt8](repeating: 0, count: coarseCount * symbols)
        var coarseShare = [Double](repeating: 1 / Double(symbols), count: coarseCount * symbols)
        for c in 0..<coarseCount {
            let row = coarseCounts[(c * symbols)..<((c + 1) * symbols)]
            let total = Double(row.reduce(0, +))
            guard total > 0 else { continue }
            let confidence = min(255, total)
            for s in 0..<symbols {
                let count = Double(row[row.startIndex + s])
                coarse[c * symbols + s] = UInt8((count / total * confidence).rounded())
                coarseShare[c * symbols + s] = (count + 0.02) / (total + 0.02 * Double(symbols))
            }
        }
        // Fine weights: the fine counts with `blend` pseudo-counts of the coarse context's frequencies, so a
        // context met a few times leans on its coarse one.
        let blend = 4.0
        var keys: [UInt64] = []
        var fine: [UInt8] = []
        for (key, index) in fineIndex.sorted(by: { $0.key < $1.key }) {
            let row = fineCounts[(index * symbols)..<((index + 1) * symbols)]
            let total = Double(row.reduce(0, +))
            guard total >= Double(minimumCount) else { continue }
            let c = fineCoarse[index]
            let confidence = min(255, total + blend)
            keys.append(key)
            for s in 0..<symbols {
                let mixed = Double(row[row.startIndex + s]) + blend * coarseShare[c * symbols + s]
                fine.append(UInt8((mixed / (total + blend) * confidence).rounded()))
            }
        }
        var meta = metadata
        meta["format"] = "semcom-map-prior-1"
        meta["class_count"] = "\(classCount)"
        meta["maps"] = "\(maps.count)"
        meta["minimum_count"] = "\(minimumCount)"
        return try MapPrior(bytes: serialize(symbols: symbols, coarse: coarse, keys: keys, fine: fine, metadata: meta))
    }

    // MARK: The file

    /// The file's bytes (what `identity` is the checksum of).
    public let bytes: [UInt8]

    /// Reads the prior at `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError("\(path): cannot read the map prior")
        }
        do {
            try self.init(bytes: Array(data))
        } catch let error as LoadError {
            throw LoadError("\(path): \(error.description)")
        }
    }

    /// Parses a prior file's bytes, checking every shape, offset and key order.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else { throw LoadError("truncated (no safetensors header)") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, headerLength <= min(1 << 20, bytes.count - 8),
            let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))
                as? [String: Any]
        else { throw LoadError("not a safetensors file (bad header)") }
        let data = bytes[(8 + headerLength)...]
        let metadata = header["__metadata__"] as? [String: String] ?? [:]
        guard metadata["format"] == "semcom-map-prior-1", let classCount = metadata["class_count"].flatMap(Int.init),
            (1...(MapCoder.maxContextSymbols - 1)).contains(classCount)
        else { throw LoadError("not a semcom map prior (metadata format/class_count)") }
        let symbols = classCount + 1
        func tensor(_ name: String, dtype: String, elementSize: Int) throws -> (shape: [Int], bytes: ArraySlice<UInt8>)
        {
            guard let entry = header[name] as? [String: Any], entry["dtype"] as? String == dtype,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= data.count,
                offsets[1] - offsets[0] == shape.reduce(elementSize, *)
            else { throw LoadError("tensor \(name) is missing or not \(dtype) with offsets inside the file") }
            return (shape, data[(data.startIndex + offsets[0])..<(data.startIndex + offsets[1])])
        }
        let coarse = try tensor("coarse", dtype: "U8", elementSize: 1)
        let keys = try tensor("fine_keys", dtype: "U64", elementSize: 8)
        let fine = try tensor("fine", dtype: "U8", elementSize: 1)
        guard coarse.shape == [Neighbourhood.coarseCount(symbols: symbols), symbols], keys.shape.count == 1,
            fine.shape == [keys.shape[0], symbols]
        else { throw LoadError("tensor shapes do not fit \(classCount) classes") }
        var fineKeys = [UInt64](repeating: 0, count: keys.shape[0])
        for i in 0..<fineKeys.count {
            var key: UInt64 = 0
            for b in 0..<8 { key |= UInt64(keys.bytes[keys.bytes.startIndex + 8 * i + b]) << UInt64(8 * b) }
            guard i == 0 || key > fineKeys[i - 1] else { throw LoadError("fine_keys are not strictly ascending") }
            fineKeys[i] = key
        }
        self.classCount = classCount
        self.symbols = symbols
        self.metadata = metadata
        self.coarse = Array(coarse.bytes)
        self.fineKeys = fineKeys
        self.fine = Array(fine.bytes)
        self.bytes = bytes
        identity = CRC32.checksum(bytes)
    }

    static func serialize(
        symbols: Int, coarse: [UInt8], keys: [UInt64], fine: [UInt8], metadata: [String: String]
    ) throws -> [UInt8] {
        var data = coarse
        for key in keys { for b in 0..<8 { data.append(UInt8(truncatingIfNeeded: key >> UInt64(8 * b))) } }
        data += fine
        let keysStart = coarse.count, fineStart = coarse.count + 8 * keys.count
        let header: [String: Any] = [
            "__metadata__": metadata,
            "coarse": ["dtype": "U8", "shape": [coarse.count / symbols, symbols], "data_offsets": [0, keysStart]],
            "fine_keys": ["dtype": "U64", "shape": [keys.count], "data_offsets": [keysStart, fineStart]],
            "fine": ["dtype": "U8", "shape": [keys.count, symbols], "data_offsets": [fineStart, data.count]],
        ]
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: json.count >> (8 * i))) }
        return out + json + data
    }
}
