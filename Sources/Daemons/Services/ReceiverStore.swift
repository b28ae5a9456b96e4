import Foundation
import Imaging

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
}
