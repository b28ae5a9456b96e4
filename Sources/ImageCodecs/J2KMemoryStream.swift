import COpenJPEG

/// An OpenJPEG stream over a byte array, so the codec never touches a file: reads come from `bytes`, writes
/// land in it (growing it; OpenJPEG may seek back to patch a marker).
///
/// The stream holds the object unretained as its user data; `withStream` keeps the object alive until the
/// stream is destroyed.
final class J2KMemoryStream {
    private(set) var bytes: [UInt8]
    private var position = 0
    private let isInput: Bool

    /// A stream that reads `bytes`.
    init(reading bytes: [UInt8]) {
        self.bytes = bytes
        isInput = true
    }

    /// A stream that collects what the encoder writes.
    init() {
        bytes = []
        isInput = false
    }

    /// Runs `body` with an `opj_stream_t` over this object; nil when OpenJPEG cannot allocate one.
    func withStream<T>(_ body: (UnsafeMutablePointer<opj_stream_t?>) -> T) -> T? {
        // 64 KiB of OpenJPEG's own buffering is plenty for images of a few kilobytes.
        guard let stream = opj_stream_create(1 << 16, isInput ? 1 : 0) else { return nil }
        defer { opj_stream_destroy(stream) }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        if isInput {
            opj_stream_set_user_data_length(stream, UInt64(bytes.count))
            opj_stream_set_read_function(stream) { buffer, count, user in
                J2KMemoryStream.from(user).read(into: buffer, count: count)
            }
        } else {
            opj_stream_set_write_function(stream) { buffer, count, user in
                J2KMemoryStream.from(user).write(from: buffer, count: count)
            }
        }
        opj_stream_set_skip_function(stream) { count, user in J2KMemoryStream.from(user).skip(count) }
        opj_stream_set_seek_function(stream) { offset, user in J2KMemoryStream.from(user).seek(offset) ? 1 : 0 }
        let value: T = withExtendedLifetime(self) { body(stream) }
        return value
    }

    private static func from(_ user: UnsafeMutableRawPointer?) -> J2KMemoryStream {
        Unmanaged<J2KMemoryStream>.fromOpaque(user!).takeUnretainedValue()
    }

    /// OpenJPEG's "end of stream" answer for a read: `(OPJ_SIZE_T)-1`.
    private static let endOfStream = Int(bitPattern: UInt(bitPattern: -1))

    private func read(into buffer: UnsafeMutableRawPointer?, count: Int) -> Int {
        let available = bytes.count - position
        guard let buffer, count > 0, available > 0 else { return Self.endOfStream }
        let n = min(count, available)
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }

    private func write(from buffer: UnsafeMutableRawPointer?, count: Int) -> Int {
        guard let buffer, count >= 0 else { return Self.endOfStream }
        let source = UnsafeRawBufferPointer(start: buffer, count: count)
        let overlap = min(count, bytes.count - position)
        if overlap > 0 { bytes.replaceSubrange(position..<(position + overlap), with: source[0..<overlap]) }
        if count > overlap { bytes.append(contentsOf: source[overlap...]) }
        position += count
        return count
    }

    /// Skips forward or back; a reader may not leave the data, a writer pads with zeros when it skips past
    /// the end. Returns the distance moved, or -1.
    private func skip(_ count: Int64) -> Int64 {
        let (sum, overflow) = Int64(position).addingReportingOverflow(count)
        guard !overflow, let target = Int(exactly: sum), target >= 0 else { return -1 }
        if isInput, target > bytes.count { return -1 }
        if target > bytes.count { bytes.append(contentsOf: repeatElement(0, count: target - bytes.count)) }
        position = target
        return count
    }

    private func seek(_ offset: Int64) -> Bool {
        guard offset >= 0, let target = Int(exactly: offset) else { return false }
        if isInput, target > bytes.count { return false }
        if target > bytes.count { bytes.append(contentsOf: repeatElement(0, count: target - bytes.count)) }
        position = target
        return true
    }
}
