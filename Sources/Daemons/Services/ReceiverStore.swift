import Foundation
import Imaging
import Link

/// What a receiver's output folder holds between runs: `OUT/ORIGIN/NAME.labels.png`, `NAME.map.png`
/// and, once generated, `NAME.png` (see `OutputNames`).
///
/// A receiver acknowledges a frame only once its maps are stored; the image comes later, from a queue
/// in memory. So what a stop (SIGTERM, a crash, kill -9) can leave unfinished is visible on disk: maps
/// without their image, and temporary files of writes that never completed. A start finds both.
public enum ReceiverStore {
    /// A stored map whose image is missing.
    public struct PendingMap: Sendable, Equatable {
        /// The origin's folder name (`OriginFolder.name(for:)`).
        public var originFolder: String
        public var name: String
        public var files: OutputNames
    }

    /// Removes the temporary files of interrupted writes in `outputDirectory` and its origin folders;
    /// returns how many. Their frames were never acknowledged, so the senders send them again.
    @discardableResult
    public static func removeInterruptedWrites(in outputDirectory: String) -> Int {
        originFolders(in: outputDirectory).reduce(removeStaleTemporaryFiles(in: outputDirectory)) {
            $0 + removeStaleTemporaryFiles(in: ($1.path))
        }
    }

    /// Every stored map without its `NAME.png`, by origin folder and name.
    public static func mapsWithoutImages(in outputDirectory: String) -> [PendingMap] {
        var pending: [PendingMap] = []
        for folder in originFolders(in: outputDirectory) {
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            for file in files.sorted() where file.hasSuffix(OutputNames.labelsSuffix) && !file.hasPrefix(".") {
                let name = String(file.dropLast(OutputNames.labelsSuffix.count))
                guard !files.contains(name + OutputNames.imageSuffix),
                    let names = try? OutputNames(name: name, directory: folder.path)
                else { continue }
                pending.append(PendingMap(originFolder: folder.name, name: name, files: names))
            }
        }
        return pending
    }

    /// Paths of the origin folders under `outputDirectory`.
    public static func originFolderPaths(in outputDirectory: String) -> [String] {
        originFolders(in: outputDirectory).map(\.path)
    }

    /// The origin folders (not hidden) under `outputDirectory`.
    static func originFolders(in outputDirectory: String) -> [(name: String, path: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        return entries.sorted().compactMap { name in
            let path = (outputDirectory as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard !name.hasPrefix("."), FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
                isFolder.boolValue
            else { return nil }
            return (name, path)
        }
    }

    /// Writes what a receiver keeps of a decided frame: the map (`NAME.labels.png`, `NAME.map.png`) when there is
    /// one; a layered frame's SoftCast estimate as `NAME.layer.png` with `NAME.layer.json` when the map will be
    /// generated from it, or as the image `NAME.png` itself when there is no map to generate from.
    static func store(_ decision: MapDecision.Decision, files: OutputNames) throws {
        if let reception = decision.layered, let layer = reception.layer {
            guard decision.hasMap else {
                try PNG.write(layer.image, to: files.reconstructionPath)
                return
            }
            // Before the map: a stop between the two leaves no map whose guide is missing.
            try PNG.write(layer.image, to: files.layerPath)
            let info = Guide.Info(expectedMSE: layer.expectedMSE, noiseVariance: reception.noiseVariance)
            try JSONEncoder().encode(info).write(to: URL(fileURLWithPath: files.layerInfoPath), options: .atomic)
        }
        try PNG.write(decision.labels, to: files.labelsPath)
        try PNG.write(Cityscapes.colorize(decision.labels), to: files.colorMapPath)
    }

    /// The guide stored for a frame (`store`), nil when it has none.
    static func storedGuide(_ files: OutputNames) throws -> Guide? {
        guard FileManager.default.fileExists(atPath: files.layerPath),
            let data = FileManager.default.contents(atPath: files.layerInfoPath)
        else { return nil }
        let info = try JSONDecoder().decode(Guide.Info.self, from: data)
        return Guide(image: try PNG.readRGB(path: files.layerPath), expectedMSE: info.expectedMSE)
    }
}
