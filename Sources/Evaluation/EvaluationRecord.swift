/// One row of results.csv: one image sent in one mode at one SNR.
///
/// Figures that do not apply to a row (the FDS accuracy of a digital map, PSNR of a lost image) are NaN,
/// written as empty CSV fields and left out of the aggregates.
public struct EvaluationRecord: Sendable, Equatable, Codable {
    public var image: String
    public var snrDB: Double
    public var mode: TransmissionMode
    /// Whether the frame was still corrupt after every retransmission (digital modes): no image.
    public var lost: Bool = false

    /// Marks the image lost: no output, so it scores as a failure (mIoU, pixel accuracy and SSIM 0;
    /// PSNR undefined and left out).
    mutating func markLost() {
        lost = true
        meanIoU = 0
        pixelAccuracy = 0
        ssim = 0
    }
    /// Transmissions made (1 + retransmissions).
    public var attempts: Int = 1
    /// The modulation and code used (digital modes), `analog` otherwise.
    public var scheme: String = "analog"
    /// Bits on the air over all attempts: coded payload bits plus the frame header (digital modes); the
    /// header bits alone for analog modes, whose payload is real symbols, not bits.
    public var bitsOnAir: Double = 0
    /// Complex channel uses over all attempts (two real analog symbols per use; pilots and headers included).
    public var channelUses: Double = 0
    /// `channelUses` per image pixel.
    public var channelUsesPerPixel: Double = 0
    /// Pixel accuracy of the received map before FDS (analog: hard decision of the raw symbols; digital: the
    /// decoded map, 0 when lost).
    public var mapAccuracyRaw: Double = .nan
    /// Pixel accuracy of the received map after FDS (analog only).
    public var mapAccuracyFDS: Double = .nan
    /// Pixel accuracy of the map the receiver decided (after its denoiser; digital: the decoded map, 0 when
    /// lost).
    public var mapAccuracy: Double = .nan
    /// mIoU and pixel accuracy of the segmenter's map of the output image against the sent map (0 when lost).
    public var meanIoU: Double = .nan
    public var pixelAccuracy: Double = .nan
    /// PSNR (dB) and SSIM of the output image against the original (NaN / 0 when lost; see `ImageQuality`).
    public var psnrDB: Double = .nan
    public var ssim: Double = .nan
    /// Milliseconds spent per stage: channel (relay / physical layer), receiver (decision, FDS, decoding),
    /// generator, segmenter (re-segmentation for the metric).
    public var channelMS: Double = 0
    public var receiverMS: Double = 0
    public var generatorMS: Double = 0
    public var segmenterMS: Double = 0

    public init(image: String, snrDB: Double, mode: TransmissionMode) {
        self.image = image
        self.snrDB = snrDB
        self.mode = mode
    }

    /// The numeric figures aggregated in summary.json, by their CSV column names.
    public static let metricColumns = [
        "lost", "attempts", "bits_on_air", "channel_uses", "channel_uses_per_pixel", "map_acc_raw", "map_acc_fds",
        "map_acc", "miou", "pixel_acc", "psnr_db", "ssim", "t_channel_ms", "t_receiver_ms", "t_generator_ms",
        "t_segmenter_ms",
    ]

    /// Every CSV column in order.
    public static let columns = ["image", "snr_db", "mode", "scheme"] + metricColumns

    /// The value of a metric column.
    public func metric(_ column: String) -> Double {
        switch column {
        case "lost": lost ? 1 : 0
        case "attempts": Double(attempts)
        case "bits_on_air": bitsOnAir
        case "channel_uses": channelUses
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
        default: preconditionFailure("no metric column '\(column)'")
        }
    }
}
