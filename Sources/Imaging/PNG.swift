import CLibPNG
import Foundation

/// PNG reading and writing through the system libpng (its simplified `png_image` API,
/// which reports errors as messages rather than by `longjmp`).
///
/// Only 8-bit images are produced: RGB for pictures and grayscale for label maps.
/// Label maps are read strictly — a colour, palette or 16-bit PNG is rejected rather than
/// converted, because converting would silently change the class ids.
public enum PNG {
    /// Reads an RGB image. Grayscale, palette and alpha PNGs are converted to 8-bit RGB
    /// (alpha composited on black); 16-bit PNGs are reduced to 8 bits.
    public static func readRGB(path: String) throws -> RGBImage {
        let data = try readFile(path)
        return try decodeRGB(data, source: path)
    }

    /// Reads a label map: the PNG must be 8-bit single-channel grayscale.
    public static func readLabels(path: String) throws -> LabelMap {
        let data = try readFile(path)
        return try decodeLabels(data, source: path)
    }

    public static func decodeRGB(_ data: [UInt8], source: String = "PNG data") throws -> RGBImage {
        let (width, height, pixels) = try decode(data, format: UInt32(PNG_FORMAT_RGB), channels: 3, source: source) {
            _ in nil
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    public static func decodeLabels(_ data: [UInt8], source: String = "PNG data") throws -> LabelMap {
        // libpng would scale 1/2/4-bit grey up to 0…255 (a 1-bit map of ids 0 and 1 would read as 0 and
        // void): the bit depth is IHDR's byte at offset 24.
        if data.count > 24, Array(data[12..<16]) == Array("IHDR".utf8), data[24] < 8 {
            throw ImagingError("\(source): a \(data[24])-bit PNG, but label maps must be 8-bit grayscale")
        }
        let (width, height, ids) = try decode(data, format: UInt32(PNG_FORMAT_GRAY), channels: 1, source: source) {
            stored in
            // png_image.format after begin_read describes the stored file.
            if stored & UInt32(PNG_FORMAT_FLAG_COLORMAP) != 0 {
                return "a palette PNG, but label maps must be 8-bit grayscale (one class id per pixel)"
            }
            if stored & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 {
                return "a colour PNG, but label maps must be 8-bit grayscale (one class id per pixel)"
            }
            if stored & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0 {
                return "a 16-bit PNG, but label maps must be 8-bit grayscale"
            }
            // Composited against black, the ids would change (16, 32, 48 → 13, 32, 42).
            if stored & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0 {
                return "a PNG with an alpha channel, but label maps must be 8-bit grayscale"
            }
            return nil
        }
        return LabelMap(width: width, height: height, ids: ids)
    }

    /// Encodes an RGB image as a PNG file in memory.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        try encode(image.pixels, width: image.width, height: image.height, format: UInt32(PNG_FORMAT_RGB), channels: 3)
    }

    /// Encodes a label map as an 8-bit grayscale PNG in memory.
    public static func encode(_ map: LabelMap) throws -> [UInt8] {
        try encode(map.ids, width: map.width, height: map.height, format: UInt32(PNG_FORMAT_GRAY), channels: 1)
    }

    public static func write(_ image: RGBImage, to path: String) throws {
        try writeFile(try encode(image), to: path)
    }

    public static func write(_ map: LabelMap, to path: String) throws {
        try writeFile(try encode(map), to: path)
    }

    // MARK: - libpng

    /// Largest image accepted on read (pixels), so a crafted header cannot make us allocate
    /// gigabytes: 16 k × 16 k.
    public static let maxPixels = 16_384 * 16_384

    private static func decode(
        _ data: [UInt8], format: UInt32, channels: Int, source: String,
        check: (UInt32) -> String?
    ) throws -> (Int, Int, [UInt8]) {
        if let problem = chunkPastEnd(data) {
            throw ImagingError("\(source): truncated PNG (\(problem))")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard begun != 0 else {
            throw ImagingError("\(source): not a readable PNG (\(message(of: image)))")
        }
        defer { png_image_free(&image) }
        if let problem = check(image.format) {
            throw ImagingError("\(source): \(problem)")
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= maxPixels else {
            throw ImagingError("\(source): PNG size \(width)x\(height) is outside the supported range")
        }
        image.format = format
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let finished = pixels.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * channels), nil)
        }
        guard finished != 0 else {
            throw ImagingError("\(source): corrupt or truncated PNG (\(message(of: image)))")
        }
        return (width, height, pixels)
    }

    /// The first chunk before the image data (IDAT) whose declared length runs past the end of `data`,
    /// described; nil when they all fit or `data` is not a PNG (libpng then says so).
    ///
    /// While reading the header, libpng allocates a chunk's declared length before reading it: a 76-byte file
    /// whose zTXt chunk claims 2 GB made it ask for 2 GB (found by `make fuzz`, Fuzz/regressions/png). libpng
    /// refuses such a file anyway, once the read runs past the end; this refuses it before the allocation.
    /// Chunks from IDAT on are streamed (or, after the image, not read at all), and CRCs and contents are
    /// left to libpng, so every file libpng decodes is still decoded.
    static func chunkPastEnd(_ data: [UInt8]) -> String? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.starts(with: signature) else { return nil }
        var offset = signature.count
        while data.count - offset >= 8 {
            let length = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            if type == "IDAT" { break }
            if length > data.count - offset - 12 {
                return "chunk \(type.debugDescription) at byte \(offset) declares \(length) bytes of data, "
                    + "\(12 + length) with its header and CRC; \(data.count - offset) remain"
            }
            offset += 12 + length
        }
        return nil
    }

    private static func encode(_ pixels: [UInt8], width: Int, height: Int, format: UInt32, channels: Int) throws
        -> [UInt8]
    {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        var size: Int = 0
        // First pass measures, second writes (libpng's documented two-call pattern).
        let measured = pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, Int32(width * channels), nil)
        }
        guard measured != 0 else { throw ImagingError("PNG encoding failed: \(message(of: image))") }
        var out = [UInt8](repeating: 0, count: size)
        let written = pixels.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(
                    &image, dst.baseAddress, &size, 0, raw.baseAddress, Int32(width * channels), nil)
            }
        }
        guard written != 0 else { throw ImagingError("PNG encoding failed: \(message(of: image))") }
        return Array(out.prefix(size))
    }

    private static func message(of image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Reads a whole file, with an error naming the path.
public func readFile(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw ImagingError("\(path): no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ImagingError("\(path): cannot be read (permissions?)")
    }
    return [UInt8](data)
}

/// Writes a whole file atomically, creating parent directories: the bytes go to a hidden temporary file
/// beside it (`.NAME.PID.semcom-tmp`), which is then renamed over `path`. A process killed in between
/// leaves only such a file, which `removeStaleTemporaryFiles(in:)` clears at the next start.
public func writeFile(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(getpid())\(temporaryFileSuffix)").path
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw ImagingError("rename failed: \(String(cString: strerror(errno)))")
        }
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw ImagingError("\(path): cannot be written (\(error.localizedDescription))")
    }
}

/// The suffix of `writeFile`'s temporary files.
public let temporaryFileSuffix = ".semcom-tmp"

/// Removes the temporary files an interrupted `writeFile` left in `folder`; returns how many.
@discardableResult
public func removeStaleTemporaryFiles(in folder: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    var removed = 0
    for name in names where name.hasPrefix(".") && name.hasSuffix(temporaryFileSuffix) {
        if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed += 1 }
    }
    return removed
}
