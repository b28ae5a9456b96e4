import CAVIF
import Imaging

/// AV1 intra (what AVIF is) through libavif 0.11 with libaom: 8-bit full-range Y′CbCr 4:4:4 (our own BT.601
/// transform, see `YCbCrPlanes`), a fixed quantizer, speed 6, one thread.
///
/// On the channel — a lean carriage, no HEIF container: the AV1 OBUs libavif's AVIF item holds, in AV1's own
/// low-overhead format (each OBU's 1-byte header and LEB128 size, then its payload): the sequence header OBU
/// (a still picture's reduced header, a few bytes) followed by the frame OBU(s). Temporal delimiters,
/// metadata and padding OBUs are dropped. The OBU sizes are the framing; nothing else is added. The
/// receiver rebuilds the ~230-byte AVIF file around them (`ftyp`, `meta` with `ispe`, `av1C` derived from
/// the sequence header, `pixi`, then `mdat`) and decodes it with libavif (dav1d).
///
/// Qualities 0…63 map inversely to libavif's quantizer: quantizer = 63 − quality, so 63 is lossless.
public struct AVIFCodec: ImageCodec {
    public let name = "avif"
    public let qualities: ClosedRange<Int> = 0...63
    /// libaom's speed preset (0 slowest … 10 fastest); images here are tiny, so a slow, thorough search is cheap.
    public let speed: Int

    public init(speed: Int = 6) {
        self.speed = speed
    }

    public func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8] {
        try CodecChecks.quality(quality, in: qualities, codec: name)
        try CodecChecks.encodable(image, codec: name)
        guard let planes = avifImageCreate(UInt32(image.width), UInt32(image.height), 8, AVIF_PIXEL_FORMAT_YUV444)
        else { throw .encoderFailed(codec: name, detail: "avifImageCreate") }
        defer { avifImageDestroy(planes) }
        // The colour description stays "unspecified" (then AV1 spends no bits on it): both ends use our
        // fixed transform. Full range is one bit either way.
        planes.pointee.yuvRange = AVIF_RANGE_FULL
        planes.pointee.colorPrimaries = avifColorPrimaries(AVIF_COLOR_PRIMARIES_UNSPECIFIED)
        planes.pointee.transferCharacteristics = avifTransferCharacteristics(
            AVIF_TRANSFER_CHARACTERISTICS_UNSPECIFIED)
        planes.pointee.matrixCoefficients = avifMatrixCoefficients(AVIF_MATRIX_COEFFICIENTS_UNSPECIFIED)
        guard avifImageAllocatePlanes(planes, AVIF_PLANES_YUV.rawValue) == AVIF_RESULT_OK else {
            throw .encoderFailed(codec: name, detail: "avifImageAllocatePlanes")
        }
        let ycc = YCbCrPlanes(image)
        for (index, samples) in [ycc.y, ycc.cb, ycc.cr].enumerated() {
            guard let plane = Self.plane(planes.pointee, index) else {
                throw .encoderFailed(codec: name, detail: "no plane \(index)")
            }
            for row in 0..<image.height {
                let target = plane.base + row * plane.rowBytes
                samples.withUnsafeBufferPointer { src in
                    target.update(from: src.baseAddress! + row * image.width, count: image.width)
                }
            }
        }

        guard let encoder = avifEncoderCreate() else { throw .encoderFailed(codec: name, detail: "avifEncoderCreate") }
        defer { avifEncoderDestroy(encoder) }
        encoder.pointee.codecChoice = AVIF_CODEC_CHOICE_AOM
        encoder.pointee.maxThreads = 1
        encoder.pointee.speed = Int32(speed)
        encoder.pointee.minQuantizer = Int32(63 - quality)
        encoder.pointee.maxQuantizer = Int32(63 - quality)
        var output = avifRWData()
        defer { avifRWDataFree(&output) }
        let result = avifEncoderWrite(encoder, planes, &output)
        guard result == AVIF_RESULT_OK, let data = output.data else {
            throw .encoderFailed(codec: name, detail: String(cString: avifResultToString(result)))
        }
        let file = Array(UnsafeBufferPointer(start: data, count: output.size))
        guard let media = AVIFContainer.mediaData(of: file), let obus = AV1Bitstream.obus(Array(media)) else {
            throw .encoderFailed(codec: name, detail: "libavif wrote an AVIF file without readable AV1 data")
        }
        let mediaBytes = Array(media)
        var lean: [UInt8] = []
        for obu in obus {
            switch AV1Bitstream.OBUType(rawValue: obu.type) {
            case .sequenceHeader, .frameHeader, .tileGroup, .frame: lean += mediaBytes[obu.range]
            default: continue  // temporal delimiter, metadata, padding: nothing the decoder needs
            }
        }
        return lean
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        guard let obus = AV1Bitstream.obus(bytes), let first = obus.first,
            first.type == AV1Bitstream.OBUType.sequenceHeader.rawValue, obus.count >= 2
        else { throw .corrupt(codec: name, detail: "not a sequence header followed by frame OBUs") }
        for obu in obus.dropFirst() {
            switch AV1Bitstream.OBUType(rawValue: obu.type) {
            case .frameHeader, .tileGroup, .frame: continue
            default: throw .corrupt(codec: name, detail: "unexpected OBU type \(obu.type)")
            }
        }
        guard let sequence = AV1Bitstream.SequenceHeader(payload: bytes[first.payload]) else {
            throw .corrupt(codec: name, detail: "unreadable sequence header")
        }
        // Size first, so a stream for another frame never reaches the decoder.
        try CodecChecks.size((sequence.maxWidth, sequence.maxHeight), expected: (width, height), codec: name)
        guard sequence.bitDepth == 8, !sequence.monochrome, !sequence.subsamplingX, !sequence.subsamplingY else {
            throw .corrupt(codec: name, detail: "not 8-bit 4:4:4")
        }
        let file = AVIFContainer.file(
            itemData: bytes, width: width, height: height,
            configuration: sequence.configurationRecord + bytes[first.range], depth: 8)

        guard let decoder = avifDecoderCreate() else { throw .corrupt(codec: name, detail: "avifDecoderCreate") }
        defer { avifDecoderDestroy(decoder) }
        decoder.pointee.maxThreads = 1
        decoder.pointee.imageSizeLimit = UInt32(PNG.maxPixels)
        decoder.pointee.imageCountLimit = 1
        guard let decoded = avifImageCreateEmpty() else { throw .corrupt(codec: name, detail: "avifImageCreateEmpty") }
        defer { avifImageDestroy(decoded) }
        let result = file.withUnsafeBufferPointer { avifDecoderReadMemory(decoder, decoded, $0.baseAddress, $0.count) }
        guard result == AVIF_RESULT_OK else {
            throw .corrupt(codec: name, detail: String(cString: avifResultToString(result)))
        }
        let image = decoded.pointee
        try CodecChecks.size((Int(image.width), Int(image.height)), expected: (width, height), codec: name)
        guard image.depth == 8, image.yuvFormat == AVIF_PIXEL_FORMAT_YUV444 else {
            throw .corrupt(codec: name, detail: "decoded to depth \(image.depth), format \(image.yuvFormat.rawValue)")
        }
        var samples: [[UInt8]] = []
        for index in 0..<3 {
            guard let plane = Self.plane(image, index), plane.rowBytes >= width else {
                throw .corrupt(codec: name, detail: "decoder returned no plane \(index)")
            }
            var copy = [UInt8](repeating: 0, count: width * height)
            copy.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    (dst.baseAddress! + row * width).update(from: plane.base + row * plane.rowBytes, count: width)
                }
            }
            samples.append(copy)
        }
        return YCbCrPlanes(width: width, height: height, y: samples[0], cb: samples[1], cr: samples[2]).rgb
    }

    /// Plane `index` (Y, U, V) of a libavif image: its first sample and the bytes between rows.
    private static func plane(_ image: avifImage, _ index: Int) -> (base: UnsafeMutablePointer<UInt8>, rowBytes: Int)? {
        let planes = [image.yuvPlanes.0, image.yuvPlanes.1, image.yuvPlanes.2]
        let rowBytes = [image.yuvRowBytes.0, image.yuvRowBytes.1, image.yuvRowBytes.2]
        guard let base = planes[index] else { return nil }
        return (base, Int(rowBytes[index]))
    }
}
