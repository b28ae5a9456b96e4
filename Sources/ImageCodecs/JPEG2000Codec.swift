import COpenJPEG
import Foundation  // pow
import Imaging

/// JPEG 2000 through OpenJPEG: lossy, irreversible 9/7 wavelet with the irreversible colour transform (ICT),
/// one quality layer, default code blocks (64×64) and up to 5 decomposition levels.
///
/// On the channel: the raw J2K codestream (SOC … EOC), no JP2 box container; the encoder drops the COM
/// marker OpenJPEG adds (a comment the decoder never needs), everything else is the codestream as written.
///
/// Quality q in 1…100 picks a compression ratio on a geometric ladder, from 200:1 at q = 1 to 2:1 at
/// q = 100 (each step about 4.8 % more bytes); OpenJPEG's rate allocation (`tcp_rates`) then aims at
/// raw size ÷ ratio bytes, raw size being 3 bytes a pixel. At 64×128 that is 123 bytes up to 12 KiB; the
/// main and tile-part headers alone take 118 bytes there, so the lowest qualities all give the same
/// ~148-byte stream with almost no wavelet data, and smooth images reach the 9/7 quantiser's own ceiling
/// (no more bytes) well before q = 100.
public struct JPEG2000Codec: ImageCodec {
    public let name = "jpeg2000"
    public let qualities: ClosedRange<Int> = 1...100

    /// Compression ratios (raw : coded) at the lowest and highest quality.
    static let ratioRange = (lowest: 200.0, highest: 2.0)

    public init() {}

    /// The compression ratio that `quality` asks OpenJPEG for.
    public func compressionRatio(quality: Int) -> Double {
        let t = Double(quality - qualities.lowerBound) / Double(qualities.upperBound - qualities.lowerBound)
        return Self.ratioRange.lowest * pow(Self.ratioRange.highest / Self.ratioRange.lowest, t)
    }

    public func encode(_ image: RGBImage, quality: Int) throws(CodecError) -> [UInt8] {
        try CodecChecks.quality(quality, in: qualities, codec: name)
        try CodecChecks.encodable(image, codec: name)
        let messages = J2KMessages()
        // The codec holds `messages` only as a raw pointer: keep it alive until the codec is destroyed (the
        // codec's own `defer`, declared later, runs first).
        defer { withExtendedLifetime(messages) {} }
        guard let source = Self.makeImage(image) else { throw .encoderFailed(codec: name, detail: "opj_image_create") }
        defer { opj_image_destroy(source) }
        guard let codec = opj_create_compress(OPJ_CODEC_J2K) else {
            throw .encoderFailed(codec: name, detail: "opj_create_compress")
        }
        defer { opj_destroy_codec(codec) }
        messages.attach(to: codec)

        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.tcp_numlayers = 1
        parameters.tcp_rates.0 = Float(compressionRatio(quality: quality))
        parameters.cp_disto_alloc = 1  // rate-driven allocation: tcp_rates are ratios
        parameters.irreversible = 1
        parameters.tcp_mct = 1  // RGB → YCbCr (ICT) before the wavelet
        // Each decomposition level halves the smallest side; OpenJPEG refuses levels that would leave
        // nothing, so small images get fewer (6 resolutions = 5 levels need a side of at least 32).
        let shortSide = min(image.width, image.height)
        parameters.numresolution = Int32(min(6, Int.bitWidth - shortSide.leadingZeroBitCount))
        // An empty comment still writes a COM marker, but 6 bytes instead of OpenJPEG's ~40-byte
        // version string, so the rate allocator does not budget for text that is stripped afterwards.
        let ready = "".withCString { empty in
            parameters.cp_comment = UnsafeMutablePointer(mutating: empty)
            return opj_setup_encoder(codec, &parameters, source) != 0
        }
        guard ready else { throw .encoderFailed(codec: name, detail: messages.text) }

        let output = J2KMemoryStream()
        let written = output.withStream { stream in
            opj_start_compress(codec, source, stream) != 0 && opj_encode(codec, stream) != 0
                && opj_end_compress(codec, stream) != 0
        }
        guard written == true else { throw .encoderFailed(codec: name, detail: messages.text) }
        guard let lean = J2KCodestream.droppingComments(output.bytes) else {
            throw .encoderFailed(codec: name, detail: "OpenJPEG wrote an unreadable main header")
        }
        return lean
    }

    public func decode(_ bytes: [UInt8], width: Int, height: Int) throws(CodecError) -> RGBImage {
        try CodecChecks.requested(width: width, height: height, codec: name)
        guard !bytes.isEmpty else { throw .corrupt(codec: name, detail: "empty stream") }
        let messages = J2KMessages()
        // The codec holds `messages` only as a raw pointer: keep it alive until the codec is destroyed (the
        // codec's own `defer`, declared later, runs first).
        defer { withExtendedLifetime(messages) {} }
        guard let codec = opj_create_decompress(OPJ_CODEC_J2K) else {
            throw .corrupt(codec: name, detail: "opj_create_decompress")
        }
        defer { opj_destroy_codec(codec) }
        messages.attach(to: codec)
        var parameters = opj_dparameters_t()
        opj_set_default_decoder_parameters(&parameters)
        guard opj_setup_decoder(codec, &parameters) != 0 else { throw .corrupt(codec: name, detail: messages.text) }
        // Strict: a truncated codestream is an error, not a partially decoded image.
        _ = opj_decoder_set_strict_mode(codec, 1)

        let input = J2KMemoryStream(reading: bytes)
        let result: Result<RGBImage, CodecError>? = input.withStream { stream in
            var decoded: UnsafeMutablePointer<opj_image_t>? = nil
            defer { if let decoded { opj_image_destroy(decoded) } }
            guard opj_read_header(stream, codec, &decoded) != 0, let image = decoded else {
                return .failure(.corrupt(codec: name, detail: messages.text))
            }
            // The header alone tells the size: check it before OpenJPEG allocates the components.
            let header = image.pointee
            guard header.x1 >= header.x0, header.y1 >= header.y0 else {
                return .failure(.corrupt(codec: name, detail: "negative image area"))
            }
            let size = (Int(header.x1 - header.x0), Int(header.y1 - header.y0))
            guard size == (width, height) else {
                return .failure(.wrongSize(codec: name, expected: "\(width)x\(height)", got: "\(size.0)x\(size.1)"))
            }
            guard header.numcomps == 3 else {
                return .failure(.corrupt(codec: name, detail: "\(header.numcomps) components, expected 3"))
            }
            guard opj_decode(codec, stream, image) != 0, opj_end_decompress(codec, stream) != 0 else {
                return .failure(.corrupt(codec: name, detail: messages.text))
            }
            return Self.rgb(from: image.pointee, width: width, height: height)
                .mapError { .corrupt(codec: name, detail: $0.text) }
        }
        guard let result else { throw .corrupt(codec: name, detail: "opj_stream_create") }
        return try result.get()
    }

    /// An OpenJPEG image with the 8-bit R, G, B planes of `image`.
    private static func makeImage(_ image: RGBImage) -> UnsafeMutablePointer<opj_image_t>? {
        var parameters = (0..<3).map { _ in
            var component = opj_image_cmptparm_t()
            component.dx = 1
            component.dy = 1
            component.w = UInt32(image.width)
            component.h = UInt32(image.height)
            component.prec = 8
            component.sgnd = 0
            return component
        }
        guard let created = opj_image_create(3, &parameters, OPJ_CLRSPC_SRGB) else { return nil }
        created.pointee.x0 = 0
        created.pointee.y0 = 0
        created.pointee.x1 = UInt32(image.width)
        created.pointee.y1 = UInt32(image.height)
        let count = image.width * image.height
        for c in 0..<3 {
            guard let data = created.pointee.comps[c].data else {
                opj_image_destroy(created)
                return nil
            }
            for i in 0..<count { data[i] = Int32(image.pixels[3 * i + c]) }
        }
        return created
    }

    /// Interleaves three decoded components into RGB, clamping to 0…255 (the 9/7 inverse may overshoot).
    private static func rgb(from image: opj_image_t, width: Int, height: Int) -> Result<RGBImage, J2KMessages.Failure> {
        let count = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * count)
        guard image.numcomps == 3, let comps = image.comps else { return .failure(.init(text: "no components")) }
        for c in 0..<3 {
            let component = comps[c]
            guard component.w == UInt32(width), component.h == UInt32(height), component.dx == 1,
                component.dy == 1, component.factor == 0, let data = component.data
            else { return .failure(.init(text: "component \(c) is not a full-size plane")) }
            // Signed or deeper components would need rescaling; this codec only sends unsigned 8-bit ones.
            guard component.prec == 8, component.sgnd == 0 else {
                return .failure(.init(text: "component \(c) has \(component.prec) bits"))
            }
            for i in 0..<count { pixels[3 * i + c] = UInt8(clamping: data[i]) }
        }
        return .success(RGBImage(width: width, height: height, pixels: pixels))
    }
}

/// Collects OpenJPEG's error and warning messages (which it would otherwise print to stderr) for the error
/// detail; info messages are dropped.
final class J2KMessages {
    struct Failure: Error { let text: String }
    private var lines: [String] = []

    /// The messages so far, one line, or a fallback.
    var text: String {
        lines.isEmpty ? "OpenJPEG gave no reason" : lines.joined(separator: "; ")
    }

    /// Installs the handlers; the codec must not outlive this object.
    func attach(to codec: UnsafeMutablePointer<opj_codec_t?>) {
        let user = Unmanaged.passUnretained(self).toOpaque()
        let collect: opj_msg_callback = { message, user in
            guard let message, let user else { return }
            let me = Unmanaged<J2KMessages>.fromOpaque(user).takeUnretainedValue()
            // A corrupt stream can produce one warning per code block: keep the first few.
            if me.lines.count < 4 {
                me.lines.append(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        _ = opj_set_error_handler(codec, collect, user)
        _ = opj_set_warning_handler(codec, collect, user)
        _ = opj_set_info_handler(codec, { _, _ in }, nil)
    }
}
