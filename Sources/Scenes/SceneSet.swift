import Dispatch
import Foundation
import Imaging

/// Writes and reads folders of scenes in semcom's layout (`SceneFolder`).
public enum SceneSet {

    /// What a written set holds.
    public struct Summary: Sendable {
        /// Scene names, in index order.
        public var names: [String]
        /// For each train id 0…18, the number of scenes in which it appears.
        public var scenesWithClass: [Int]
        /// For each train id 0…18, its share of all labelled pixels.
        public var pixelShare: [Double]
    }

    /// Generates scenes `0..<count` of run `seed` and writes them under `directory`, using
    /// all cores.
    @discardableResult
    public static func write(
        count: Int, seed: UInt64, generator: StreetSceneGenerator, to directory: String
    ) throws -> Summary {
        for folder in [SceneFolder.images, SceneFolder.labels, SceneFolder.color] {
            try FileManager.default.createDirectory(
                atPath: (directory as NSString).appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let failures = Failures()
        let histograms = Histograms(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let scene = generator.scene(seed: seed, index: index)
            histograms.record(index, scene.labels)
            do {
                try PNG.write(scene.image, to: SceneFolder.path(directory, SceneFolder.images, scene.name))
                try PNG.write(scene.labels, to: SceneFolder.path(directory, SceneFolder.labels, scene.name))
                try PNG.write(
                    Cityscapes.colorize(scene.labels), to: SceneFolder.path(directory, SceneFolder.color, scene.name))
            } catch {
                failures.record(error)
            }
        }
        if let error = failures.first { throw error }
        var scenesWithClass = [Int](repeating: 0, count: Cityscapes.classCount)
        var pixels = [Int](repeating: 0, count: Cityscapes.classCount)
        for histogram in histograms.all {
            for id in 0..<Cityscapes.classCount where histogram[id] > 0 {
                scenesWithClass[id] += 1
                pixels[id] += histogram[id]
            }
        }
        let total = max(1, pixels.reduce(0, +))
        return Summary(
            names: (0..<count).map { StreetSceneGenerator.name(seed: seed, index: $0) },
            scenesWithClass: scenesWithClass, pixelShare: pixels.map { Double($0) / Double(total) })
    }

    /// Per-scene label histograms filled by concurrent workers (each writes its own slot).
    private final class Histograms: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var all: [[Int]]
        init(count: Int) { all = [[Int]](repeating: [], count: count) }
        func record(_ index: Int, _ labels: LabelMap) {
            var h = [Int](repeating: 0, count: 256)
            for id in labels.ids { h[Int(id)] += 1 }
            lock.lock()
            all[index] = h
            lock.unlock()
        }
    }

    /// Collects the first error raised by concurrent workers.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var first: Error?
        func record(_ error: Error) {
            lock.lock()
            if first == nil { first = error }
            lock.unlock()
        }
    }
}

/// A grid of images with a gap between cells, for looking at a data set at a glance.
public enum ContactSheet {
    /// Lays `rows` out in a grid: each row is a list of equally sized images side by side;
    /// `columns` such rows go across the sheet.
    public static func make(_ rows: [[RGBImage]], columns: Int, gap: Int = 4) -> RGBImage {
        precondition(!rows.isEmpty && columns > 0)
        let cellW = rows[0][0].width, cellH = rows[0][0].height, perRow = rows[0].count
        let blockW = perRow * cellW + (perRow - 1) * 1
        let gridRows = (rows.count + columns - 1) / columns
        let width = columns * blockW + (columns + 1) * gap
        let height = gridRows * cellH + (gridRows + 1) * gap
        var sheet = RGBImage(width: width, height: height, fill: (255, 255, 255))
        for (n, row) in rows.enumerated() {
            let ox = gap + (n % columns) * (blockW + gap), oy = gap + (n / columns) * (cellH + gap)
            for (k, image) in row.enumerated() {
                for y in 0..<min(cellH, image.height) {
                    for x in 0..<min(cellW, image.width) {
                        sheet[ox + k * (cellW + 1) + x, oy + y] = image[x, y]
                    }
                }
            }
        }
        return sheet
    }
}
