import Foundation

/// A per-thread reusable float buffer for temporaries (im2col columns): convolutions run
/// hundreds of times per image, and allocating tens of megabytes each time costs page faults
/// and zeroing that dwarf the arithmetic.
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        // 64-byte aligned: one cache line, the alignment oneDNN's kernels load fastest from.
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    deinit { pointer.deallocate() }

    /// A buffer of at least `count` floats, owned by the calling thread (contents undefined). `slot` names
    /// one of several buffers a thread may hold at once (im2col columns; a convolution's blocked input and
    /// output).
    static func forCurrentThread(count: Int, slot: String = "columns") -> UnsafeMutablePointer<Float> {
        let key = "semcom.tensor.scratch." + slot
        let dictionary = Thread.current.threadDictionary
        if let buffer = dictionary[key] as? ScratchBuffer, buffer.capacity >= count { return buffer.pointer }
        let buffer = ScratchBuffer(capacity: max(count, 1 << 16))
        dictionary[key] = buffer
        return buffer.pointer
    }
}
