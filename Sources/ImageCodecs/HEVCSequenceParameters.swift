/// The start of an HEVC sequence parameter set (H.265 7.3.2.2) up to the bit depths: the picture size after
/// the conformance window, the chroma format and the sample depths — what the decoder checks before it lets
/// libde265 allocate anything.
struct HEVCSequenceParameters: Equatable {
    /// chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    var chromaFormat: UInt32
    /// The output size: pic_width/height_in_luma_samples less the conformance window.
    var width: Int
    var height: Int
    var lumaBitDepth: Int
    var chromaBitDepth: Int

    /// Parses an SPS NAL unit (2-byte header included, emulation-prevention bytes present); nil when it is
    /// truncated or inconsistent.
    init?(nalUnit: [UInt8]) {
        guard nalUnit.count > 2 else { return nil }
        var r = BitReader(Self.removingEmulationPrevention(nalUnit[2...]))
        guard r.skip(4), let maxSubLayersMinus1 = r.bits(3), r.skip(1),
            Self.skipProfileTierLevel(&r, maxSubLayersMinus1: Int(maxSubLayersMinus1)),
            r.exponentialGolomb() != nil, let chroma = r.exponentialGolomb(), chroma <= 3
        else { return nil }
        var subWidth = chroma == 1 || chroma == 2 ? 2 : 1
        var subHeight = chroma == 1 ? 2 : 1
        if chroma == 3 {
            guard let separate = r.flag() else { return nil }
            if separate { (subWidth, subHeight) = (1, 1) }
        }
        guard let codedWidth = r.exponentialGolomb(), let codedHeight = r.exponentialGolomb(),
            let window = r.flag()
        else { return nil }
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if window {
            guard let left = r.exponentialGolomb(), let right = r.exponentialGolomb(),
                let top = r.exponentialGolomb(), let bottom = r.exponentialGolomb()
            else { return nil }
            crop = (Int(left), Int(right), Int(top), Int(bottom))
        }
        guard let lumaMinus8 = r.exponentialGolomb(), let chromaMinus8 = r.exponentialGolomb(),
            lumaMinus8 <= 8, chromaMinus8 <= 8
        else { return nil }
        chromaFormat = chroma
        // Offsets are at most 2³² each, so these sums cannot overflow a 64-bit Int.
        width = Int(codedWidth) - subWidth * (crop.left + crop.right)
        height = Int(codedHeight) - subHeight * (crop.top + crop.bottom)
        guard width > 0, height > 0 else { return nil }
        lumaBitDepth = Int(lumaMinus8) + 8
        chromaBitDepth = Int(chromaMinus8) + 8
    }

    /// profile_tier_level(1, maxSubLayersMinus1) (7.3.3): 96 bits of general profile and level, then the
    /// optional sub-layer fields.
    private static func skipProfileTierLevel(_ r: inout BitReader, maxSubLayersMinus1: Int) -> Bool {
        guard r.skip(96) else { return false }
        var profilePresent: [Bool] = [], levelPresent: [Bool] = []
        for _ in 0..<maxSubLayersMinus1 {
            guard let profile = r.flag(), let level = r.flag() else { return false }
            profilePresent.append(profile)
            levelPresent.append(level)
        }
        if maxSubLayersMinus1 > 0, !r.skip(2 * (8 - maxSubLayersMinus1)) { return false }
        for i in 0..<maxSubLayersMinus1 {
            if profilePresent[i], !r.skip(88) { return false }
            if levelPresent[i], !r.skip(8) { return false }
        }
        return true
    }

    /// The RBSP of a NAL payload: every 0x03 that follows two zero bytes is an emulation-prevention byte.
    static func removingEmulationPrevention(_ payload: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count)
        var zeros = 0
        for byte in payload {
            if zeros >= 2, byte == 0x03 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            out.append(byte)
        }
        return out
    }
}
