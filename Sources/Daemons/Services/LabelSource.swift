import Foundation
import Imaging

/// Where the sender gets the semantic map of an image: the seam for a segmentation network.
///
/// Today the maps are ground truth (`GroundTruthLabels`, `DIR/labels/NAME.png`, as `semcom scenes`
/// writes them, GESCO's own setting); a segmenter that computes the map from `DIR/images/NAME.png`
/// implements this protocol later.
public protocol LabelSource: Sendable {
    /// Whether the map of `name` can be produced now (a watched folder may show an image before its map).
    func isReady(name: String, imagePath: String) -> Bool
    /// The label map of the image `name` stored at `imagePath`, in Cityscapes train ids (255 void).
    func labels(name: String, imagePath: String) async throws -> LabelMap
}

/// Ground-truth maps from `DIR/labels/NAME.png` (8-bit train ids).
public struct GroundTruthLabels: LabelSource {
    /// The scene folder (`DIR` with `images/` and `labels/`).
    public let directory: String

    public init(directory: String) { self.directory = directory }

    func path(_ name: String) -> String { SceneFolder.path(directory, SceneFolder.labels, name) }

    public func isReady(name: String, imagePath: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    public func labels(name: String, imagePath: String) async throws -> LabelMap {
        guard FileManager.default.fileExists(atPath: path(name)) else {
            throw DaemonError.noLabels(
                "no label map for \(imagePath) at \(path(name)); this version sends ground-truth maps only "
                    + "(write them with `semcom scenes`, or add DIR/labels/NAME.png)")
        }
        let map = try PNG.readLabels(path: path(name))
        try map.validate(classCount: Cityscapes.classCount, source: path(name))
        return map
    }
}

/// The images of a sender's input folder.
public enum InputFolder {
    /// `(name, path)` of every `DIR/images/*.png`, by name; hidden files are skipped.
    public static func images(in directory: String) -> [(name: String, path: String)] {
        let folder = (directory as NSString).appendingPathComponent(SceneFolder.images)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".png") && !$0.hasPrefix(".") }.sorted().map {
            (name: String($0.dropLast(4)), path: (folder as NSString).appendingPathComponent($0))
        }
    }

    /// A frame id that depends only on the name (FNV-1a, 64 bits): stable across restarts and
    /// reconnections, so a retransmitted or re-sent frame de-duplicates at the receiver.
    public static func frameID(forName name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
