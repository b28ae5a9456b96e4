import CHEVC

/// One intra picture through x265 (Main 4:4:4 8-bit), returned as NAL units without start codes.
enum X265Encoder {
    /// The coding tree unit size, in pixels. x265 keeps it process-wide (every encoder in a process must
    /// use the same) and refuses pictures smaller than one CTU; 32 codes 64×128 pictures as well as 64 does
    /// (within 1 %) and leaves less to pad on small ones.
    static let ctuSize = 32

    /// Settings beyond the preset, as x265 command-line names (`x265_param_parse`).
    ///
    /// Every frame is an IDR at the given QP (`ipratio` 1 so the I-frame QP is exactly it). Nothing optional
    /// is written: no info SEI (x265's version and options string, hundreds of bytes), no VUI timing, no
    /// AUD, no hash; no wavefronts (WPP writes entry-point offsets into the slice header) and one slice.
    /// Threading is off: the pictures are tiny and callers encode in parallel.
    static func settings(width: Int, height: Int, qp: Int) -> [(String, String)] {
        [
            ("log-level", "none"), ("ctu", "\(ctuSize)"), ("input-csp", "i444"),
            ("input-res", "\(width)x\(height)"), ("fps", "1"), ("keyint", "1"), ("bframes", "0"),
            ("qp", "\(qp)"), ("ipratio", "1"),
            ("info", "0"), ("vui-timing-info", "0"), ("vui-hrd-info", "0"), ("aud", "0"), ("hash", "0"),
            ("repeat-headers", "0"), ("annexb", "0"), ("wpp", "0"), ("slices", "1"),
            ("pools", "none"), ("frame-threads", "1"), ("lookahead-threads", "0"), ("lookahead-slices", "0"),
        ]
    }

    enum Failure: Error { case failed(String) }

    /// Encodes `planes` at `qp` (0…51) with x265's `preset`, tuned for PSNR (no psycho-visual tools).
    static func encode(_ planes: YCbCrPlanes, qp: Int, preset: String) -> Result<[[UInt8]], Failure> {
        guard let api = semcom_x265_api()?.pointee, let paramAlloc = api.param_alloc, let paramFree = api.param_free,
            let defaultPreset = api.param_default_preset, let parse = api.param_parse,
            let applyProfile = api.param_apply_profile, let open = api.encoder_open, let close = api.encoder_close,
            let headers = api.encoder_headers, let encodeFrame = api.encoder_encode,
            let pictureAlloc = api.picture_alloc, let pictureInit = api.picture_init, let pictureFree = api.picture_free
        else { return .failure(.failed("x265 API unavailable")) }
        guard let param = paramAlloc() else { return .failure(.failed("x265_param_alloc")) }
        defer { paramFree(param) }
        guard defaultPreset(param, preset, "psnr") == 0 else { return .failure(.failed("preset \(preset)")) }
        for (key, value) in settings(width: planes.width, height: planes.height, qp: qp) {
            guard parse(param, key, value) == 0 else { return .failure(.failed("x265 setting \(key)=\(value)")) }
        }
        guard applyProfile(param, "main444-8") == 0 else { return .failure(.failed("profile main444-8")) }
        guard let encoder = open(param) else { return .failure(.failed("x265_encoder_open refused the settings")) }
        defer { close(encoder) }

        var units: [[UInt8]] = []
        var nals: UnsafeMutablePointer<x265_nal>? = nil
        var count: UInt32 = 0
        guard headers(encoder, &nals, &count) >= 0, collect(nals, count, into: &units) else {
            return .failure(.failed("x265_encoder_headers"))
        }
        guard let picture = pictureAlloc() else { return .failure(.failed("x265_picture_alloc")) }
        defer { pictureFree(picture) }
        pictureInit(param, picture)
        var y = planes.y, cb = planes.cb, cr = planes.cr
        let status: Int32 = y.withUnsafeMutableBytes { yBytes in
            cb.withUnsafeMutableBytes { cbBytes in
                cr.withUnsafeMutableBytes { crBytes in
                    picture.pointee.planes = (yBytes.baseAddress, cbBytes.baseAddress, crBytes.baseAddress)
                    picture.pointee.stride = (Int32(planes.width), Int32(planes.width), Int32(planes.width))
                    picture.pointee.bitDepth = 8
                    picture.pointee.colorSpace = X265_CSP_I444
                    return encodeFrame(encoder, &nals, &count, picture, nil)
                }
            }
        }
        guard status >= 0, collect(nals, count, into: &units) else { return .failure(.failed("x265_encoder_encode")) }
        // Flush: with no lookahead the picture usually comes out at once, but drain until x265 says done.
        for _ in 0..<8 {
            let flushed = encodeFrame(encoder, &nals, &count, nil, nil)
            guard flushed >= 0, collect(nals, count, into: &units) else { return .failure(.failed("x265 flush")) }
            if flushed == 0 { break }
        }
        return .success(units)
    }

    /// Copies x265's NAL array (valid only until its next call) into `units`, stripping each unit's 4-byte
    /// big-endian length prefix (`annexb` off); false when a prefix disagrees with the unit's size.
    private static func collect(
        _ nals: UnsafeMutablePointer<x265_nal>?, _ count: UInt32, into units: inout [[UInt8]]
    ) -> Bool {
        guard count > 0 else { return true }
        guard let nals else { return false }
        for index in 0..<Int(count) {
            let nal = nals[index]
            let size = Int(nal.sizeBytes)
            guard size > 6, let payload = nal.payload else { return false }
            let prefix = (0..<4).reduce(0) { $0 << 8 | Int(payload[$1]) }
            guard prefix == size - 4 else { return false }
            units.append(Array(UnsafeBufferPointer(start: payload + 4, count: size - 4)))
        }
        return true
    }
}
