/// The analog payload (GESCO): the symbols of `AnalogSymbols`, each stored little-endian as IEEE 754
/// binary16 or binary32, zlib-compressed. One-hot planes compress very well; noisy ones barely.
public enum AnalogPayload {
    /// zlib level for analog payloads: the default trades little size for speed on large noisy planes.
    public static let compressionLevel: Int32 = 6

    /// The one-hot symbols of the `width`×`height` map `ids` (row-major): the map is downsampled by blocks of
    /// `downsample`×`downsample` pixels, each block taking its majority id (ties to the lower id; edge blocks
    /// count only the pixels inside), and a plane is made for each class that some block took (void blocks
    /// have no plane).
    /// - Throws: `.invalidField` for an id neither `< classCount` nor void, or a factor not in `AnalogLayout.factors`.
    public static func symbols(ids: [UInt8], width: Int, height: Int, classCount: UInt8, downsample: Int) throws
        -> AnalogSymbols
    {
        guard AnalogLayout.factors.contains(downsample) else {
            throw WireError.invalidField("downsample factor \(downsample) must be one of \(AnalogLayout.factors)")
        }
        try MapFrame.checkIDs(ids, classCount: classCount)
        let blocks = blockMajority(ids, width: width, height: height, downsample: downsample)
        let planeWidth = (width + downsample - 1) / downsample
        let planeHeight = (height + downsample - 1) / downsample
        var present = [Bool](repeating: false, count: 256)
        for id in blocks where id != WireProtocol.voidID { present[Int(id)] = true }
        let classes = (0..<256).filter { present[$0] }.map { UInt8($0) }
        var values = [Float](repeating: 0, count: classes.count * blocks.count)
        var plane = [Int](repeating: -1, count: 256)
        for (k, id) in classes.enumerated() { plane[Int(id)] = k }
        for (index, id) in blocks.enumerated() where plane[Int(id)] >= 0 {
            values[plane[Int(id)] * blocks.count + index] = 1
        }
        return AnalogSymbols(
            classes: classes, planeWidth: planeWidth, planeHeight: planeHeight, downsample: downsample, values: values)
    }

    /// Stores `symbols` in `format` and compresses them.
    public static func encode(_ symbols: AnalogSymbols, format: SampleFormat) -> (AnalogLayout, CompressedPayload) {
        let layout = AnalogLayout(
            downsample: UInt8(symbols.downsample), sampleFormat: format, presentClasses: symbols.classes)
        return (
            layout, CompressedPayload(compressing: serialize(symbols.values, format: format), level: compressionLevel)
        )
    }

    /// Checks the CRC, inflates exactly the declared K·H'·W'·bytes and reads the symbols.
    /// - Throws: `.payloadCRCMismatch`, `.declaredSizeMismatch`, `.lengthOverLimit`, `.corruptZlib`, or
    ///   `.invalidField` for a non-finite symbol — each maps to a NACK via `WireError.nackReason`.
    public static func decode(
        _ payload: CompressedPayload, layout: AnalogLayout, width: Int, height: Int, frameID: UInt64 = 0,
        limits: WireLimits = .default
    ) throws -> AnalogSymbols {
        try payload.verifyCRC(frameID: frameID)
        let planeWidth = layout.planeWidth(mapWidth: width)
        let planeHeight = layout.planeHeight(mapHeight: height)
        let count = layout.presentClasses.count * planeWidth * planeHeight
        let expected = count * layout.sampleFormat.byteCount
        guard payload.uncompressedLength == expected else {
            throw WireError.declaredSizeMismatch(
                what: "analog payload uncompressed length for \(layout.presentClasses.count) planes of "
                    + "\(planeWidth)×\(planeHeight) \(layout.sampleFormat)",
                declared: payload.uncompressedLength, actual: expected)
        }
        guard expected <= limits.maxUncompressedLength else {
            throw WireError.lengthOverLimit(
                what: "analog payload", declared: expected, limit: limits.maxUncompressedLength)
        }
        let raw = try Zlib.inflate(payload.bytes, expectedLength: expected)
        let values = deserialize(raw, count: count, format: layout.sampleFormat)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WireError.invalidField("frame \(frameID): analog symbol \(bad) is not a finite number")
        }
        return AnalogSymbols(
            classes: layout.presentClasses, planeWidth: planeWidth, planeHeight: planeHeight,
            downsample: Int(layout.downsample), values: values)
    }

    /// Each block's majority id, row-major over the ⌈H/d⌉×⌈W/d⌉ blocks of the `width`×`height` map `ids`.
    static func blockMajority(_ ids: [UInt8], width: Int, height: Int, downsample d: Int) -> [UInt8] {
        if d == 1 { return ids }
        let planeWidth = (width + d - 1) / d
        let planeHeight = (height + d - 1) / d
        var blocks = [UInt8](repeating: WireProtocol.voidID, count: planeWidth * planeHeight)
        var members: [UInt8] = []
        members.reserveCapacity(d * d)
        for by in 0..<planeHeight {
            for bx in 0..<planeWidth {
                members.removeAll(keepingCapacity: true)
                for y in (by * d)..<min(by * d + d, height) {
                    for x in (bx * d)..<min(bx * d + d, width) { members.append(ids[y * width + x]) }
                }
                members.sort()
                var best = members[0]
                var bestRun = 0
                var start = 0
                while start < members.count {
                    var end = start
                    while end < members.count && members[end] == members[start] { end += 1 }
                    if end - start > bestRun {  // strictly longer: ties keep the lower id
                        best = members[start]
                        bestRun = end - start
                    }
                    start = end
                }
                blocks[by * planeWidth + bx] = best
            }
        }
        return blocks
    }

    /// Symbols as little-endian binary16/binary32 bytes.
    static func serialize(_ values: [Float], format: SampleFormat) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * format.byteCount)
        bytes.withUnsafeMutableBytes { out in
            switch format {
            case .float16:
                for (i, v) in values.enumerated() {
                    out.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            case .float32:
                for (i, v) in values.enumerated() {
                    out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        }
        return bytes
    }

    /// The inverse of `serialize`.
    static func deserialize(_ bytes: [UInt8], count: Int, format: SampleFormat) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch format {
            case .float16:
                (0..<count).map {
                    Float(
                        Float16(
                            bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))
                        ))
                }
            case .float32:
                (0..<count).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
                }
            }
        }
    }
}

extension MapFrame {
    /// An analog frame of the `width`×`height` map `ids` (row-major; first transmission, no hops): see
    /// `AnalogPayload.symbols(ids:…)`.
    public static func analog(
        frameID: UInt64, name: String, width: Int, height: Int, ids: [UInt8], classCount: UInt8, downsample: Int = 1,
        sampleFormat: SampleFormat = .float16
    ) throws -> MapFrame {
        let symbols = try AnalogPayload.symbols(
            ids: ids, width: width, height: height, classCount: classCount, downsample: downsample)
        let (layout, payload) = AnalogPayload.encode(symbols, format: sampleFormat)
        return MapFrame(
            frameID: frameID, name: name, width: width, height: height, classCount: classCount,
            encoding: .analog(layout), payload: payload)
    }

    /// The symbols of an analog frame (see `AnalogPayload.decode`).
    public func decodeAnalogSymbols(limits: WireLimits = .default) throws -> AnalogSymbols {
        guard case .analog(let layout) = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not analog")
        }
        return try AnalogPayload.decode(
            payload, layout: layout, width: width, height: height, frameID: frameID, limits: limits)
    }

    /// This analog frame carrying `values` (e.g. after a relay added noise) in its own sample format,
    /// recompressed with a fresh CRC; every other field is kept.
    /// - Throws: `.invalidField` if the frame is not analog or `values` is not K·H'·W' long.
    public func replacingAnalogSymbols(_ values: [Float]) throws -> MapFrame {
        guard case .analog(let layout) = encoding else {
            throw WireError.invalidField("frame \(frameID) is \(encoding.kind), not analog")
        }
        let count =
            layout.presentClasses.count * layout.planeWidth(mapWidth: width) * layout.planeHeight(mapHeight: height)
        guard values.count == count else {
            throw WireError.invalidField("frame \(frameID) needs \(count) analog symbols, got \(values.count)")
        }
        var frame = self
        frame.payload = CompressedPayload(
            compressing: AnalogPayload.serialize(values, format: layout.sampleFormat),
            level: AnalogPayload.compressionLevel)
        return frame
    }
}
