import Imaging

/// Argument and size checks every codec shares, so each one rejects the same bad requests the same way.
enum CodecChecks {
    /// Throws `.badQuality` unless `quality` lies in `range`.
    static func quality(_ quality: Int, in range: ClosedRange<Int>, codec: String) throws(CodecError) {
        guard range.contains(quality) else { throw .badQuality(codec: codec, quality: quality, range: range) }
    }

    /// Throws `.encoderFailed` for an image no codec here accepts: larger than Imaging's cap (`PNG.maxPixels`)
    /// or with side lengths a C `int` cannot carry.
    static func encodable(_ image: RGBImage, codec: String) throws(CodecError) {
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max),
            image.width * image.height <= PNG.maxPixels
        else {
            throw .encoderFailed(
                codec: codec, detail: "image \(image.width)x\(image.height) exceeds \(PNG.maxPixels) pixels")
        }
    }

    /// Throws `.wrongSize` when the announced size is not one a decoder may allocate: both sides positive and
    /// the area at most `PNG.maxPixels`, so a bad header never makes a decoder reserve gigabytes.
    static func requested(width: Int, height: Int, codec: String) throws(CodecError) {
        let area = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max), !area.overflow,
            area.partialValue <= PNG.maxPixels
        else {
            throw .wrongSize(
                codec: codec, expected: "\(width)x\(height)", got: "a size outside 1…\(PNG.maxPixels) pixels")
        }
    }

    /// Throws `.wrongSize` when a stream's own size differs from the announced one.
    static func size(_ got: (Int, Int), expected: (Int, Int), codec: String) throws(CodecError) {
        guard got == expected else {
            throw .wrongSize(codec: codec, expected: "\(expected.0)x\(expected.1)", got: "\(got.0)x\(got.1)")
        }
    }
}
