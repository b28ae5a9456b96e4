import Foundation
import Imaging
import Testing

@Suite struct PNGTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-png-\(UUID().uuidString)").path

    @Test func rgbRoundTrip() throws {
        var image = RGBImage(width: 7, height: 5)
        for y in 0..<5 { for x in 0..<7 { image[x, y] = (UInt8(x * 30), UInt8(y * 50), UInt8(x ^ y)) } }
        let decoded = try PNG.decodeRGB(try PNG.encode(image))
        #expect(decoded == image)
    }

    @Test func labelRoundTripThroughFile() throws {
        let map = LabelMap(width: 9, height: 4, ids: (0..<36).map { UInt8($0 % 19) == 18 ? 255 : UInt8($0 % 19) })
        let path = dir + "/labels.png"
        try PNG.write(map, to: path)
        #expect(try PNG.readLabels(path: path) == map)
    }

    @Test func grayscaleReadsAsRGB() throws {
        let map = LabelMap(width: 3, height: 2, ids: [0, 10, 20, 30, 40, 250])
        let rgb = try PNG.decodeRGB(try PNG.encode(map))
        #expect(rgb[1, 0] == (10, 10, 10))
        #expect(rgb[2, 1] == (250, 250, 250))
    }

    @Test func colourPNGIsRejectedAsLabels() throws {
        let data = try PNG.encode(RGBImage(width: 4, height: 4, fill: (1, 2, 3)))
        #expect {
            try PNG.decodeLabels(data, source: "x.png")
        } throws: { error in
            "\(error)".contains("x.png") && "\(error)".contains("grayscale")
        }
    }

    @Test func missingFileNamesThePath() {
        #expect {
            try PNG.readRGB(path: "/nonexistent/semcom/none.png")
        } throws: { error in
            "\(error)".contains("/nonexistent/semcom/none.png") && "\(error)".contains("no such file")
        }
    }

    @Test func corruptAndTruncatedFilesGiveClearErrors() throws {
        let good = try PNG.encode(RGBImage(width: 16, height: 16, fill: (9, 9, 9)))
        #expect(throws: ImagingError.self) { try PNG.decodeRGB(Array("not a png at all".utf8)) }
        #expect(throws: ImagingError.self) { try PNG.decodeRGB(Array(good.prefix(good.count / 2))) }
        var flipped = good
        flipped[good.count / 2] ^= 0xFF  // breaks the IDAT CRC / zlib stream
        #expect(throws: ImagingError.self) { try PNG.decodeRGB(flipped) }
    }

    @Test func encodingIsDeterministic() throws {
        let image = RGBImage(width: 32, height: 8, pixels: (0..<(32 * 8 * 3)).map { UInt8(($0 * 7) % 251) })
        #expect(try PNG.encode(image) == PNG.encode(image))
    }
}

@Suite struct JPEGTests {
    @Test func roundTripIsClose() throws {
        var image = RGBImage(width: 32, height: 16)
        for y in 0..<16 { for x in 0..<32 { image[x, y] = (UInt8(x * 8), UInt8(y * 16), 128) } }
        let bytes = try JPEG.encode(image, quality: 90)
        let decoded = try JPEG.decode(bytes)
        #expect(decoded.width == 32 && decoded.height == 16)
        let meanError =
            zip(image.pixels, decoded.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / image.pixels.count
        #expect(meanError < 6)
    }

    @Test func garbageIsRejected() {
        #expect(throws: ImagingError.self) { try JPEG.decode([0xFF, 0xD8, 0x00, 0x01, 0x02]) }
        #expect(throws: ImagingError.self) { try JPEG.encode(RGBImage(width: 2, height: 2), quality: 0) }
    }
}

@Suite struct CityscapesTests {
    @Test(arguments: [
        (7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9), (23, 10),
        (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18),
    ])
    func evaluatedClassesMapToTrainIDs(labelID: Int, trainID: Int) {
        #expect(Cityscapes.trainIDOfLabelID[labelID] == UInt8(trainID))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30, 34, 200, 255])
    func ignoredClassesMapToVoid(labelID: Int) {
        #expect(Cityscapes.trainIDOfLabelID[labelID] == LabelMap.void)
    }

    @Test func paletteCoversEveryClass() {
        #expect(Cityscapes.palette.count == Cityscapes.classCount)
        #expect(Cityscapes.classNames.count == Cityscapes.classCount)
        let map = LabelMap(width: 2, height: 1, ids: [0, 255])
        let rgb = Cityscapes.colorize(map)
        #expect(rgb[0, 0] == (128, 64, 128))
        #expect(rgb[1, 0] == (0, 0, 0))
    }

    @Test func validateRejectsOutOfRangeIDs() {
        let map = LabelMap(width: 2, height: 1, ids: [3, 40])
        #expect(throws: ImagingError.self) { try map.validate(classCount: 19, source: "m") }
        #expect(throws: Never.self) {
            try LabelMap(width: 1, height: 1, ids: [255]).validate(classCount: 19, source: "m")
        }
    }
}

@Suite struct ResizeTests {
    @Test func nearestKeepsIDs() {
        let map = LabelMap(width: 4, height: 2, ids: [0, 1, 2, 3, 4, 5, 6, 7])
        let down = Resize.nearest(map, width: 2, height: 1)
        #expect(down.ids == [0, 2])
        let up = Resize.nearest(map, width: 8, height: 4)
        #expect(Set(up.ids) == Set(map.ids))
        #expect(up[7, 3] == 7)
    }

    @Test func areaAverageOfAConstantIsTheConstant() {
        let image = RGBImage(width: 9, height: 6, fill: (10, 200, 30))
        let small = Resize.image(image, width: 4, height: 3)
        #expect(small.pixels.allSatisfy { [10, 200, 30].contains($0) })
        let halved = Resize.image(RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 100, 50]), width: 1, height: 1)
        #expect(halved.pixels == [100, 50, 25])
    }

    /// The fuzzer's finding (Fuzz/regressions/png): a 76-byte file whose zTXt chunk declares 2 GB made
    /// libpng allocate that much before it noticed the data ends; now it is refused up front.
    @Test func chunkPastTheEndIsRefusedWithoutAllocating() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let bytes = try [UInt8](
            Data(contentsOf: root.appendingPathComponent("Fuzz/regressions/png/chunk-length-past-end.png")))
        #expect(bytes.count < 200)
        #expect(throws: ImagingError.self) { try PNG.decodeLabels(bytes) }
        #expect(throws: ImagingError.self) { try PNG.decodeRGB(bytes) }
    }

    /// A PNG built by hand: `rows` of raw scanline bytes (filter byte added) in a stored deflate block.
    static func handmadePNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]]) -> [UInt8] {
        func crc(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        func be(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(crc(body))
        }
        let raw: [UInt8] = rows.flatMap { [UInt8(0)] + $0 }
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let length = UInt16(raw.count)
        let stored: [UInt8] = [
            0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8),
        ]
        let zlib: [UInt8] = stored + raw + be(b << 16 | a)
        let header: [UInt8] = be(UInt32(width)) + be(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return signature + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    /// Label maps are never converted silently (the fuzzer saw ids change): 8-bit grey reads as stored,
    /// a 1-bit map or one with alpha is refused.
    @Test func labelMapsAreReadExactlyOrRefused() throws {
        let plain = Self.handmadePNG(width: 4, height: 1, bitDepth: 8, colorType: 0, rows: [[16, 32, 48, 1]])
        #expect(try PNG.decodeLabels(plain).ids == [16, 32, 48, 1])
        let oneBit = Self.handmadePNG(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b0101_0101]])
        #expect { try PNG.decodeLabels(oneBit) } throws: { "\($0)".contains("1-bit") }
        let alpha = Self.handmadePNG(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[16, 200, 32, 100]])
        #expect { try PNG.decodeLabels(alpha) } throws: { "\($0)".contains("alpha") }
    }
}
