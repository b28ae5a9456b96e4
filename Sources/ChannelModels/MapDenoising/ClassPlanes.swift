/// Per-class planes of a semantic map: `channels` (K) planes of `height` (H) × `width` (W)
/// Float values, channel-major then row-major (PyTorch's CHW). This is the layout of the
/// analog payload's symbols: plane k holds how strongly each pixel belongs to the k-th
/// class of the frame's present-class list.
public struct ClassPlanes: Sendable, Equatable {
    /// Number of planes (K), one per class in the frame's class list.
    public let channels: Int
    /// Rows per plane (H), in pixels.
    public let height: Int
    /// Columns per plane (W), in pixels.
    public let width: Int
    /// `channels * height * width` values, index `(k * height + y) * width + x`.
    public var values: [Float]

    /// Planes holding `values` (count must be `channels * height * width`).
    public init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(channels >= 0 && height > 0 && width > 0, "plane sizes must be positive")
        precondition(values.count == channels * height * width, "values must hold channels*height*width floats")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// All-zero planes.
    public init(channels: Int, height: Int, width: Int) {
        self.init(
            channels: channels, height: height, width: width,
            values: [Float](repeating: 0, count: channels * height * width))
    }

    /// Pixels per plane (H·W).
    public var planeSize: Int { height * width }

    /// The value of plane `k` at column `x`, row `y`.
    public subscript(k: Int, y: Int, x: Int) -> Float {
        get { values[(k * height + y) * width + x] }
        set { values[(k * height + y) * width + x] = newValue }
    }

    /// The one-hot encoding of a label map (row-major ids, `width * height` of them) over
    /// `classIDs`: plane k is 1 where the label is `classIDs[k]`, 0 elsewhere. A pixel whose
    /// id is not in the list (e.g. void, 255, when it is not sent) is 0 in every plane.
    public static func oneHot(labels: [UInt8], width: Int, height: Int, classIDs: [UInt8]) -> ClassPlanes {
        precondition(labels.count == width * height, "labels must hold width*height ids")
        var planeOf = [Int](repeating: -1, count: 256)
        for (k, id) in classIDs.enumerated() where planeOf[Int(id)] < 0 { planeOf[Int(id)] = k }
        var planes = ClassPlanes(channels: classIDs.count, height: height, width: width)
        let size = width * height
        planes.values.withUnsafeMutableBufferPointer { out in
            for (p, id) in labels.enumerated() {
                let k = planeOf[Int(id)]
                if k >= 0 { out[k * size + p] = 1 }
            }
        }
        return planes
    }
}
