import CHEVC

/// One HEVC picture through libde265, single-threaded, returned as 8-bit 4:4:4 planes.
enum De265Decoder {
    enum Failure: Error { case failed(String) }

    /// Decodes `nalUnits` (no start codes) into a `width` × `height` 4:4:4 picture. Pictures with decoding
    /// errors are suppressed by libde265 (`SUPPRESS_FAULTY_PICTURES`), so damage shows up as "no picture".
    static func decode(_ nalUnits: [[UInt8]], width: Int, height: Int) -> Result<YCbCrPlanes, Failure> {
        guard let context = de265_new_decoder() else { return .failure(.failed("de265_new_decoder")) }
        defer { _ = de265_free_decoder(context) }
        de265_set_parameter_bool(context, DE265_DECODER_PARAM_SUPPRESS_FAULTY_PICTURES, 1)
        for unit in nalUnits {
            let pushed = unit.withUnsafeBytes { de265_push_NAL(context, $0.baseAddress, Int32($0.count), 0, nil) }
            guard pushed == DE265_OK else { return .failure(.failed(text(pushed))) }
        }
        let flushed = de265_flush_data(context)
        guard flushed == DE265_OK else { return .failure(.failed(text(flushed))) }

        // de265_decode does a bit of work per call; a handful of NAL units needs a few dozen calls. The cap
        // only guards against a decoder that never reports completion.
        var more: Int32 = 1
        var calls = 0
        while more != 0 {
            let status = de265_decode(context, &more)
            calls += 1
            if status != DE265_OK, more == 0 || calls > 10_000 { return .failure(.failed(text(status))) }
            if status == DE265_ERROR_IMAGE_BUFFER_FULL || calls > 10_000 { break }
        }
        guard let image = de265_get_next_picture(context) else {
            let warning = de265_get_warning(context)
            return .failure(.failed(warning == DE265_OK ? "no picture decoded" : text(warning)))
        }
        guard de265_get_chroma_format(image) == de265_chroma_444 else { return .failure(.failed("not 4:4:4")) }
        var planes: [[UInt8]] = []
        for channel in 0..<Int32(3) {
            guard de265_get_image_width(image, channel) == width, de265_get_image_height(image, channel) == height,
                de265_get_bits_per_pixel(image, channel) == 8
            else { return .failure(.failed("plane \(channel) is not \(width)x\(height) at 8 bits")) }
            var stride: Int32 = 0
            guard let base = de265_get_image_plane(image, channel, &stride), Int(stride) >= width else {
                return .failure(.failed("no plane \(channel)"))
            }
            var samples = [UInt8](repeating: 0, count: width * height)
            samples.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    (dst.baseAddress! + row * width).update(from: base + row * Int(stride), count: width)
                }
            }
            planes.append(samples)
        }
        return .success(YCbCrPlanes(width: width, height: height, y: planes[0], cb: planes[1], cr: planes[2]))
    }

    private static func text(_ error: de265_error) -> String {
        guard let message = de265_get_error_text(error) else { return "libde265 error \(error.rawValue)" }
        return String(cString: message)
    }
}
