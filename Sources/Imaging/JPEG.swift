import CTurboJPEG

/// JPEG coding through the system libjpeg-turbo (TurboJPEG API).
public enum JPEG {
    /// Decodes a JPEG (any subsampling, grayscale or colour) to 8-bit RGB.
    public static func decode(_ data: [UInt8], source: String = "JPEG data") throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw ImagingError("libjpeg-turbo: cannot create a decoder") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        var bytes = data
        let header = bytes.withUnsafeMutableBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw ImagingError("\(source): not a readable JPEG (\(errorText(handle)))") }
        guard width > 0, height > 0, Int(width) * Int(height) <= PNG.maxPixels else {
            throw ImagingError("\(source): JPEG size \(width)x\(height) is outside the supported range")
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let status = bytes.withUnsafeMutableBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard status == 0 else { throw ImagingError("\(source): corrupt or truncated JPEG (\(errorText(handle)))") }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    /// Encodes an RGB image at `quality` (1…100) with 4:2:0 chroma subsampling.
    public static func encode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw ImagingError("JPEG quality must be 1…100, got \(quality)") }
        guard let handle = tjInitCompress() else { throw ImagingError("libjpeg-turbo: cannot create an encoder") }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &out, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
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
