import CWebP
import Imaging

/// Lossy WebP (VP8 intra, 4:2:0) through libwebp's advanced encoding API: method 6 (the slowest search,
/// smallest streams), sharp RGB→YUV conversion, no alpha.
///
/// On the channel: the whole RIFF file as libwebp writes it — the 12-byte RIFF/WEBP header, the 8-byte
/// `VP8 ` chunk header and the VP8 frame (its 10-byte frame header, partitions). That container is what any
/// WebP decoder needs, so it is counted; at 64×128 the fixed part is 30 bytes.
/// Qualities 0…100 are libwebp's quality factor (`WebPConfig.quality`).
public struct WebPCodec: ImageCodec {
    public let name = "webp"
    public let qualities: ClosedRange<Int> = 0...100

    public init() {}

    public func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8] {
        try CodecChecks.quality(quality, in: qualities, codec: name)
        try CodecChecks.encodable(image, codec: name)
        // VP8 frames store 14-bit sizes.
        guard image.width <= Int(WEBP_MAX_DIMENSION), image.height <= Int(WEBP_MAX_DIMENSION) else {
            throw .encoderFailed(codec: name, detail: "WebP sides are at most \(WEBP_MAX_DIMENSION) pixels")
        }
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else {
            throw .encoderFailed(codec: name, detail: "libwebp version mismatch")
        }
        config.quality = Float(quality)
        config.method = 6
        config.use_sharp_yuv = 1
        config.thread_level = 0
        guard WebPValidateConfig(&config) != 0 else { throw .encoderFailed(codec: name, detail: "invalid WebPConfig") }

        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else {
            throw .encoderFailed(codec: name, detail: "libwebp version mismatch")
        }
        picture.use_argb = 0
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        defer { WebPPictureFree(&picture) }
        let imported = image.pixels.withUnsafeBufferPointer { rgb in
            WebPPictureImportRGB(&picture, rgb.baseAddress, Int32(3 * image.width))
        }
        guard imported != 0 else { throw .encoderFailed(codec: name, detail: "out of memory importing RGB") }

        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let status = withUnsafeMutablePointer(to: &writer) { writerPointer in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(writerPointer)
            return WebPEncode(&config, &picture)
        }
        guard status != 0, let mem = writer.mem else {
            throw .encoderFailed(codec: name, detail: "WebPEncode error \(picture.error_code.rawValue)")
        }
        return Array(UnsafeBufferPointer(start: mem, count: writer.size))
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        var w: Int32 = 0, h: Int32 = 0
        // WebPGetInfo reads only the headers, so the size is known before any pixel buffer exists.
        let known = bytes.withUnsafeBufferPointer { WebPGetInfo($0.baseAddress, $0.count, &w, &h) }
        guard known != 0 else { throw .corrupt(codec: name, detail: "not a WebP header") }
        try CodecChecks.size((Int(w), Int(h)), expected: (width, height), codec: name)
        var pixels = [UInt8](repeating: 0, count: 3 * width * height)
        // WebPDecodeRGBInto writes only within the given buffer and stride, and fails on a truncated or
        // malformed frame.
        let decoded = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                WebPDecodeRGBInto(src.baseAddress, src.count, dst.baseAddress, dst.count, Int32(3 * width))
            }
        }
        guard decoded != nil else { throw .corrupt(codec: name, detail: "WebP frame does not decode") }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
