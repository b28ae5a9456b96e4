import Randomness
import Testing

@testable import ChannelModels

/// PyTorch's definitions, written out directly: 3×3 window, stride 1, padding 1; the average
/// counts padded zeros (divides by 9), the max ignores padding.
private func referencePool(_ planes: ClassPlanes, max isMax: Bool) -> ClassPlanes {
    var out = ClassPlanes(channels: planes.channels, height: planes.height, width: planes.width)
    for k in 0..<planes.channels {
        for y in 0..<planes.height {
            for x in 0..<planes.width {
                var sum: Float = 0
                var best = -Float.infinity
                for dy in -1...1 {
                    for dx in -1...1 {
                        let yy = y + dy, xx = x + dx
                        guard yy >= 0 && yy < planes.height && xx >= 0 && xx < planes.width else { continue }
                        sum += planes[k, yy, xx]
                        best = max(best, planes[k, yy, xx])
                    }
                }
                out[k, y, x] = isMax ? best : sum / 9
            }
        }
    }
    return out
}

@Suite("Fast Denoising Semantic block")
struct FastDenoisingSemanticTests {
    /// Worked by hand on a 3×4 plane holding 1…12: e.g. the corner averages 1+2+5+6 = 14 over
    /// 9 (padding counts), the centre 1+2+3+5+6+7+9+10+11 = 54 over 9; the max filter then
    /// spreads the largest sum, 63 (= 3+4+7+8+11+12+…), to its neighbours.
    @Test func exactSmallExampleComputedByHand() {
        let planes = ClassPlanes(channels: 1, height: 3, width: 4, values: (1...12).map { Float($0) })
        let averaged = FastDenoisingSemantic.averageFilter3x3(planes)
        let sums: [Float] = [14, 24, 30, 22, 33, 54, 63, 45, 30, 48, 54, 38]
        #expect(averaged.values == sums.map { $0 / 9 })
        let denoised = FastDenoisingSemantic.apply(planes)
        let maxima: [Float] = [54, 63, 63, 63, 54, 63, 63, 63, 54, 63, 63, 63]
        #expect(denoised.values == maxima.map { $0 / 9 })
    }

    /// A single pixel of the wrong class (what noise does to a one-hot map) disappears.
    @Test func singleNoisyPixelIsRemoved() {
        var labels = [UInt8](repeating: 7, count: 9 * 9)
        labels[4 * 9 + 4] = 11
        let planes = ClassPlanes.oneHot(labels: labels, width: 9, height: 9, classIDs: [7, 11])
        #expect(FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: [7, 11], denoise: false) == labels)
        let denoised = FastDenoisingSemantic.apply(planes)
        #expect(denoised[1, 4, 4] == Float(1) / 9)  // the spike, averaged down and not restored
        // Every 3×3 window near the spike contains it, so the true class reads 8/9 there,
        // still well above the spike's 1/9.
        #expect(denoised[0, 4, 4] == Float(8) / 9)
        #expect(denoised[0, 4, 6] == 1)  // two pixels away the true class is fully restored
        #expect(FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: [7, 11]).allSatisfy { $0 == 7 })
    }

    /// At the border the average divides by 9 although fewer pixels exist (zero padding
    /// counts), and the max filter's padding never wins, even over negative values.
    @Test func bordersUseZeroPaddingForAverageAndNoPaddingForMax() {
        let ones = ClassPlanes(channels: 1, height: 3, width: 3, values: [Float](repeating: 1, count: 9))
        let averaged = FastDenoisingSemantic.averageFilter3x3(ones)
        #expect(averaged.values == [4, 6, 4, 6, 9, 6, 4, 6, 4].map { Float($0) / 9 })
        #expect(FastDenoisingSemantic.apply(ones).values == [Float](repeating: 1, count: 9))

        let negative = ClassPlanes(channels: 1, height: 2, width: 3, values: [-5, -4, -3, -2, -1, -6])
        #expect(FastDenoisingSemantic.maxFilter3x3(negative).values == [-1, -1, -1, -1, -1, -1])
        let column = ClassPlanes(channels: 1, height: 3, width: 1, values: [-3, -2, -1])
        #expect(FastDenoisingSemantic.maxFilter3x3(column).values == [-2, -1, -1])
        let single = ClassPlanes(channels: 1, height: 1, width: 1, values: [-2])
        #expect(FastDenoisingSemantic.maxFilter3x3(single).values == [-2])
        #expect(FastDenoisingSemantic.averageFilter3x3(single).values == [Float(-2) / 9])
    }

    /// The separable passes equal the direct 3×3 definitions on random data of awkward sizes.
    @Test(arguments: [(1, 1), (1, 5), (5, 1), (2, 2), (2, 7), (7, 9), (16, 3)])
    func separableFiltersMatchTheDirectDefinition(height: Int, width: Int) {
        var rng = SeededGenerator(seed: UInt64(height * 100 + width))
        let values = (0..<(3 * height * width)).map { _ in Float(rng.gaussian()) }
        let planes = ClassPlanes(channels: 3, height: height, width: width, values: values)
        let average = FastDenoisingSemantic.averageFilter3x3(planes)
        for (a, b) in zip(average.values, referencePool(planes, max: false).values) { #expect(abs(a - b) < 1e-6) }
        #expect(FastDenoisingSemantic.maxFilter3x3(planes) == referencePool(planes, max: true))
    }

    @Test func argmaxBreaksTiesTowardTheLowestIndex() {
        // Pixel 0: planes tie at 0.5 → 0. Pixel 1: plane 2 wins. Pixel 2: planes 1 and 2 tie → 1.
        let planes = ClassPlanes(channels: 3, height: 1, width: 3, values: [0.5, 0, 0.1, 0.5, 0.2, 0.9, 0.5, 0.3, 0.9])
        #expect(FastDenoisingSemantic.argmax(planes) == [0, 2, 1])
        #expect(
            FastDenoisingSemantic.labelIDs(classIndices: [0, 2, 1, 5, -1], presentClassIDs: [3, 19, 255])
                == [3, 255, 19, 255, 255])
    }

    @Test func oneHotRoundTripsThroughArgmax() {
        let labels: [UInt8] = [0, 13, 13, 255, 2, 0]
        let present: [UInt8] = [0, 2, 13, 255]
        let planes = ClassPlanes.oneHot(labels: labels, width: 3, height: 2, classIDs: present)
        #expect(planes.values.reduce(0, +) == 6)
        #expect(FastDenoisingSemantic.decodeLabels(planes, presentClassIDs: present, denoise: false) == labels)
    }

    /// The receiver's path on a blocky 8-class map: FDS recovers most of what noise at 5 dB
    /// PSNR breaks, and 30 dB leaves the map intact.
    @Test func denoisingImprovesAccuracyOnNoisyMaps() {
        let width = 128, height = 64
        var labels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { labels[y * width + x] = UInt8((y / 16) * 2 + x / 64) }
        }
        let present: [UInt8] = Array(0..<8)
        let clean = ClassPlanes.oneHot(labels: labels, width: width, height: height, classIDs: present)
        func accuracy(psnrDB: Double, denoise: Bool) -> Double {
            var noisy = clean
            var rng = SeededGenerator(seed: 21)
            AWGNChannel.psnr(psnrDB).apply(to: &noisy.values, using: &rng)
            let decoded = FastDenoisingSemantic.decodeLabels(noisy, presentClassIDs: present, denoise: denoise)
            return Double(zip(decoded, labels).filter { $0 == $1 }.count) / Double(labels.count)
        }
        #expect(accuracy(psnrDB: 30, denoise: true) == 1)
        let raw = accuracy(psnrDB: 5, denoise: false), denoised = accuracy(psnrDB: 5, denoise: true)
        #expect(raw < 0.7)
        #expect(denoised > 0.9)
    }
}
