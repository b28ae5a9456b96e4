import CTurboJPEG
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
    /// The chroma subsampling of the encoder.
    public enum Subsampling: Sendable {
        /// Chroma halved in both directions.
        case s420
        /// Chroma at full resolution.
        case s444
    }

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
        let baseline = try encode(image, quality: quality, flags: 0)
        let progressive = try encode(image, quality: quality, flags: Int32(TJFLAG_PROGRESSIVE))
        return progressive.count < baseline.count ? progressive : baseline
    }

    private func encode(_ image: RGBImage, quality: Int, flags: Int32) throws(CodecError) -> [UInt8] {
        guard let handle = tjInitCompress() else { throw .encoderFailed(codec: name, detail: "tjInitCompress") }
        defer { tjDestroy(handle) }
        let samp = subsampling == .s420 ? TJSAMP_420 : TJSAMP_444
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                &out, &size, Int32(samp.rawValue), Int32(quality), flags)
        }
        defer { if let out { tjFree(out) } }
        guard status == 0, let out else { throw .encoderFailed(codec: name, detail: Self.errorText(handle)) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        guard let handle = tjInitDecompress() else { throw .corrupt(codec: name, detail: "tjInitDecompress") }
        defer { tjDestroy(handle) }
        // TurboJPEG's signature takes a mutable pointer but only reads it.
        var input = bytes
        var w: Int32 = 0, h: Int32 = 0, samp: Int32 = 0, colorspace: Int32 = 0
        let header = input.withUnsafeMutableBufferPointer { src in
            tjDecompressHeader3(handle, src.baseAddress, UInt(src.count), &w, &h, &samp, &colorspace)
        }
        guard header == 0 else { throw .corrupt(codec: name, detail: Self.errorText(handle)) }
        // The size check comes before any allocation, so a forged SOF cannot make us reserve gigabytes.
        try CodecChecks.size((Int(w), Int(h)), expected: (width, height), codec: name)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        // TurboJPEG returns -1 for libjpeg's warnings too (a truncated scan, a bad Huffman code), so a
        // damaged stream is refused rather than shown half grey.
        let status = input.withUnsafeMutableBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, src.baseAddress, UInt(src.count), dst.baseAddress, w, 0, h, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard status == 0 else { throw .corrupt(codec: name, detail: Self.errorText(handle)) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
