import NIOCore

/// Reads big-endian fields from one message body; every read that runs past the end throws
/// `WireError.truncated` naming the field, so a short body never crashes or over-reads.
struct BodyReader {
    private var buffer: ByteBuffer
    /// The message being read, for error texts ("MAP_FRAME").
    let message: String

    init(_ buffer: ByteBuffer, message: String) {
        self.buffer = buffer
        self.message = message
    }

    var remaining: Int { buffer.readableBytes }

    mutating func integer<T: FixedWidthInteger>(_ field: String, as: T.Type = T.self) throws -> T {
        guard let value = buffer.readInteger(endianness: .big, as: T.self) else {
            throw WireError.truncated("\(message) ends inside field \(field)")
        }
        return value
    }

    /// An IEEE 754 binary32 stored big-endian; any NaN reads as `nil` ("not set").
    mutating func optionalFloat(_ field: String) throws -> Float? {
        let value = Float(bitPattern: try integer(field, as: UInt32.self))
        return value.isNaN ? nil : value
    }

    mutating func bytes(_ field: String, count: Int) throws -> [UInt8] {
        guard let bytes = buffer.readBytes(length: count) else {
            throw WireError.truncated(
                "\(message) ends inside field \(field) (\(count) bytes declared, \(remaining) left)")
        }
        return bytes
    }

    /// A u16 length then that many UTF-8 bytes; the length is checked against `maxBytes` first.
    mutating func string(_ field: String, maxBytes: Int) throws -> String {
        let count = Int(try integer("\(field) length", as: UInt16.self))
        guard count <= maxBytes else {
            throw WireError.invalidField("\(message) \(field) is \(count) bytes long; the limit is \(maxBytes)")
        }
        let bytes = try self.bytes(field, count: count)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw WireError.invalidField("\(message) \(field) is not valid UTF-8")
        }
        return string
    }

    /// Throws unless every byte was consumed.
    func expectEnd() throws {
        if remaining > 0 {
            throw WireError.invalidField("\(message) has \(remaining) unexpected bytes after its last field")
        }
    }
}

extension ByteBuffer {
    /// Writes a u16 length then the string's UTF-8 bytes (the caller validated the length).
    mutating func writeLengthPrefixed(_ string: String) {
        writeInteger(UInt16(string.utf8.count), endianness: .big)
        writeString(string)
    }

    /// Writes a binary32 big-endian; `nil` is written as the quiet NaN 0x7FC00000.
    mutating func writeOptionalFloat(_ value: Float?) {
        writeInteger(value.map { $0.bitPattern } ?? 0x7FC0_0000, endianness: .big)
    }
}
