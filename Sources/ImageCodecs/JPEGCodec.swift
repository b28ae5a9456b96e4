import Imaging

/// JPEG through libjpeg-turbo's TurboJPEG API, with 4:2:0 (`jpeg`) or 4:4:4 (`jpeg444`) chroma, at its best
/// settings for size: each image is coded baseline (the standard Huffman tables; TurboJPEG 2.1 cannot
/// optimise them) and progressive (Huffman tables optimised per scan), and the smaller stream is kept. Both
/// carry the same quantised coefficients, so they decode to the same image.
///
/// On the channel: the whole JFIF stream, SOI to EOI — APP0, the quantisation tables (DQT), the Huffman
/// tables (DHT) and the scans. Those tables are part of the format a receiver must get; at 64×128 they are
/// still hundreds of bytes, which is why JPEG cannot reach the smallest budgets.
/// Qualities 1…100 are libjpeg's quality scale (scaled IJG tables).
public struct JPEGCodec: ImageCodec {
    /// The chroma subsampling of the encoder (`Imaging.JPEG`'s).
    public typealias Subsampling = JPEG.Subsampling

    public let subsampling: Subsampling
    public let name: String
    public let qualities: ClosedRange<Int> = 1...100

    public init(subsampling: Subsampling = .s420) {
        self.subsampling = subsampling
        name = subsampling == .s420 ? "jpeg" : "jpeg444"
    }

    public func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8] {
        try CodecChecks.quality(quality, in: qualities, codec: name)
        try CodecChecks.encodable(image, codec: name)
        do {
            let baseline = try JPEG.encode(image, quality: quality, subsampling: subsampling)
            let progressive = try JPEG.encode(image, quality: quality, subsampling: subsampling, progressive: true)
            return progressive.count < baseline.count ? progressive : baseline
        } catch {
            throw .encoderFailed(codec: name, detail: "\(error)")
        }
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        // The announced size is checked before the pixels are allocated.
        let size: (width: Int, height: Int)
        do { size = try JPEG.size(of: bytes, source: name) } catch { throw .corrupt(codec: name, detail: "\(error)") }
        try CodecChecks.size((size.width, size.height), expected: (width, height), codec: name)
        do { return try JPEG.decode(bytes, source: name) } catch { throw .corrupt(codec: name, detail: "\(error)") }
    }
}
