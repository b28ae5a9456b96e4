import FuzzSupport
import ImageCodecs
import Imaging

/// Fuzz target `codecs`: the classical codecs' decoders as `semcom eval` calls them on a stream that crossed
/// the physical layer (`ImageCodec.decode` with the image size from the protected header): the Swift parsers
/// of the lean carriages (AV1 OBUs, HEVC NAL units, the J2K codestream) and the libraries behind them
/// (libjpeg-turbo, OpenJPEG, libwebp, libavif/dav1d, libde265).
///
/// Input: codec index u8 (mod the number of codecs, in `ImageCodecs.all` order), width u8 and height u8
/// (each 1…256: 0 reads as 256), then the stream. Checks beyond "no crash": a decoded image has exactly the
/// size asked for.
@main enum FuzzCodecs {
    static func main() {
        Fuzzer.run { bytes in
            var input = InputReader(bytes)
            let codec = ImageCodecs.all[Int(input.byte()) % ImageCodecs.all.count]
            let width = Int(input.byte()), height = Int(input.byte())
            let (w, h) = (width == 0 ? 256 : width, height == 0 ? 256 : height)
            let stream = input.remaining
            guard let image = try? codec.decode(stream, width: w, height: h) else { return }
            fuzzTrace("\(codec.name) decoded \(image.width)x\(image.height)")
            fuzzCheck(
                image.width == w && image.height == h && image.pixels.count == w * h * 3,
                "\(codec.name) decoded \(image.width)x\(image.height) for a \(w)x\(h) frame")
        }
    }
}
