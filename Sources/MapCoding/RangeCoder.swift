/// A carry-less 32-bit range coder (Subbotin's): integer arithmetic only, so a stream decodes the same on
/// every machine. Frequencies are counts out of a total of at most `maxTotal`.
enum RangeCoder {
    static let top: UInt32 = 1 << 24
    static let bottom: UInt32 = 1 << 16
    /// The largest frequency total a model may use (`range / total` must stay ≥ 1).
    static let maxTotal: UInt32 = bottom

    /// Whether the top byte of `low` is settled (or `range` too small to go on), so a byte moves between the
    /// coder and the stream; shrinks `range` to the carry-less boundary when it is small but unsettled. The
    /// encoder and the decoder take the same steps.
    @inline(__always)
    static func mustShift(low: UInt32, range: inout UInt32) -> Bool {
        if (low ^ (low &+ range)) >= top {
            guard range < bottom else { return false }
            range = (0 &- low) & (bottom - 1)
        }
        return true
    }

    struct Encoder {
        private var low: UInt32 = 0
        private var range: UInt32 = .max
        private(set) var bytes: [UInt8] = []

        /// Codes the symbol whose interval is [cumulative, cumulative + frequency) out of `total`.
        mutating func encode(cumulative: UInt32, frequency: UInt32, total: UInt32) {
            range /= total
            low &+= cumulative &* range
            range &*= frequency
            while RangeCoder.mustShift(low: low, range: &range) {
                bytes.append(UInt8(truncatingIfNeeded: low >> 24))
                low <<= 8
                range <<= 8
            }
        }

        /// The stream, the coder's state flushed in as few bytes as name a value inside the final interval: the
        /// decoder reads zeros past the end, so the value's trailing zero bytes need not be written.
        mutating func finish() -> [UInt8] {
            let end = UInt64(low) + UInt64(range)
            for kept in 1...4 {
                let mask = (UInt64(1) << UInt64(32 - 8 * kept)) - 1
                let value = (UInt64(low) + mask) & ~mask
                if value < end && value <= UInt64(UInt32.max) {
                    for i in 0..<kept { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(24 - 8 * i))) }
                    return bytes
                }
            }
            preconditionFailure("the final interval is never empty")
        }
    }

    /// Reads a stream; past its end it reads zeros, so a truncated or hostile stream costs no more than a
    /// valid one (the caller's checksum then refuses it).
    struct Decoder {
        private var low: UInt32 = 0
        private var range: UInt32 = .max
        private var code: UInt32 = 0
        private let bytes: [UInt8]
        private var position: Int

        init(_ bytes: [UInt8], from start: Int) {
            self.bytes = bytes
            position = start
            for _ in 0..<4 { code = (code << 8) | UInt32(next()) }
        }

        private mutating func next() -> UInt8 {
            defer { position += 1 }
            return position < bytes.count ? bytes[position] : 0
        }

        /// Whether the decoder read past the end of the stream by more than the zeros a shortened flush leaves out.
        var overran: Bool { position > bytes.count + 3 }

        /// The cumulative count the next symbol falls on, in 0 ..< total.
        mutating func target(total: UInt32) -> UInt32 {
            range /= total
            return min((code &- low) / range, total - 1)
        }

        /// Consumes the symbol [cumulative, cumulative + frequency) found through `target`.
        mutating func consume(cumulative: UInt32, frequency: UInt32) {
            low &+= cumulative &* range
            range &*= frequency
            while RangeCoder.mustShift(low: low, range: &range) {
                code = (code << 8) | UInt32(next())
                low <<= 8
                range <<= 8
            }
        }
    }
}
