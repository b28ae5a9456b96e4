import Foundation
import Generator
import Imaging
import Logging

/// Label maps computed by the segmenter from the images themselves (when a folder has no
/// `labels/`): the sender's own segmentation, as a deployed transmitter would do.
public struct SegmenterLabels: LabelSource {
    public let segmenter: Segmenter

    public init(segmenter: Segmenter) { self.segmenter = segmenter }

    public func isReady(name: String, imagePath: String) -> Bool { FileManager.default.fileExists(atPath: imagePath) }

    public func labels(name: String, imagePath: String) async throws -> LabelMap {
        try labels(of: try PNG.readRGB(path: imagePath))
    }

    /// The segmenter's map of `image`, at the image's own size (resized to the model's input and back).
    public func labels(of image: RGBImage) throws -> LabelMap {
        let w = segmenter.config.image_width, h = segmenter.config.image_height
        let labels = try segmenter.segment(Resize.image(image, width: w, height: h))
        return Resize.nearest(labels, width: image.width, height: image.height)
    }
}

/// The sender's maps: ground truth from `DIR/labels/NAME.png` where it exists (GESCO's setting),
/// else the segmenter's map of the image.
public struct SenderLabels: LabelSource {
    public let groundTruth: GroundTruthLabels
    public let segmenter: SegmenterLabels?
    let segmenterProblem: String?

    /// `segmenterFolder` nil: the shipped segmenter when it can be found (else images without
    /// maps are reported with the reason).
    public init(directory: String, segmenterFolder: String?, logger: Logger) throws {
        groundTruth = GroundTruthLabels(directory: directory)
        do {
            let folder = try ModelLocator.folder(segmenterFolder, kind: "segmenter")
            segmenter = SegmenterLabels(segmenter: try Segmenter(folder: folder))
            segmenterProblem = nil
            logger.debug("segmenter loaded", metadata: ["model": "\(folder)"])
        } catch {
            if segmenterFolder != nil { throw error }
            segmenter = nil
            segmenterProblem = "\(error)"
        }
    }

    public func isReady(name: String, imagePath: String) -> Bool {
        groundTruth.isReady(name: name, imagePath: imagePath) || segmenter != nil
    }

    public func labels(name: String, imagePath: String) async throws -> LabelMap {
        if groundTruth.isReady(name: name, imagePath: imagePath) || segmenter == nil {
            do {
                return try await groundTruth.labels(name: name, imagePath: imagePath)
            } catch let error where segmenter == nil {
                throw DaemonError.noLabels("\(error); no segmenter either: \(segmenterProblem ?? "none loaded")")
            }
        }
        return try await segmenter!.labels(name: name, imagePath: imagePath)
    }
}
