import Foundation
import Imaging
import Scenes
import Testing

/// Loader tests on tiny fixtures written here in each data set's own folder layout.
@Suite struct DatasetLoaderTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-ds-\(UUID().uuidString)").path

    func writeCityscapes() throws {
        // Two cities; label ids include ignored ones (0 unlabeled, 9 parking) and evaluated ones.
        let ids: [UInt8] = [7, 8, 26, 24, 0, 9, 23, 33]
        for (city, frame) in [("aachen", "aachen_000000_000019"), ("bremen", "bremen_000001_000019")] {
            try PNG.write(
                RGBImage(width: 4, height: 2, fill: (10, 20, 30)),
                to: "\(root)/cs/leftImg8bit/val/\(city)/\(frame)_leftImg8bit.png")
            try PNG.write(
                LabelMap(width: 4, height: 2, ids: ids),
                to: "\(root)/cs/gtFine/val/\(city)/\(frame)_gtFine_labelIds.png")
        }
    }

    @Test func cityscapesLayoutMapsToTrainIDs() throws {
        try writeCityscapes()
        let data = try LabeledImageFolder.cityscapes(root: root + "/cs", split: "val")
        #expect(data.count == 2)
        let sample = try data.load(0)
        #expect(sample.name == "aachen_000000_000019")
        #expect(sample.labels.ids == [0, 1, 13, 11, 255, 255, 10, 18])
    }

    @Test func cityscapesResizesLabelsByNearest() throws {
        try writeCityscapes()
        var data = try LabeledImageFolder.cityscapes(root: root + "/cs", split: "val")
        data.size = (height: 4, width: 8)
        let sample = try data.load(1)
        #expect(sample.image.width == 8 && sample.labels.height == 4)
        #expect(Set(sample.labels.ids).isSubset(of: [0, 1, 13, 11, 255, 10, 18]))
    }

    @Test func cocoStuffLayoutWithJPEGImages() throws {
        let image = RGBImage(width: 8, height: 8, fill: (200, 100, 50))
        try writeFile(try JPEG.encode(image, quality: 95), to: "\(root)/coco/images/val2017/000000000139.jpg")
        try PNG.write(
            LabelMap(
                width: 8, height: 8, ids: [UInt8](repeating: 0, count: 32) + [UInt8](repeating: 181, count: 31) + [255]),
            to: "\(root)/coco/stuffthingmaps_trainval2017/val2017/000000000139.png")
        let data = try LabeledImageFolder.cocoStuff(root: root + "/coco", split: "val2017")
        #expect(data.count == 1 && data.labelSpace.classCount == 182)
        let sample = try data.load(0)
        #expect(sample.labels.ids.last == 255 && sample.labels.ids.first == 0)
        #expect(abs(Int(sample.image[3, 3].0) - 200) < 8)
    }

    @Test func mismatchedSizesAndCorruptFilesAreClearErrors() throws {
        try writeCityscapes()
        let label = "\(root)/cs/gtFine/val/aachen/aachen_000000_000019_gtFine_labelIds.png"
        try PNG.write(LabelMap(width: 3, height: 2, fill: 7), to: label)
        let data = try LabeledImageFolder.cityscapes(root: root + "/cs", split: "val")
        #expect { try data.load(0) } throws: { "\($0)".contains("3x2") && "\($0)".contains(label) }
        try writeFile(Array("garbage".utf8), to: label)
        #expect { try data.load(0) } throws: { "\($0)".contains(label) }
    }

    @Test func missingFolderIsAClearError() {
        #expect { try LabeledImageFolder.cityscapes(root: root + "/nothing", split: "val") } throws: {
            "\($0)".contains("no such folder")
        }
    }
}
