import Foundation
import Imaging

/// Slice K of N of a sweep's grid (`semcom eval --shard K/N`): the grid's cells (image × SNR × mode, in
/// that nesting order) split into N contiguous, nearly equal runs; shard K (1…N) takes the K-th. Contiguous
/// slices keep an image's SNRs together, so the generator's cache of exactly received maps still helps.
public struct ShardSpec: Sendable, Codable, Equatable, CustomStringConvertible {
    /// 1…count.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `K/N` with 1 ≤ K ≤ N.
    public init(parsing text: String) throws(EvaluationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
            throw EvaluationError("--shard '\(text)': write K/N with 1 ≤ K ≤ N, e.g. 2/3")
        }
        self.init(index: k, count: n)
    }

    /// The cells of a grid of `total` cells this shard runs.
    public func cells(of total: Int) -> Range<Int> {
        (index - 1) * total / count..<index * total / count
    }

    public var description: String { "\(index)/\(count)" }
}

/// What one run of the sweep computed, as `shard.json` stores it: exact figures (JSON numbers round-trip
/// a Double), the grid's settings and images, and where its grid tiles are — everything `merge` needs to
/// write the files of a whole run.
struct ShardResult: Codable {
    static let fileName = "shard.json"
    static let gridFolder = "grid"

    var shard: ShardSpec
    /// The settings as run (steps and guidance resolved).
    var settings: EvaluationSettings
    /// Every image of the sweep, in grid order (not only this shard's).
    var images: [String]
    /// Where the images came from (a folder, or the generated scenes' seed).
    var source: String
    var imageSize: String
    var records: [EvaluationRecord]
    var originals: [ExperimentRunner.SceneScore]
    var seconds: Double
    var cores: Int
    /// The report's grid rows this shard filled, with the tiles it wrote.
    var grids: [GridTiles] = []

    /// One grid row's tiles on disk: `grid/IMAGE/SNR/TILE.png`.
    struct GridTiles: Codable {
        var image: String
        var budget: String
        var snrDB: Double
        /// original, sent, received, decided and the modes' names, as present.
        var tiles: [String]
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    /// Reads what `encoder` and `CellStore` write (non-finite figures as strings).
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    /// Writes `shard.json` and the grid tiles to `folder`; returns shard.json's path.
    func write(grids rows: [GridRow], to folder: String) throws -> String {
        var copy = self
        for row in rows {
            let dir = [
                folder, Self.gridFolder, row.image, ChannelBudget.fileLabel(row.budget), SNRList.label(row.snrDB),
            ]
            .joined(separator: "/")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var tiles: [(String, RGBImage)] = [("original", row.original), ("sent", row.sent)]
            if let received = row.received { tiles.append(("received", received)) }
            if let decided = row.decided { tiles.append(("decided", decided)) }
            for mode in settings.modes { if let image = row.outputs[mode] { tiles.append((mode.rawValue, image)) } }
            for (name, image) in tiles { try PNG.write(image, to: "\(dir)/\(name).png") }
            copy.grids.append(GridTiles(image: row.image, budget: row.budget, snrDB: row.snrDB, tiles: tiles.map(\.0)))
        }
        let path = folder + "/" + Self.fileName
        try Self.encoder.encode(copy).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reads every shard folder, checks that they are the N shards of one sweep, and returns the runs in
    /// grid order with the merged grid rows; each shard's `images/` is copied into `output`.
    static func load(_ folders: [String], copyingImagesTo output: String) throws -> ([ShardResult], [GridRow]) {
        guard !folders.isEmpty else {
            throw EvaluationError("merge: give the shard folders (semcom eval --shard K/N --out DIR)")
        }
        var runs: [(folder: String, run: ShardResult)] = []
        for folder in folders {
            let path = folder + "/" + fileName
            guard let data = FileManager.default.contents(atPath: path) else {
                throw EvaluationError(
                    "\(folder): no \(fileName) (write shards with semcom eval --shard K/N --out \(folder))")
            }
            do {
                runs.append((folder, try Self.decoder.decode(ShardResult.self, from: data)))
            } catch {
                throw EvaluationError("\(path): not a shard result (\(error))")
            }
        }
        runs.sort { $0.run.shard.index < $1.run.shard.index }
        let first = runs[0].run
        let settings = try encoder.encode(first.settings)
        for (folder, run) in runs {
            guard run.shard.count == first.shard.count, try encoder.encode(run.settings) == settings,
                run.images == first.images, run.source == first.source
            else {
                throw EvaluationError(
                    "\(folder): shard \(run.shard) is not from the same sweep as \(runs[0].folder) (settings, images or shard count differ)"
                )
            }
        }
        let indexes = runs.map(\.run.shard.index)
        if let twice = Dictionary(grouping: indexes, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw EvaluationError("merge: shard \(twice)/\(first.shard.count) is given twice")
        }
        let missing = Set(1...first.shard.count).subtracting(indexes).sorted()
        guard missing.isEmpty else {
            throw EvaluationError(
                "merge: missing shard(s) \(missing.map { "\($0)/\(first.shard.count)" }.joined(separator: ", "))")
        }

        // Records in grid order; each original image once (an image split across shards is in two).
        let order = Dictionary(uniqueKeysWithValues: first.images.enumerated().map { ($1, $0) })
        let snrOrder = Dictionary(first.settings.snrs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let modeOrder = Dictionary(uniqueKeysWithValues: first.settings.modes.enumerated().map { ($1, $0) })
        let budgetOrder = Dictionary(
            first.settings.budgets.enumerated().map { ($1.label, $0) }, uniquingKeysWith: { a, _ in a })
        func key(_ r: EvaluationRecord) -> [Int] {
            [order[r.image] ?? 0, budgetOrder[r.budget] ?? 0, snrOrder[r.snrDB] ?? 0, r.seed, modeOrder[r.mode] ?? 0]
        }
        var merged = runs.map(\.run)
        var seen = Set<String>()
        for i in merged.indices {
            merged[i].records.sort { key($0).lexicographicallyPrecedes(key($1)) }
            merged[i].originals = merged[i].originals.filter { seen.insert($0.image).inserted }
        }

        // Grid rows: one per (image, SNR), tiles from whichever shard ran them.
        var rows: [GridRow] = []
        var rowIndex: [String: Int] = [:]
        for (folder, run) in runs {
            for entry in run.grids {
                let dir = [
                    folder, gridFolder, entry.image, ChannelBudget.fileLabel(entry.budget), SNRList.label(entry.snrDB),
                ]
                .joined(separator: "/")
                func tile(_ name: String) throws -> RGBImage? {
                    entry.tiles.contains(name) ? try PNG.readRGB(path: "\(dir)/\(name).png") : nil
                }
                let id = "\(entry.image)@\(entry.budget)@\(entry.snrDB)"
                if rowIndex[id] == nil {
                    guard let original = try tile("original"), let sent = try tile("sent") else {
                        throw EvaluationError("\(dir): grid tiles missing")
                    }
                    rowIndex[id] = rows.count
                    var row = GridRow(image: entry.image, snrDB: entry.snrDB, original: original, sent: sent)
                    row.budget = entry.budget
                    rows.append(row)
                }
                let i = rowIndex[id]!
                rows[i].received = try rows[i].received ?? tile("received")
                rows[i].decided = try rows[i].decided ?? tile("decided")
                for mode in run.settings.modes where rows[i].outputs[mode] == nil {
                    rows[i].outputs[mode] = try tile(mode.rawValue)
                }
            }
            try copyImages(from: folder + "/images", to: output + "/images")
        }
        rows.sort {
            [order[$0.image] ?? 0, budgetOrder[$0.budget] ?? 0, snrOrder[$0.snrDB] ?? 0].lexicographicallyPrecedes(
                [order[$1.image] ?? 0, budgetOrder[$1.budget] ?? 0, snrOrder[$1.snrDB] ?? 0])
        }
        return (merged, rows)
    }

    /// Copies `images/BUDGET/SNR/NAME.MODE.png` of a shard into the merged folder (files already there are kept).
    static func copyImages(from source: String, to destination: String) throws {
        let fm = FileManager.default
        guard let files = fm.subpaths(atPath: source) else { return }
        for file in files.sorted() {
            let from = source + "/" + file, to = destination + "/" + file
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isFolder), !isFolder.boolValue,
                !fm.fileExists(atPath: to)
            else { continue }
            try fm.createDirectory(
                atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: from, toPath: to)
        }
    }
}
