import Imaging

/// HEVC intra, Main 4:4:4 8-bit (what BPG is): x265 encodes, libde265 decodes; full-range BT.601 Y′CbCr
/// through our own transform (`YCbCrPlanes`), so no colour description is sent.
///
/// On the channel — a lean carriage, no HEIF container (`HEVCCarriage`): the VPS, SPS and PPS NAL units and
/// the one IDR slice, each without its fixed 2-byte NAL header, the parameter sets prefixed by LEB128 varint
/// lengths (the slice runs to the end). 3 bytes of framing; the parameter sets themselves are 23 (VPS) +
/// 29 (SPS) + 6 (PPS) bytes at 64×128, so about 61 bytes precede the slice.
///
/// Qualities 0…51 map inversely to x265's constant QP: QP = 51 − quality.
///
/// x265 codes no picture smaller than its 32-pixel coding tree unit, so a side under 32 pixels is padded to
/// 32 (edge samples repeated) and the receiver, which knows the real size, crops; the SPS then carries the
/// padded size, and the size check compares padded sizes.
public struct HEVCCodec: ImageCodec {
    public let name = "hevc"
    public let qualities: ClosedRange<Int> = 0...51
    /// x265's preset; the pictures are tiny, so the slowest useful search costs milliseconds.
    public let preset: String

    public init(preset: String = "veryslow") {
        self.preset = preset
    }

    public func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8] {
        try CodecChecks.quality(quality, in: qualities, codec: name)
        try CodecChecks.encodable(image, codec: name)
        let units: [[UInt8]]
        let coded = Self.codedSize(width: image.width, height: image.height)
        let planes = YCbCrPlanes(image).padded(width: coded.width, height: coded.height)
        switch X265Encoder.encode(planes, qp: 51 - quality, preset: preset) {
        case .success(let encoded): units = encoded
        case .failure(.failed(let detail)): throw .encoderFailed(codec: name, detail: detail)
        }
        guard let carriage = HEVCCarriage(nalUnits: units) else {
            let types = units.map { String(($0.first ?? 0) >> 1 & 0x3F) }.joined(separator: ",")
            throw .encoderFailed(codec: name, detail: "unexpected NAL units from x265 (types \(types))")
        }
        return carriage.bytes
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        guard let carriage = HEVCCarriage(bytes: bytes) else {
            throw .corrupt(codec: name, detail: "parameter-set lengths run past the end")
        }
        guard let sps = HEVCSequenceParameters(nalUnit: carriage.sps) else {
            throw .corrupt(codec: name, detail: "unreadable sequence parameter set")
        }
        // The SPS says the size before libde265 allocates a picture for it.
        let coded = Self.codedSize(width: width, height: height)
        guard sps.width == coded.width, sps.height == coded.height else {
            throw .wrongSize(codec: name, expected: "\(width)x\(height)", got: "\(sps.width)x\(sps.height)")
        }
        guard sps.chromaFormat == 3, sps.lumaBitDepth == 8, sps.chromaBitDepth == 8 else {
            throw .corrupt(codec: name, detail: "not 8-bit 4:4:4")
        }
        switch De265Decoder.decode(carriage.nalUnits, width: coded.width, height: coded.height) {
        case .success(let planes): return planes.cropped(width: width, height: height).rgb
        case .failure(.failed(let detail)): throw .corrupt(codec: name, detail: detail)
        }
    }

    /// The size x265 codes for a `width` × `height` image: each side at least one CTU.
    static func codedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (max(width, X265Encoder.ctuSize), max(height, X265Encoder.ctuSize))
    }
}
