import Foundation
import Testing

@testable import Evaluation

/// `semcom eval --shard K/N` and `semcom eval merge`: three shards merged give the whole run's results.
@Suite("Sharded sweeps", .serialized)
struct ShardTests {
    @Test func shardSlicesCoverTheGridOnceInOrder() async throws {
        for total in [1, 5, 12, 100] {
            for n in 1...7 {
                let slices = (1...n).map { ShardSpec(index: $0, count: n).cells(of: total) }
                #expect(slices.first?.lowerBound == 0 && slices.last?.upperBound == total)
                for (a, b) in zip(slices, slices.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                #expect(slices.map(\.count).max()! - slices.map(\.count).min()! <= 1)
            }
        }
        #expect(throws: EvaluationError.self) { try ShardSpec(parsing: "0/3") }
        #expect(throws: EvaluationError.self) { try ShardSpec(parsing: "4/3") }
        #expect(throws: EvaluationError.self) { try ShardSpec(parsing: "2") }
        #expect(try ShardSpec(parsing: "2/3") == ShardSpec(index: 2, count: 3))
    }

    /// results.csv without the wall-clock columns (no two runs share those), rows sorted.
    static func comparable(_ csvPath: String) throws -> String {
        let lines = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n").map(String.init)
        // Fields split at commas outside quotes (a scheme such as "analog, downsample 4" holds one).
        func fields(_ line: String) -> [String] {
            var out = [""], quoted = false
            for character in line {
                if character == "\"" { quoted.toggle() }
                if character == "," && !quoted { out.append("") } else { out[out.count - 1].append(character) }
            }
            return out
        }
        let header = fields(lines[0])
        let keep = header.indices.filter { !header[$0].hasPrefix("t_") }
        func strip(_ line: String) -> String {
            let values = fields(line)
            return keep.map { values[$0] }.joined(separator: ",")
        }
        return ([strip(lines[0])] + lines.dropFirst().map(strip).sorted()).joined(separator: "\n")
    }

    @Test func threeShardsMergeToTheWholeRun() async throws {
        var settings = EvaluationSettings(snrs: [-6, 30], modes: [.analog, .digital, .jpeg])
        settings.budgets = [.none, ChannelBudget(rho: 1.0 / 3, label: "1/3")]
        settings.steps = 2
        settings.gridImages = 2
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-shards-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func job(_ out: String) -> EvaluationJob {
            var job = EvaluationJob(settings: settings, dataDirectory: nil, count: 2, outputDirectory: out)
            job.generatorFolder = TinyRun.root.appendingPathComponent("models/generator").path
            job.segmenterFolder = TinyRun.root.appendingPathComponent("models/segmenter").path
            return job
        }
        let whole = try await onOwnThread { try job(root + "/whole").run() }
        // 2 images × 2 budgets × 2 SNRs × 3 modes = 24 cells: shard 2 (cells 8…15) spans both images.
        let folders = (1...3).map { "\(root)/shard\($0)" }
        for (k, folder) in folders.enumerated() {
            _ = try await onOwnThread { try job(folder).run(shard: ShardSpec(index: k + 1, count: 3)) }
        }
        let merged = try EvaluationJob.merge(shardFolders: folders.reversed(), into: root + "/merged")

        #expect(try Self.comparable(merged.csvPath) == Self.comparable(whole.csvPath))
        #expect(merged.summary.segmenterOnOriginals == whole.summary.segmenterOnOriginals)
        #expect(merged.summary.groups.count == whole.summary.groups.count)
        for (a, b) in zip(merged.summary.groups, whole.summary.groups) {
            #expect(a.mode == b.mode && a.snrDB == b.snrDB && a.images == b.images && a.lost == b.lost)
            for column in EvaluationRecord.metricColumns where !column.hasPrefix("t_") {
                #expect(a.metrics[column] == b.metrics[column], "\(a.mode) \(a.snrDB) \(column)")
            }
        }
        let report = try String(contentsOfFile: merged.reportPath, encoding: .utf8)
        for snr in settings.snrs { #expect(report.contains("id=\"grid-rho1_3-\(SNRList.label(snr))\"")) }
        #expect(merged.gridPath != nil)
        let images = try FileManager.default.subpathsOfDirectory(atPath: root + "/merged/images").filter {
            $0.hasSuffix(".png")
        }
        let wholeImages = try FileManager.default.subpathsOfDirectory(atPath: root + "/whole/images").filter {
            $0.hasSuffix(".png")
        }
        #expect(images.sorted() == wholeImages.sorted())

        #expect(throws: EvaluationError.self) {
            try EvaluationJob.merge(shardFolders: Array(folders.prefix(2)), into: root + "/x")
        }
        #expect(throws: EvaluationError.self) {
            try EvaluationJob.merge(shardFolders: folders + [folders[0]], into: root + "/y")
        }
        #expect(throws: EvaluationError.self) {
            try EvaluationJob.merge(shardFolders: [root + "/whole"], into: root + "/z")
        }
    }
}
