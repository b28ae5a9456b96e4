import Randomness
import Tensor
import Testing

@testable import Generator

extension Tensor {
    func scaled(_ factor: Float) -> Tensor { Tensor(shape: shape, data: data.map { $0 * factor }) }
}

/// The channel-blocked layout (nChw16c) against the planar one, whose every op is checked against the
/// PyTorch reference: each op must give the same numbers in both, including groups that straddle blocks,
/// odd sizes, and convolutions leaving or entering the blocked layout.
@Suite("Blocked layout") struct BlockedLayoutTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.nextFloat() * 4 - 1.5 })
    }

    /// `blocked`, back in planar, equals `planar` within `tolerance` (and really was blocked).
    static func expectSame(_ blocked: Tensor, _ planar: Tensor, _ what: String, tolerance: Float = 1e-5) {
        #expect(blocked.layout == .blocked16, "\(what): layout")
        let error = blocked.converted(to: .planar).maxAbsDifference(planar)
        #expect(error <= tolerance * max(1, planar.maxAbs), "\(what): max abs difference \(error)")
    }

    @Test func elementsLandWhereOneDNNExpectsThem() {
        let x = Self.random([2, 32, 5, 7], seed: 1)
        let b = x.converted(to: .blocked16)
        for (n, c, h, w) in [(0, 0, 0, 0), (1, 17, 4, 6), (0, 15, 2, 3), (1, 31, 0, 5)] {
            let planar = ((n * 32 + c) * 5 + h) * 7 + w
            let blocked = (((n * 2 + c / 16) * 5 + h) * 7 + w) * 16 + c % 16
            #expect(b.data[blocked] == x.data[planar])
        }
        #expect(b.converted(to: .planar) == x)
    }

    @Test func groupNormWithGroupsAcrossBlocks() {
        // 48 channels in 8 groups: 6 channels a group, so groups 2 and 5 straddle blocks.
        let x = Self.random([2, 48, 5, 7], seed: 2)
        var rng = SeededGenerator(seed: 3)
        let values = { (count: Int) in (0..<count).map { _ in rng.nextFloat() - 0.5 } }
        let norm = GroupNorm(groups: 8, weight: values(48), bias: values(48))
        let scale = values(96), shift = values(96)
        var planar = x, blocked = x.converted(to: .blocked16)
        norm.apply(&planar, scale: scale, shift: shift, activation: .silu)
        norm.apply(&blocked, scale: scale, shift: shift, activation: .silu)
        Self.expectSame(blocked, planar, "group norm")
        let stats = GroupNorm.statistics(x, groups: 8, eps: 1e-5),
            blockedStats = GroupNorm.statistics(x.converted(to: .blocked16), groups: 8, eps: 1e-5)
        for (a, b) in zip(stats, blockedStats) {
            #expect(abs(a.0 - b.0) <= 1e-6 && abs(a.1 / b.1 - 1) <= 1e-5, "statistics \(a) vs \(b)")
        }
    }

    /// SPADE's kernel with groups across blocks, the timestep modulation and SiLU; its modulation maps from a
    /// planar label map into blocked γ, β (a 16-channel hidden layer) and into planar ones (8 channels).
    @Test(arguments: [16, 8])
    func spadeWithGroupsAcrossBlocks(hidden: Int) {
        let conv = { (cout: Int, cin: Int, seed: UInt64) in
            Conv2D(
                weight: Self.random([cout, cin, 3, 3], seed: seed).scaled(0.1), bias: (0..<cout).map { Float($0) / 100 }
            )
        }
        let spade = SPADEGroupNorm(
            groups: 8, shared: conv(hidden, 5, 20), gamma: conv(48, hidden, 21), beta: conv(48, hidden, 22))
        let x = Self.random([2, 48, 6, 10], seed: 23), map = Self.random([2, 5, 12, 20], seed: 24)
        var rng = SeededGenerator(seed: 25)
        let scale = (0..<96).map { _ in rng.nextFloat() - 0.5 }, shift = (0..<96).map { _ in rng.nextFloat() - 0.5 }
        var planar = x, blocked = x.converted(to: .blocked16)
        spade.apply(
            &planar, spade.modulation(map: map, height: 6, width: 10, layout: .planar), scale: scale, shift: shift,
            activation: .silu)
        spade.apply(
            &blocked, spade.modulation(map: map, height: 6, width: 10, layout: .blocked16), scale: scale, shift: shift,
            activation: .silu)
        Self.expectSame(blocked, planar, "SPADE")
    }

    @Test func resamplingOddSizes() {
        let x = Self.random([2, 32, 5, 7], seed: 4)
        Self.expectSame(
            Resample.upsampleNearest2x(x.converted(to: .blocked16)), Resample.upsampleNearest2x(x), "upsample",
            tolerance: 0)
        Self.expectSame(
            Resample.averagePool2x2(x.converted(to: .blocked16)), Resample.averagePool2x2(x), "average pool")
    }

    @Test func emptyTensorsAndTinyPlanes() {
        let empty = Tensor(zeros: [0, 16, 3, 3])
        #expect(empty.converted(to: .blocked16).layout == .blocked16)
        let pooled = Resample.averagePool2x2(Tensor(zeros: [1, 16, 1, 1]).converted(to: .blocked16))
        #expect(pooled.shape == [1, 16, 0, 0] && pooled.layout == .blocked16)
    }

    @Test func concatenationAndSums() {
        let a = Self.random([2, 32, 3, 4], seed: 5), b = Self.random([2, 16, 3, 4], seed: 6)
        let ab = Ops.concatChannels(a.converted(to: .blocked16), b.converted(to: .blocked16))
        Self.expectSame(ab, Ops.concatChannels(a, b), "concat", tolerance: 0)
        let c = Self.random([2, 32, 3, 4], seed: 7)
        Self.expectSame(
            Ops.add(a.converted(to: .blocked16), c.converted(to: .blocked16)), Ops.add(a, c), "add", tolerance: 0)
    }

    @Test(arguments: [ConvolutionBackend.onednn, .im2col])
    func convolutionsInAndOutOfTheBlockedLayout(backend: ConvolutionBackend) {
        ConvolutionBackend.with(backend) {
            let x = Self.random([2, 32, 9, 11], seed: 8)
            for (cout, kernel, stride) in [(48, 3, 1), (32, 1, 1), (16, 3, 2)] {
                let weight = Self.random([cout, 32, kernel, kernel], seed: UInt64(cout * 10 + kernel))
                let conv = Conv2D(weight: weight, bias: (0..<cout).map { Float($0) / 100 }, stride: stride)
                let planar = conv(x)
                Self.expectSame(
                    conv(x.converted(to: .blocked16)), planar, "\(kernel)x\(kernel)/\(stride) blocked → blocked")
                Self.expectSame(conv(x, output: .blocked16), planar, "\(kernel)x\(kernel)/\(stride) planar → blocked")
                let out = conv(x.converted(to: .blocked16), output: .planar)
                #expect(out.layout == .planar)
                #expect(out.maxAbsDifference(planar) <= 1e-5 * max(1, planar.maxAbs), "blocked → planar")
            }
            // The first convolution of a network: a planar image of 3 channels into blocked features.
            let image = Self.random([2, 3, 9, 11], seed: 10)
            let first = Conv2D(weight: Self.random([32, 3, 3, 3], seed: 11), bias: (0..<32).map { Float($0) / 50 })
            Self.expectSame(first(image, output: .blocked16), first(image), "3 channels planar → blocked")
            // An output whose channels cannot be blocked comes out planar.
            let rgb = Conv2D(weight: Self.random([3, 32, 3, 3], seed: 9), bias: nil)
            let y = rgb(x.converted(to: .blocked16))
            #expect(y.layout == .planar)
            #expect(y.maxAbsDifference(rgb(x)) <= 1e-5 * max(1, y.maxAbs))
        }
    }
}
