import Imaging

/// Full-range BT.601 Y′CbCr at 4:4:4, the colour transform of the AVIF and HEVC carriages.
///
/// Both ends apply this fixed transform themselves, so no colour description (VUI, CICP) needs to cross the
/// channel: the bitstreams carry three 8-bit planes and leave their colour fields "unspecified".
struct YCbCrPlanes {
    let width: Int
    let height: Int
    /// Luma, chroma blue, chroma red; `width * height` samples each, row-major.
    var y: [UInt8]
    var cb: [UInt8]
    var cr: [UInt8]

    init(width: Int, height: Int, y: [UInt8], cb: [UInt8], cr: [UInt8]) {
        precondition(y.count == width * height && cb.count == y.count && cr.count == y.count)
        self.width = width
        self.height = height
        self.y = y
        self.cb = cb
        self.cr = cr
    }

    /// The forward transform: Y = 0.299 R + 0.587 G + 0.114 B, Cb = 128 + (B − Y) / 1.772,
    /// Cr = 128 + (R − Y) / 1.402, rounded and clamped to 0…255.
    init(_ image: RGBImage) {
        let count = image.width * image.height
        var y = [UInt8](repeating: 0, count: count)
        var cb = y, cr = y
        image.pixels.withUnsafeBufferPointer { rgb in
            for i in 0..<count {
                let r = Float(rgb[3 * i]), g = Float(rgb[3 * i + 1]), b = Float(rgb[3 * i + 2])
                let luma = 0.299 * r + 0.587 * g + 0.114 * b
                y[i] = Self.sample(luma)
                cb[i] = Self.sample(128 + (b - luma) / 1.772)
                cr[i] = Self.sample(128 + (r - luma) / 1.402)
            }
        }
        self.init(width: image.width, height: image.height, y: y, cb: cb, cr: cr)
    }

    /// The inverse transform back to interleaved RGB.
    var rgb: RGBImage {
        let count = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let luma = Float(y[i]), blue = Float(cb[i]) - 128, red = Float(cr[i]) - 128
            pixels[3 * i] = Self.sample(luma + 1.402 * red)
            pixels[3 * i + 1] = Self.sample(luma - 0.344136 * blue - 0.714136 * red)
            pixels[3 * i + 2] = Self.sample(luma + 1.772 * blue)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The planes extended to `width` × `height` (each at least the current size) by repeating the last
    /// column and row, which costs an intra coder almost nothing.
    func padded(width newWidth: Int, height newHeight: Int) -> YCbCrPlanes {
        precondition(newWidth >= width && newHeight >= height)
        func pad(_ plane: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: newWidth * newHeight)
            for row in 0..<newHeight {
                let source = min(row, height - 1) * width
                for column in 0..<newWidth { out[row * newWidth + column] = plane[source + min(column, width - 1)] }
            }
            return out
        }
        return YCbCrPlanes(width: newWidth, height: newHeight, y: pad(y), cb: pad(cb), cr: pad(cr))
    }

    /// The top-left `width` × `height` of the planes.
    func cropped(width newWidth: Int, height newHeight: Int) -> YCbCrPlanes {
        precondition(newWidth <= width && newHeight <= height)
        func crop(_ plane: [UInt8]) -> [UInt8] {
            (0..<newHeight).flatMap { row in plane[(row * width)..<(row * width + newWidth)] }
        }
        return YCbCrPlanes(width: newWidth, height: newHeight, y: crop(y), cb: crop(cb), cr: crop(cr))
    }

    private static func sample(_ value: Float) -> UInt8 {
        UInt8(max(0, min(255, value.rounded())))
    }
}
