import Foundation
import Imaging

/// One image of a data set with its semantic map, both at the same size.
public struct LabeledImage: Sendable {
    public let name: String
    public let image: RGBImage
    public let labels: LabelMap
}

/// A data set on disk: a list of (image, label) file pairs read on demand, optionally resized
/// to a chosen size (area/bilinear for images, nearest for labels).
public struct LabeledImageFolder: Sendable {
    /// Which label space the maps are in.
    public enum LabelSpace: Sendable {
        /// Cityscapes train ids 0…18, 255 void.
        case cityscapesTrainIDs
        /// Cityscapes label ids 0…33 as stored in `gtFine_labelIds.png`; mapped to train ids on read.
        case cityscapesLabelIDs
        /// COCO-Stuff's 182 classes (`stuffthingmaps`: 0…181, 255 unlabelled), kept as they are.
        case cocoStuff

        /// Number of classes after reading.
        public var classCount: Int {
            switch self {
            case .cityscapesTrainIDs, .cityscapesLabelIDs: return Cityscapes.classCount
            case .cocoStuff: return 182
            }
        }
    }

    /// One scene of the dataset: its name and files.
    public struct Entry: Sendable {
        public let name: String
        public let imagePath: String
        public let labelPath: String
    }

    public let entries: [Entry]
    public let labelSpace: LabelSpace
    /// Output size (height, width), or nil to keep each file's own size.
    public var size: (height: Int, width: Int)?

    public init(entries: [Entry], labelSpace: LabelSpace, size: (height: Int, width: Int)? = nil) {
        self.entries = entries
        self.labelSpace = labelSpace
        self.size = size
    }

    public var count: Int { entries.count }

    /// Reads entry `index`: decodes both files, checks their sizes agree and the label
    /// values are valid, maps ids to the output label space and resizes.
    public func load(_ index: Int) throws -> LabeledImage {
        let entry = entries[index]
        let image = try Self.readImage(entry.imagePath)
        var labels = try PNG.readLabels(path: entry.labelPath)
        guard image.width == labels.width && image.height == labels.height else {
            throw ImagingError(
                "\(entry.labelPath): label map is \(labels.width)x\(labels.height) but its image \(entry.imagePath) is \(image.width)x\(image.height)"
            )
        }
        switch labelSpace {
        case .cityscapesLabelIDs: labels = Cityscapes.trainIDs(fromLabelIDs: labels)
        case .cityscapesTrainIDs, .cocoStuff: break
        }
        try labels.validate(classCount: labelSpace.classCount, source: entry.labelPath)
        guard let size else { return LabeledImage(name: entry.name, image: image, labels: labels) }
        return LabeledImage(
            name: entry.name,
            image: Resize.image(image, width: size.width, height: size.height),
            labels: Resize.nearest(labels, width: size.width, height: size.height))
    }

    static func readImage(_ path: String) throws -> RGBImage {
        let lower = path.lowercased()
        if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
            return try JPEG.decode(try readFile(path), source: path)
        }
        return try PNG.readRGB(path: path)
    }

    // MARK: - Layouts

    /// semcom's own layout (`images/NAME.png` + `labels/NAME.png`), as `semcom scenes` writes it.
    /// Every image must have its label map.
    public static func sceneSet(at root: String) throws -> LabeledImageFolder {
        let images = try files(in: (root as NSString).appendingPathComponent(SceneFolder.images), suffix: ".png")
        let entries = try images.map { imagePath -> Entry in
            let name = ((imagePath as NSString).lastPathComponent as NSString).deletingPathExtension
            let labelPath = SceneFolder.path(root, SceneFolder.labels, name)
            guard FileManager.default.fileExists(atPath: labelPath) else {
                throw ImagingError("\(imagePath): no label map at \(labelPath)")
            }
            return Entry(name: name, imagePath: imagePath, labelPath: labelPath)
        }
        return LabeledImageFolder(entries: entries, labelSpace: .cityscapesTrainIDs)
    }

    /// Cityscapes: `leftImg8bit/SPLIT/CITY/X_leftImg8bit.png` with
    /// `gtFine/SPLIT/CITY/X_gtFine_labelIds.png`, label ids mapped to train ids.
    public static func cityscapes(root: String, split: String) throws -> LabeledImageFolder {
        let imageRoot = "\(root)/leftImg8bit/\(split)"
        let images = try files(in: imageRoot, suffix: "_leftImg8bit.png", recursive: true)
        let entries = try images.map { imagePath -> Entry in
            let relative = String(imagePath.dropFirst(imageRoot.count + 1))
            let stem = String(relative.dropLast("_leftImg8bit.png".count))
            let labelPath = "\(root)/gtFine/\(split)/\(stem)_gtFine_labelIds.png"
            guard FileManager.default.fileExists(atPath: labelPath) else {
                throw ImagingError("\(imagePath): no Cityscapes label map at \(labelPath)")
            }
            return Entry(name: (stem as NSString).lastPathComponent, imagePath: imagePath, labelPath: labelPath)
        }
        return LabeledImageFolder(entries: entries, labelSpace: .cityscapesLabelIDs)
    }

    /// COCO-Stuff: `images/SPLIT/X.jpg` (or `.png`) with `stuffthingmaps_trainval2017/SPLIT/X.png`.
    public static func cocoStuff(root: String, split: String) throws -> LabeledImageFolder {
        let imageRoot = "\(root)/images/\(split)"
        let jpgs = try files(in: imageRoot, suffix: ".jpg")
        let pngs = try files(in: imageRoot, suffix: ".png")
        let entries = try (jpgs + pngs).sorted().map { imagePath -> Entry in
            let name = ((imagePath as NSString).lastPathComponent as NSString).deletingPathExtension
            let labelPath = "\(root)/stuffthingmaps_trainval2017/\(split)/\(name).png"
            guard FileManager.default.fileExists(atPath: labelPath) else {
                throw ImagingError("\(imagePath): no COCO-Stuff label map at \(labelPath)")
            }
            return Entry(name: name, imagePath: imagePath, labelPath: labelPath)
        }
        return LabeledImageFolder(entries: entries, labelSpace: .cocoStuff)
    }

    /// Files under `directory` whose names end in `suffix`, sorted.
    static func files(in directory: String, suffix: String, recursive: Bool = false) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImagingError("\(directory): no such folder")
        }
        let names: [String]
        if recursive {
            guard let walker = FileManager.default.enumerator(atPath: directory) else {
                throw ImagingError("\(directory): cannot be listed")
            }
            names = walker.compactMap { $0 as? String }
        } else {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        }
        return names.filter { $0.hasSuffix(suffix) }.map { "\(directory)/\($0)" }.sorted()
    }
}
