import Foundation
import Imaging
import Scenes
import Testing

@Suite struct SceneGeneratorTests {
    let generator = StreetSceneGenerator(width: 128, height: 64)

    @Test func sameSeedSameBytes() throws {
        let a = generator.scene(seed: 7, index: 3), b = generator.scene(seed: 7, index: 3)
        #expect(try PNG.encode(a.image) == PNG.encode(b.image))
        #expect(a.labels == b.labels)
    }

    @Test func differentSeedsDifferentLayouts() {
        let a = generator.scene(seed: 1, index: 0), b = generator.scene(seed: 2, index: 0)
        let c = generator.scene(seed: 1, index: 1)
        #expect(a.labels != b.labels)
        #expect(a.labels != c.labels)
    }

    @Test func labelsAreTrainIDsOrVoidAndSizesAgree() {
        for index in 0..<20 {
            let scene = generator.scene(seed: 11, index: index)
            #expect(scene.image.width == scene.labels.width && scene.image.height == scene.labels.height)
            #expect(scene.labels.ids.allSatisfy { $0 < 19 || $0 == 255 })
        }
    }

    @Test func coversAtLeastTwelveClassesOver100Scenes() {
        var counts = [Int](repeating: 0, count: 256)
        for index in 0..<100 {
            for id in generator.scene(seed: 1, index: index).labels.presentIDs { counts[Int(id)] += 1 }
        }
        let covered = (0..<19).filter { counts[$0] > 0 }
        #expect(covered.count >= 12, "classes seen: \(covered)")  // the bar
        #expect(covered.count == 19, "seed 1 shows every class, as the README says; seen: \(covered)")
        // The street itself is always there.
        #expect(counts[0] == 100 && counts[2] > 50 && counts[10] > 80)
    }

    @Test func imagesHaveTextureNotFlatFills() {
        // Within the road region, pixel values must vary (texture, shading, noise).
        let scene = generator.scene(seed: 5, index: 0)
        var roadValues = Set<UInt8>()
        for (i, id) in scene.labels.ids.enumerated() where id == 0 { roadValues.insert(scene.image.pixels[3 * i]) }
        #expect(roadValues.count > 20)
    }

    @Test func rendersAtCityscapesHalfResolution() {
        let big = StreetSceneGenerator(width: 512, height: 256).scene(seed: 1, index: 0)
        #expect(big.image.width == 512 && big.labels.height == 256)
        #expect(big.labels.presentIDs.count >= 5)
    }

    @Test func perspectiveMakesNearThingsBigger() {
        // Road width grows toward the bottom of the image, and objects standing lower in the
        // image (nearer) are taller: component height correlates with its bottom row.
        var heights: [Double] = [], bottoms: [Double] = []
        var nearRoad = 0, farRoad = 0
        for index in 0..<40 {
            let labels = generator.scene(seed: 3, index: index).labels
            let roadWidth = { (y: Int) in (0..<labels.width).filter { labels[$0, y] == 0 }.count }
            nearRoad += roadWidth(labels.height * 8 / 10)  // above any ego bonnet (void)
            farRoad += roadWidth(labels.height * 6 / 10)
            for (top, bottom) in components(of: [11, 13], in: labels) where bottom - top >= 2 {
                heights.append(Double(bottom - top + 1))
                bottoms.append(Double(bottom))
            }
        }
        #expect(nearRoad > farRoad * 3 / 2)
        #expect(heights.count > 30)
        #expect(correlation(heights, bottoms) > 0.4)
    }

    /// Vertical extents (top row, bottom row) of 4-connected components with these ids.
    func components(of ids: Set<UInt8>, in map: LabelMap) -> [(Int, Int)] {
        var seen = [Bool](repeating: false, count: map.ids.count)
        var out: [(Int, Int)] = []
        for start in 0..<map.ids.count where !seen[start] && ids.contains(map.ids[start]) {
            var stack = [start], top = Int.max, bottom = 0
            seen[start] = true
            while let i = stack.popLast() {
                let x = i % map.width, y = i / map.width
                top = min(top, y); bottom = max(bottom, y)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && ny >= 0 && nx < map.width && ny < map.height {
                    let j = ny * map.width + nx
                    if !seen[j] && map.ids[j] == map.ids[i] { seen[j] = true; stack.append(j) }
                }
            }
            out.append((top, bottom))
        }
        return out
    }

    func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }
}

@Suite struct SceneSetTests {
    @Test func writesThreeFoldersAndReadsBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-set-\(UUID().uuidString)").path
        let generator = StreetSceneGenerator(width: 64, height: 32)
        let names = try SceneSet.write(count: 3, seed: 9, generator: generator, to: dir).names
        #expect(names == ["s9_00000", "s9_00001", "s9_00002"])
        for folder in ["images", "labels", "color"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/" + folder).count == 3)
        }
        let folder = try LabeledImageFolder.sceneSet(at: dir)
        #expect(folder.count == 3)
        let first = try folder.load(0)
        let expected = generator.scene(seed: 9, index: 0)
        #expect(first.labels == expected.labels && first.image == expected.image)
        // The same run again gives byte-identical files.
        let again = dir + "-again"
        try SceneSet.write(count: 3, seed: 9, generator: generator, to: again)
        for folder in ["images", "labels", "color"] {
            let a = FileManager.default.contents(atPath: "\(dir)/\(folder)/s9_00001.png")
            let b = FileManager.default.contents(atPath: "\(again)/\(folder)/s9_00001.png")
            #expect(a != nil && a == b)
        }
    }

    @Test func missingLabelIsAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-set-\(UUID().uuidString)").path
        try SceneSet.write(count: 2, seed: 1, generator: StreetSceneGenerator(width: 32, height: 16), to: dir)
        try FileManager.default.removeItem(atPath: dir + "/labels/s1_00001.png")
        #expect { try LabeledImageFolder.sceneSet(at: dir) } throws: { "\($0)".contains("s1_00001") }
    }

    @Test func contactSheetPlacesCells() {
        let a = RGBImage(width: 4, height: 2, fill: (255, 0, 0)), b = RGBImage(width: 4, height: 2, fill: (0, 0, 255))
        let sheet = ContactSheet.make([[a, b], [b, a]], columns: 2, gap: 1)
        // Two blocks side by side, each two 4-pixel cells with a 1-pixel seam.
        #expect(sheet.width == 1 + 9 + 1 + 9 + 1 && sheet.height == 1 + 2 + 1)
        #expect(sheet[1, 1] == (255, 0, 0))
        #expect(sheet[1 + 5, 1] == (0, 0, 255))
        #expect(sheet[11, 1] == (0, 0, 255))
        #expect(sheet[0, 0] == (255, 255, 255))
    }
}
