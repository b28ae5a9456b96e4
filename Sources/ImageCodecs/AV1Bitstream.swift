/// The parts of the AV1 bitstream (AV1 specification, sections 5.3 and 5.5) the AVIF carriage needs:
/// splitting a buffer into OBUs and reading the sequence header's profile, level, size and colour format.
enum AV1Bitstream {
    /// OBU types (section 6.2.2).
    enum OBUType: UInt8 {
        case sequenceHeader = 1, temporalDelimiter = 2, frameHeader = 3, tileGroup = 4, metadata = 5, frame = 6
        case redundantFrameHeader = 7, tileList = 8, padding = 15
    }

    /// One OBU: its type and where it lies (header included) in the buffer it was split from.
    struct OBU {
        let type: UInt8
        let range: Range<Int>
        /// The payload, after the header and its size field.
        let payload: Range<Int>
    }

    /// Splits `bytes` into OBUs, each with `obu_has_size_field` set (the "low overhead" format); nil when an
    /// OBU has the forbidden bit set, lacks a size field, or runs past the end, or when bytes are left over.
    static func obus(_ bytes: [UInt8]) -> [OBU]? {
        var list: [OBU] = []
        var offset = 0
        while offset < bytes.count {
            let start = offset
            let header = bytes[offset]
            let forbidden = header & 0x80 != 0, hasExtension = header & 0x04 != 0, hasSize = header & 0x02 != 0
            guard !forbidden, hasSize else { return nil }
            offset += hasExtension ? 2 : 1
            guard offset <= bytes.count, let size = LEB128.read(bytes[...], at: &offset),
                size <= bytes.count - offset
            else { return nil }
            let payload = offset..<(offset + size)
            list.append(OBU(type: (header >> 3) & 0x0F, range: start..<payload.upperBound, payload: payload))
            offset += size
        }
        return list
    }

    /// What the sequence header says about the coded image: enough to rebuild the AVIF `av1C` and `ispe`
    /// properties and to check the size and colour format.
    struct SequenceHeader: Equatable {
        var profile: UInt8 = 0
        var level: UInt8 = 0
        var tier: UInt8 = 0
        var highBitDepth = false
        var twelveBit = false
        var monochrome = false
        var subsamplingX = false
        var subsamplingY = false
        var chromaSamplePosition: UInt8 = 0
        /// The largest frame the stream codes, in pixels (`max_frame_*_minus_1` + 1).
        var maxWidth = 0
        var maxHeight = 0
        var reducedStillPictureHeader = false

        var bitDepth: Int { twelveBit ? 12 : highBitDepth ? 10 : 8 }

        /// Parses a sequence header OBU's payload; nil when it is truncated or malformed.
        init?(payload: some Collection<UInt8>) {
            var r = BitReader(payload)
            guard let profile = r.bits(3), profile <= 2, r.flag() != nil, let reduced = r.flag() else { return nil }
            self.profile = UInt8(profile)
            reducedStillPictureHeader = reduced
            if reduced {
                guard let level = r.bits(5) else { return nil }
                self.level = UInt8(level)
            } else {
                guard Self.skipOperatingPoints(&r, into: &self) else { return nil }
            }
            guard let widthBits = r.bits(4), let heightBits = r.bits(4),
                let width = r.bits(Int(widthBits) + 1), let height = r.bits(Int(heightBits) + 1)
            else { return nil }
            maxWidth = Int(width) + 1
            maxHeight = Int(height) + 1
            if !reduced {
                guard let frameIDs = r.flag() else { return nil }
                if frameIDs, !r.skip(7) { return nil }
            }
            // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
            guard r.skip(3) else { return nil }
            if !reduced, !Self.skipInterTools(&r) { return nil }
            // enable_superres, enable_cdef, enable_restoration
            guard r.skip(3), parseColorConfig(&r) else { return nil }
        }

        /// timing_info … operating points (5.5.1), keeping the first operating point's level and tier.
        private static func skipOperatingPoints(_ r: inout BitReader, into header: inout SequenceHeader) -> Bool {
            guard let timing = r.flag() else { return false }
            var decoderModel = false
            var bufferDelayLength = 0
            if timing {
                // num_units_in_display_tick, time_scale, equal_picture_interval
                guard r.skip(64), let equal = r.flag() else { return false }
                if equal, r.uvlc() == nil { return false }
                guard let model = r.flag() else { return false }
                decoderModel = model
                if model {
                    guard let length = r.bits(5), r.skip(32 + 5 + 5) else { return false }
                    bufferDelayLength = Int(length) + 1
                }
            }
            guard let initialDelay = r.flag(), let count = r.bits(5) else { return false }
            for index in 0...Int(count) {
                guard r.skip(12), let level = r.bits(5) else { return false }
                var tier: UInt32 = 0
                if level > 7 {
                    guard let t = r.bits(1) else { return false }
                    tier = t
                }
                if index == 0 {
                    header.level = UInt8(level)
                    header.tier = UInt8(tier)
                }
                if decoderModel {
                    guard let present = r.flag() else { return false }
                    if present, !r.skip(2 * bufferDelayLength + 1) { return false }
                }
                if initialDelay {
                    guard let present = r.flag() else { return false }
                    if present, !r.skip(4) { return false }
                }
            }
            return true
        }

        /// The inter-prediction tool flags of a full sequence header (5.5.1).
        private static func skipInterTools(_ r: inout BitReader) -> Bool {
            // enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter
            guard r.skip(4), let orderHint = r.flag() else { return false }
            if orderHint, !r.skip(2) { return false }  // enable_jnt_comp, enable_ref_frame_mvs
            guard let chooseScreenContent = r.flag() else { return false }
            var forceScreenContent: UInt32 = 2  // SELECT_SCREEN_CONTENT_TOOLS
            if !chooseScreenContent {
                guard let forced = r.bits(1) else { return false }
                forceScreenContent = forced
            }
            if forceScreenContent > 0 {
                guard let chooseIntegerMV = r.flag() else { return false }
                if !chooseIntegerMV, !r.skip(1) { return false }
            }
            if orderHint, !r.skip(3) { return false }
            return true
        }

        /// color_config() (5.5.2).
        private mutating func parseColorConfig(_ r: inout BitReader) -> Bool {
            guard let high = r.flag() else { return false }
            highBitDepth = high
            if profile == 2, high {
                guard let twelve = r.flag() else { return false }
                twelveBit = twelve
            }
            if profile != 1 {
                guard let mono = r.flag() else { return false }
                monochrome = mono
            }
            guard let described = r.flag() else { return false }
            var primaries: UInt32 = 2, transfer: UInt32 = 2, matrix: UInt32 = 2
            if described {
                guard let p = r.bits(8), let t = r.bits(8), let m = r.bits(8) else { return false }
                (primaries, transfer, matrix) = (p, t, m)
            }
            if monochrome {
                subsamplingX = true
                subsamplingY = true
                return r.skip(1)  // color_range
            }
            if primaries == 1, transfer == 13, matrix == 0 {
                // sRGB identity: implicitly full range 4:4:4.
                return r.skip(1)  // separate_uv_delta_q
            }
            guard r.skip(1) else { return false }  // color_range
            switch profile {
            case 0: (subsamplingX, subsamplingY) = (true, true)
            case 1: (subsamplingX, subsamplingY) = (false, false)
            default:
                if bitDepth == 12 {
                    guard let x = r.flag() else { return false }
                    subsamplingX = x
                    if x {
                        guard let y = r.flag() else { return false }
                        subsamplingY = y
                    }
                } else {
                    (subsamplingX, subsamplingY) = (true, false)
                }
            }
            if subsamplingX, subsamplingY {
                guard let position = r.bits(2) else { return false }
                chromaSamplePosition = UInt8(position)
            }
            return r.skip(1)  // separate_uv_delta_q
        }

        /// The 4-byte AV1CodecConfigurationRecord fields of `av1C` (AV1-ISOBMFF 2.3.3), without config OBUs.
        var configurationRecord: [UInt8] {
            let flags: [(Bool, Int)] = [
                (tier == 1, 7), (highBitDepth, 6), (twelveBit, 5), (monochrome, 4), (subsamplingX, 3),
                (subsamplingY, 2),
            ]
            var third = chromaSamplePosition & 0x03
            for (on, shift) in flags where on { third |= 1 << shift }
            return [0x81, profile << 5 | (level & 0x1F), third, 0x00]
        }
    }
}
