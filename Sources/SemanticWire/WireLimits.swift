/// Fixed facts of the wire protocol and the limits a peer enforces before it allocates.
///
/// See `protocol/PROTOCOL.md` for the normative description.
public enum WireProtocol {
    /// The four bytes every frame starts with: ASCII "SMCM".
    public static let magic: [UInt8] = [0x53, 0x4D, 0x43, 0x4D]
    /// Protocol versions this implementation speaks: 2 adds the context-coded map (payload encoding 3), 3 the
    /// layered frame (payload encoding 4: map and SoftCast layer).
    public static let supportedVersions: ClosedRange<UInt8> = 1...3
    /// Size of the fixed envelope in bytes.
    public static let envelopeSize = 20
    /// Longest frame, peer or file name, in UTF-8 bytes.
    public static let maxNameBytes = 255
    /// Longest free text (NACK, LOST, ERROR, BYE), in UTF-8 bytes.
    public static let maxTextBytes = 1024
    /// Most hop annotations one MAP_FRAME may carry.
    public static let maxHops = 16
    /// Size of one hop annotation record in bytes.
    public static let hopRecordSize = 56
    /// The label id of a pixel of no class, valid in every map besides `0..<classCount` (Imaging's
    /// `LabelMap.void`, which the tests hold equal to it).
    public static let voidID: UInt8 = 255
}

/// Limits a peer enforces on what it reads; every length from the wire is checked against
/// these before anything is allocated for it.
public struct WireLimits: Sendable, Equatable {
    /// Largest body accepted, in bytes (the envelope's body length field). Default 64 MiB.
    public var maxBodyLength: Int
    /// Largest uncompressed payload accepted, in bytes (what inflating may allocate).
    /// Default 256 MiB: a 1024×2048 map with 19 classes in float32 is 152 MiB.
    public var maxUncompressedLength: Int
    /// Largest map accepted, width × height in pixels: what a receiver allocates for the decided map (and
    /// what a downsampled analog payload expands to). Default 4,194,304 (2048 × 2048; Cityscapes' full
    /// 1024 × 2048 is half of it).
    public var maxMapPixels: Int

    /// The default largest body, bytes (the protocol's limit: 64 MiB).
    public static let defaultMaxBodyLength = 64 << 20

    public init(
        maxBodyLength: Int = defaultMaxBodyLength, maxUncompressedLength: Int = 256 << 20,
        maxMapPixels: Int = 2048 * 2048
    ) {
        precondition(maxBodyLength > 0 && maxBodyLength <= Int(UInt32.max), "body limit must fit in u32")
        precondition(
            maxUncompressedLength > 0 && maxUncompressedLength <= Int(UInt32.max), "payload limit must fit in u32")
        precondition(maxMapPixels > 0, "map limit must be positive")
        self.maxBodyLength = maxBodyLength
        self.maxUncompressedLength = maxUncompressedLength
        self.maxMapPixels = maxMapPixels
    }

    /// The defaults of protocol v1.
    public static let `default` = WireLimits()
}
