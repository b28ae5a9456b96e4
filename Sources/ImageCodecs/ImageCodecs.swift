/// The classical codecs `semcom eval` compares at equal byte budgets.
public enum ImageCodecs {
    /// Every codec, in report order: jpeg, jpeg444, jpeg2000, webp, avif, hevc.
    public static let all: [any ImageCodec] = [
        JPEGCodec(subsampling: .s420), JPEGCodec(subsampling: .s444), JPEG2000Codec(), WebPCodec(), AVIFCodec(),
        HEVCCodec(),
    ]

    /// The codec called `name` (its `name` property), or nil.
    public static func named(_ name: String) -> (any ImageCodec)? {
        all.first { $0.name == name }
    }
}
