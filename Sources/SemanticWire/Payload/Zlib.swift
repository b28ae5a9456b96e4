import CZlib

/// The system zlib: compression and a bounded inflate that never produces more than it was told to expect.
public enum Zlib {
    /// Compresses `bytes` into a zlib stream (RFC 1950) at `level` (0 = store … 9 = smallest).
    public static func compress(_ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        // compress2 fails only without memory or with a level outside 0…9: programming errors.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status) (level \(level))")
        output.removeLast(output.count - Int(capacity))
        return output
    }

    /// Inflates the zlib stream `bytes`, which must hold exactly `expectedLength` bytes.
    ///
    /// At most `expectedLength + 1` bytes are ever allocated, so a stream that expands further (a zip bomb)
    /// costs nothing: it is stopped one byte past the declared size.
    /// - Throws: `WireError.corruptZlib` for an invalid or incomplete stream or bytes after its end,
    ///   `WireError.declaredSizeMismatch` when it inflates to more or fewer than `expectedLength` bytes.
    public static func inflate(_ bytes: [UInt8], expectedLength: Int) throws -> [UInt8] {
        guard !bytes.isEmpty else { throw WireError.corruptZlib("the compressed payload is empty") }
        let capacity = expectedLength + 1
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = uLong(capacity)
        var consumed = uLong(bytes.count)
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress2(out.baseAddress, &produced, input.baseAddress, &consumed)
            }
        }
        switch status {
        case Z_OK:
            guard Int(produced) == expectedLength else {
                throw WireError.declaredSizeMismatch(
                    what: "inflated payload", declared: expectedLength, actual: Int(produced))
            }
            guard Int(consumed) == bytes.count else {
                throw WireError.corruptZlib("\(bytes.count - Int(consumed)) bytes follow the end of the zlib stream")
            }
            output.removeLast()
            return output
        case Z_BUF_ERROR where Int(produced) == capacity:
            throw WireError.declaredSizeMismatch(
                what: "inflated payload (stopped at the declared size + 1: possible zip bomb)",
                declared: expectedLength, actual: capacity)
        case Z_BUF_ERROR:
            throw WireError.corruptZlib("the stream ends early, after inflating \(produced) of \(expectedLength) bytes")
        case Z_DATA_ERROR:
            throw WireError.corruptZlib("invalid deflate data or checksum")
        case Z_MEM_ERROR:
            throw WireError.corruptZlib("zlib ran out of memory inflating \(expectedLength) bytes")
        default:
            throw WireError.corruptZlib("zlib status \(status)")
        }
    }
}
