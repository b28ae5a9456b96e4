/// How a payload is cut into code blocks. Every block carries whole payload bytes plus its own CRC-32,
/// so the receiver tells each block good or bad on its own:
/// - uncoded and convolutional: blocks of at most `maxBytesPerBlock` bytes (the last one shorter, no padding);
///   a convolutional block is followed by 6 tail bits;
/// - LDPC: ⌊(k − 32) / 8⌋ payload bytes per codeword; the rest of the k information bits (the sub-byte
///   remainder, and a short last block) is zero padding that travels on the air and is counted.
/// An empty payload still sends one block (its CRC), so every frame costs at least one block.
public struct Segmentation: Sendable, Hashable {
    /// One code block: which payload bytes it carries and how many information bits it encodes.
    public struct Block: Sendable, Hashable {
        /// The payload byte range carried.
        public var bytes: Range<Int>
        /// Information bits fed to the encoder: payload, CRC-32, padding (LDPC only).
        public var infoBits: Int
        /// Of which zero padding.
        public var paddingBits: Int
    }

    /// Upper bound of payload bytes per block for the uncoded and convolutional links.
    public static let maxBytesPerBlock = 1500
    /// Bits of the per-block CRC.
    public static let crcBits = 32

    public let blocks: [Block]

    /// The plan for `payloadBytes` bytes under `code`.
    public init(payloadBytes: Int, code: ChannelCode) {
        let perBlock: Int
        var fixedInfoBits: Int?
        switch code {
        case .none, .convolutional:
            perBlock = Self.maxBytesPerBlock
        case .ldpc(let n, let rate):
            let k = n * rate.fraction.0 / rate.fraction.1
            perBlock = (k - Self.crcBits) / 8
            fixedInfoBits = k
        }
        var blocks: [Block] = []
        var start = 0
        repeat {
            let end = min(payloadBytes, start + perBlock)
            let used = 8 * (end - start) + Self.crcBits
            let info = fixedInfoBits ?? used
            blocks.append(Block(bytes: start..<end, infoBits: info, paddingBits: info - used))
            start = end
        } while start < payloadBytes
        self.blocks = blocks
    }
}
