import CTurboJPEG

/// JPEG coding through the system libjpeg-turbo (TurboJPEG API).
public enum JPEG {
    /// Chroma subsampling of the encoder.
    public enum Subsampling: Sendable {
        /// Chroma halved in both directions.
        case s420
        /// Chroma at full resolution.
        case s444
    }

    /// The width and height a JPEG's header announces, read without decoding.
    public static func size(of data: [UInt8], source: String = "JPEG data") throws -> (width: Int, height: Int) {
        let (handle, width, height) = try header(data, source: source)
        tjDestroy(handle)
        return (width, height)
    }

    /// Decodes a JPEG (any subsampling, grayscale or colour) to 8-bit RGB. TurboJPEG reports libjpeg's warnings
    /// (a truncated scan, a bad Huffman code) as failures too, so a damaged stream is refused rather than shown
    /// half grey.
    public static func decode(_ data: [UInt8], source: String = "JPEG data") throws -> RGBImage {
        let (handle, width, height) = try header(data, source: source)
        defer { tjDestroy(handle) }
        var bytes = data
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let status = bytes.withUnsafeMutableBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, src.baseAddress, UInt(src.count), dst.baseAddress, Int32(width), 0, Int32(height),
                    Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard status == 0 else { throw ImagingError("\(source): corrupt or truncated JPEG (\(errorText(handle)))") }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A decoder that has read `data`'s header, and the size it announces (checked against `PNG.maxPixels`
    /// before anything is allocated for the pixels). The caller destroys the handle.
    private static func header(_ data: [UInt8], source: String) throws -> (tjhandle, Int, Int) {
        guard let handle = tjInitDecompress() else { throw ImagingError("libjpeg-turbo: cannot create a decoder") }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        // TurboJPEG's signature takes a mutable pointer but only reads it.
        var bytes = data
        let status = bytes.withUnsafeMutableBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0 else {
            defer { tjDestroy(handle) }
            throw ImagingError("\(source): not a readable JPEG (\(errorText(handle)))")
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= PNG.maxPixels else {
            tjDestroy(handle)
            throw ImagingError("\(source): JPEG size \(width)x\(height) is outside the supported range")
        }
        return (handle, Int(width), Int(height))
    }

    /// Encodes an RGB image at `quality` (1…100), 4:2:0 chroma by default; `progressive` writes a progressive
    /// stream, whose Huffman tables libjpeg optimises per scan (the baseline one uses the standard tables).
    public static func encode(
        _ image: RGBImage, quality: Int, subsampling: Subsampling = .s420, progressive: Bool = false
    ) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw ImagingError("JPEG quality must be 1…100, got \(quality)") }
        guard let handle = tjInitCompress() else { throw ImagingError("libjpeg-turbo: cannot create an encoder") }
        defer { tjDestroy(handle) }
        let samp = subsampling == .s420 ? TJSAMP_420 : TJSAMP_444
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                &out, &size, Int32(samp.rawValue), Int32(quality), progressive ? Int32(TJFLAG_PROGRESSIVE) : 0)
        }
        defer { if let out { tjFree(out) } }
        guard status == 0, let out else { throw ImagingError("JPEG encoding failed (\(errorText(handle)))") }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
