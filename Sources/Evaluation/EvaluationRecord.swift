import Link

/// One row of results.csv: one image sent in one mode at one budget, SNR, channel seed and (for the codecs and
/// the digital map under a budget) one MCS.
///
/// Figures that do not apply to a row (the FDS accuracy of a digital map, the MCS of an analog scheme) are
/// NaN or empty, written as empty CSV fields and left out of the aggregates.
public struct EvaluationRecord: Sendable, Equatable, Codable {
    public var image: String
    public var snrDB: Double
    public var mode: TransmissionMode
    /// The budget's label (`none`, `1/12`) and ρ (NaN without a budget).
    public var budget: String = "none"
    public var budgetRho: Double = .nan
    /// The channel seed's index (0 ..< `--seeds`).
    public var seed: Int = 0
    /// Whether the scheme fits the budget at all (false: nothing was sent; the output is the fallback image).
    public var fits: Bool = true
    /// Whether the frame was lost: still corrupt after every transmission (the output is the fallback image).
    public var lost: Bool = false
    /// Transmissions made (1 + retransmissions).
    public var attempts: Int = 1
    /// The modulation and code (digital modes), `analog` otherwise; for the separation bound, the codec.
    public var scheme: String = "analog"
    /// The MCS of a digital row (`qpsk ldpc:1944:1/2`), empty for analog schemes; `capacity` for the bound.
    public var mcs: String = ""
    /// The codec's quality knob as fitted (NaN when no codec).
    public var codecQuality: Double = .nan
    /// The channel account (`ChannelLedger`): payload and header complex channel uses over every attempt,
    /// payload source bits (one copy), coded bits on the air (header included).
    public var channelUses: Double = 0
    public var headerChannelUses: Double = 0
    public var payloadBits: Double = 0
    public var bitsOnAir: Double = 0
    /// ρ = channel uses ÷ (H·W·3) and payload bits per pixel.
    public var rho: Double = 0
    public var bitsPerPixel: Double = 0
    /// Payload channel uses per image pixel (= 3ρ).
    public var channelUsesPerPixel: Double { 3 * rho }
    /// Pixel accuracy of the received map before FDS (analog: hard decision of the raw symbols; digital: the
    /// decoded map, 0 when lost).
    public var mapAccuracyRaw: Double = .nan
    /// Pixel accuracy of the received map after FDS (analog only).
    public var mapAccuracyFDS: Double = .nan
    /// Pixel accuracy of the map the receiver decided (after its denoiser; digital: the decoded map, 0 when
    /// lost).
    public var mapAccuracy: Double = .nan
    /// mIoU and pixel accuracy of the segmenter's map of the output image against the sent map.
    public var meanIoU: Double = .nan
    public var pixelAccuracy: Double = .nan
    /// PSNR (dB) and SSIM of the output image (or the fallback image) against the original.
    public var psnrDB: Double = .nan
    public var ssim: Double = .nan
    /// Milliseconds spent per stage: channel (relay / physical layer), receiver (decision, FDS, decoding),
    /// generator, segmenter (re-segmentation for the metric).
    public var channelMS: Double = 0
    public var receiverMS: Double = 0
    public var generatorMS: Double = 0
    public var segmenterMS: Double = 0
    /// Network passes of the generator for this image (a guided pass of map and null map counts once); NaN
    /// where no image was generated.
    public var generatorPasses: Double = .nan

    public init(image: String, snrDB: Double, mode: TransmissionMode) {
        self.image = image
        self.snrDB = snrDB
        self.mode = mode
    }

    /// Books `ledger` (the transmission's account) into the row.
    mutating func book(_ ledger: ChannelLedger) {
        channelUses = Double(ledger.payloadChannelUses)
        headerChannelUses = Double(ledger.headerChannelUses)
        payloadBits = Double(ledger.payloadBits)
        bitsOnAir = Double(ledger.bitsOnAir)
        rho = ledger.rho
        bitsPerPixel = ledger.bitsPerPixel
        attempts = 1 + ledger.retransmissions
        if let mcs = ledger.mcs { self.mcs = mcs }
    }

    /// The numeric figures aggregated in summary.json, by their CSV column names.
    public static let metricColumns = [
        "budget_rho", "rho", "channel_uses", "header_channel_uses", "payload_bits", "bpp", "codec_quality", "fits",
        "lost", "attempts", "bits_on_air", "channel_uses_per_pixel", "map_acc_raw", "map_acc_fds", "map_acc", "miou",
        "pixel_acc", "psnr_db", "ssim", "t_channel_ms", "t_receiver_ms", "t_generator_ms", "t_segmenter_ms",
        "generator_passes",
    ]

    /// The text columns, first in every row.
    public static let textColumns = ["mode", "scene", "seed", "snr_db", "budget", "mcs", "scheme"]

    /// Every CSV column in order.
    public static let columns = textColumns + metricColumns

    /// The value of a metric column.
    public func metric(_ column: String) -> Double {
        switch column {
        case "budget_rho": budgetRho
        case "rho": rho
        case "channel_uses": channelUses
        case "header_channel_uses": headerChannelUses
        case "payload_bits": payloadBits
        case "bpp": bitsPerPixel
        case "codec_quality": codecQuality
        case "fits": fits ? 1 : 0
        case "lost": lost ? 1 : 0
        case "attempts": Double(attempts)
        case "bits_on_air": bitsOnAir
        case "channel_uses_per_pixel": channelUsesPerPixel
        case "map_acc_raw": mapAccuracyRaw
        case "map_acc_fds": mapAccuracyFDS
        case "map_acc": mapAccuracy
        case "miou": meanIoU
        case "pixel_acc": pixelAccuracy
        case "psnr_db": psnrDB
        case "ssim": ssim
        case "t_channel_ms": channelMS
        case "t_receiver_ms": receiverMS
        case "t_generator_ms": generatorMS
        case "t_segmenter_ms": segmenterMS
        case "generator_passes": generatorPasses
        default: preconditionFailure("no metric column '\(column)'")
        }
    }
}
