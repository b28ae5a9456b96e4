import ImageCodecs
import Imaging
import Testing

/// Every codec, by the name `semcom eval` uses.
let codecNames = ["jpeg", "jpeg444", "jpeg2000", "webp", "avif", "hevc"]

private func codec(_ name: String) throws -> any ImageCodec {
    try #require(ImageCodecs.named(name), "no codec named \(name)")
}

/// A quality near the top of the range, but below any lossless end.
private func highQuality(_ codec: any ImageCodec) -> Int {
    codec.qualities.upperBound - codec.qualities.count / 10
}

@Suite struct ImageCodecsTests {
    let image = TestImages.scene
    let width = TestImages.width, height = TestImages.height

    @Test func registryListsTheCodecsInReportOrder() {
        #expect(ImageCodecs.all.map(\.name) == codecNames)
        #expect(ImageCodecs.named("jpeg2000")?.name == "jpeg2000")
        #expect(ImageCodecs.named("png") == nil)
    }

    @Test(arguments: codecNames)
    func roundTripsAtHighQuality(name: String) throws {
        let codec = try codec(name)
        let bytes = try codec.encode(image, quality: highQuality(codec))
        let decoded = try codec.decode(bytes, width: width, height: height)
        #expect(decoded.width == width && decoded.height == height)
        // The weakest codec here (JPEG 4:2:0 on the red edge) reaches about 32 dB at this quality.
        #expect(TestImages.psnr(image, decoded) > 30, "\(name): \(bytes.count) bytes")
    }

    @Test(arguments: codecNames)
    func encodingIsDeterministic(name: String) throws {
        let codec = try codec(name)
        let quality = codec.qualities.lowerBound + codec.qualities.count / 2
        #expect(try codec.encode(image, quality: quality) == codec.encode(image, quality: quality))
    }

    @Test(arguments: codecNames)
    func lowerQualityGivesSmallerStreams(name: String) throws {
        let codec = try codec(name)
        let lowest = try codec.encode(image, quality: codec.qualities.lowerBound)
        let middle = try codec.encode(image, quality: codec.qualities.lowerBound + codec.qualities.count / 2)
        let highest = try codec.encode(image, quality: codec.qualities.upperBound)
        #expect(lowest.count < middle.count)
        #expect(middle.count < highest.count)
        // The lowest quality still decodes to an image of the right size.
        let decoded = try codec.decode(lowest, width: width, height: height)
        #expect(decoded.width == width && decoded.height == height)
    }

    @Test(arguments: codecNames, [150, 300, 600, 1200, 2400])
    func budgetSearchFindsTheBestFittingQuality(name: String, budget: Int) throws {
        let codec = try codec(name)
        guard let (bytes, quality) = try codec.encode(image, maxBytes: budget) else {
            // Nothing fits: then not even the lowest quality does.
            #expect(try codec.encode(image, quality: codec.qualities.lowerBound).count > budget)
            return
        }
        #expect(bytes.count <= budget)
        #expect(codec.qualities.contains(quality))
        #expect(try bytes == codec.encode(image, quality: quality))
        if quality < codec.qualities.upperBound {
            #expect(try codec.encode(image, quality: quality + 1).count > budget, "quality \(quality + 1) also fits")
        }
        let decoded = try codec.decode(bytes, width: width, height: height)
        #expect(decoded.width == width && decoded.height == height)
    }

    @Test(arguments: codecNames)
    func budgetBelowTheSmallestStreamGivesNil(name: String) throws {
        let codec = try codec(name)
        #expect(try codec.encode(image, maxBytes: 10) == nil)
        #expect(try codec.encode(image, maxBytes: 0) == nil)
    }

    @Test(arguments: codecNames)
    func qualityOutsideTheRangeIsRefused(name: String) throws {
        let codec = try codec(name)
        let error = #expect(throws: CodecError.self) {
            try codec.encode(image, quality: codec.qualities.upperBound + 1)
        }
        guard case .badQuality? = error else {
            Issue.record("expected .badQuality, got \(String(describing: error))")
            return
        }
    }

    @Test(arguments: codecNames)
    func garbageIsRejected(name: String) throws {
        let codec = try codec(name)
        #expect(throws: CodecError.self) { try codec.decode([], width: width, height: height) }
        for seed: UInt64 in [1, 2, 3] {
            let noise = TestImages.garbage(count: 300, seed: seed)
            #expect(throws: CodecError.self) { try codec.decode(noise, width: width, height: height) }
        }
        #expect(throws: CodecError.self) { try codec.decode([0], width: width, height: height) }
    }

    @Test(arguments: codecNames)
    func truncatedStreamIsRejected(name: String) throws {
        let codec = try codec(name)
        let bytes = try codec.encode(image, quality: highQuality(codec))
        let half = Array(bytes[..<(bytes.count / 2)])
        #expect(throws: CodecError.self) { try codec.decode(half, width: width, height: height) }
    }

    @Test(arguments: codecNames)
    func damagedStreamDecodesOrThrows(name: String) throws {
        let codec = try codec(name)
        let bytes = try codec.encode(image, quality: highQuality(codec))
        // Flip bytes in the middle, and elsewhere, and cut at many points: each either decodes to an image
        // of the announced size or throws a CodecError (typed throws); none may crash.
        var damaged: [[UInt8]] = []
        for start in [bytes.count / 2, bytes.count / 3, 2 * bytes.count / 3, 1, bytes.count - 2] {
            var copy = bytes
            for i in start..<min(bytes.count, start + 4) { copy[i] ^= 0xA5 }
            damaged.append(copy)
        }
        for length in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 16)) {
            damaged.append(Array(bytes[..<length]))
        }
        for stream in damaged {
            do {
                let decoded = try codec.decode(stream, width: width, height: height)
                #expect(decoded.width == width && decoded.height == height)
            } catch {
                // A thrown CodecError is the other acceptable outcome.
            }
        }
    }

    @Test(arguments: codecNames)
    func streamOfAnotherSizeIsWrongSize(name: String) throws {
        let codec = try codec(name)
        let bytes = try codec.encode(image, quality: highQuality(codec))
        for (w, h) in [(width / 2, height), (width, height * 2), (height, width)] {
            let error = #expect(throws: CodecError.self) { try codec.decode(bytes, width: w, height: h) }
            guard case .wrongSize? = error else {
                Issue.record("\(w)x\(h): expected .wrongSize, got \(String(describing: error))")
                continue
            }
        }
        // A size no decoder may allocate is refused before the stream is looked at.
        let error = #expect(throws: CodecError.self) { try codec.decode(bytes, width: 100_000, height: 100_000) }
        guard case .wrongSize? = error else {
            Issue.record("expected .wrongSize, got \(String(describing: error))")
            return
        }
    }

    @Test(arguments: codecNames)
    func smallAndOddSizesRoundTrip(name: String) throws {
        let codec = try codec(name)
        for (w, h) in [(1, 1), (17, 9), (40, 24)] {
            let small = TestImages.make(width: w, height: h)
            let bytes = try codec.encode(small, quality: highQuality(codec))
            let decoded = try codec.decode(bytes, width: w, height: h)
            #expect(decoded.width == w && decoded.height == h)
        }
    }
}
