/// The lean carriage of one HEVC intra picture, in the spirit of BPG: only what a decoder cannot know from
/// (codec, width, height).
///
/// Layout (all lengths LEB128 varints, see `LEB128`):
///
///     len(VPS) VPS  len(SPS) SPS  len(PPS) PPS  slice
///
/// Each unit is a NAL unit without its 2-byte NAL header and without a start code, emulation-prevention
/// bytes kept. The headers are fixed (layer 0, temporal id 0; types VPS, SPS, PPS and one IDR_N_LP slice),
/// so the receiver adds them back; the slice runs to the end of the stream. Overhead over the NAL
/// payloads: three varints, 3 bytes while each parameter set is under 128 bytes.
///
/// An IDR_W_RADL slice from the encoder is carried as IDR_N_LP: the two IDR types share one slice-header
/// syntax and differ only in whether leading pictures may follow, and a lone picture has none.
struct HEVCCarriage: Equatable {
    /// NAL unit types (H.265 table 7-1) this carriage holds.
    enum NALType: UInt8 {
        case idrWithRADL = 19, idrWithoutLeading = 20
        case videoParameterSet = 32, sequenceParameterSet = 33, pictureParameterSet = 34
    }

    /// Complete NAL units (2-byte header included), without start codes.
    var vps: [UInt8]
    var sps: [UInt8]
    var pps: [UInt8]
    var slice: [UInt8]

    /// The NAL units in decoding order.
    var nalUnits: [[UInt8]] { [vps, sps, pps, slice] }

    /// The 2-byte NAL unit header of `type`: forbidden bit 0, nuh_layer_id 0, nuh_temporal_id_plus1 1.
    static func header(_ type: NALType) -> [UInt8] { [type.rawValue << 1, 0x01] }

    /// Groups an encoder's NAL units; nil unless they hold one VPS, SPS and PPS (repeats must be identical:
    /// x265 writes them again before an IDR) and exactly one IDR slice, all with layer 0 and temporal id 0.
    /// SEI and other non-VCL units are dropped: nothing a decoder needs.
    init?(nalUnits: [[UInt8]]) {
        var found: [NALType: [UInt8]] = [:]
        var slice: [UInt8]? = nil
        for unit in nalUnits {
            guard unit.count > 2 else { return nil }
            let rawType = (unit[0] >> 1) & 0x3F
            guard let type = NALType(rawValue: rawType) else {
                // A VCL unit we cannot carry (another slice type) is a failure; other non-VCL units
                // (SEI, AUD, end of stream) are informative and left out.
                if rawType < 32 { return nil }
                continue
            }
            guard Array(unit[0..<2]) == Self.header(type) else { return nil }
            switch type {
            case .idrWithRADL, .idrWithoutLeading:
                guard slice == nil else { return nil }
                slice = Self.header(.idrWithoutLeading) + unit[2...]
            default:
                if let earlier = found[type], earlier != unit { return nil }
                found[type] = unit
            }
        }
        guard let vps = found[.videoParameterSet], let sps = found[.sequenceParameterSet],
            let pps = found[.pictureParameterSet], let slice
        else { return nil }
        self.init(vps: vps, sps: sps, pps: pps, slice: slice)
    }

    private init(vps: [UInt8], sps: [UInt8], pps: [UInt8], slice: [UInt8]) {
        (self.vps, self.sps, self.pps, self.slice) = (vps, sps, pps, slice)
    }

    /// The bytes that cross the channel.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        for unit in [vps, sps, pps] {
            LEB128.append(unit.count - 2, to: &out)
            out += unit[2...]
        }
        out += slice[2...]
        return out
    }

    /// Parses carried bytes; nil when a length runs past the end or a unit is empty.
    init?(bytes: [UInt8]) {
        var offset = 0
        var sets: [[UInt8]] = []
        for type in [NALType.videoParameterSet, .sequenceParameterSet, .pictureParameterSet] {
            guard let length = LEB128.read(bytes[...], at: &offset), length > 0, length <= bytes.count - offset
            else { return nil }
            sets.append(Self.header(type) + bytes[offset..<(offset + length)])
            offset += length
        }
        guard offset < bytes.count else { return nil }
        self.init(vps: sets[0], sps: sets[1], pps: sets[2], slice: Self.header(.idrWithoutLeading) + bytes[offset...])
    }
}
