import Foundation
import Imaging
import Testing

@testable import Evaluation

/// A tiny budgeted sweep (1 scene, ρ = 1/12 at 12 dB, 2 generator steps), run twice into one folder: the
/// second run resumes every cell from the first.
enum TinyBudgetRun {
    static let modes: [TransmissionMode] = [
        .analog, .digital, .digitalContext, .jpeg, .webp, .hevc, .classicalAnalog, .separationBound, .softcast, .hybrid,
    ]

    static func job(_ out: String) -> EvaluationJob {
        var settings = EvaluationSettings(snrs: [12], modes: modes)
        settings.budgets = [ChannelBudget(rho: 1.0 / 12, label: "1/12")]
        settings.steps = 2
        settings.gridImages = 1
        var job = EvaluationJob(settings: settings, dataDirectory: nil, count: 1, outputDirectory: out)
        job.generatorFolder = TinyRun.root.appendingPathComponent("models/generator").path
        job.segmenterFolder = TinyRun.root.appendingPathComponent("models/segmenter").path
        return job
    }

    static let out = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-budget-\(getpid())").path

    /// The two runs and the resume file's line count after each.
    static let runs: Result<(first: EvaluationJob.Result, second: EvaluationJob.Result, lines: [Int]), any Error> =
        Result {
            try? FileManager.default.removeItem(atPath: out)
            func lines() throws -> Int {
                try String(contentsOfFile: out + "/" + CellStore.fileName, encoding: .utf8)
                    .split(separator: "\n").count
            }
            let first = try job(out).run()
            let afterFirst = try lines()
            let second = try job(out).run()
            return (first, second, [afterFirst, try lines()])
        }
}

@Suite("A tiny budgeted sweep", .serialized)
struct BudgetRunTests {
    @Test func everyFittingRowStaysWithinItsBudget() async throws {
        let (first, _, _) = try await onOwnThread { try TinyBudgetRun.runs.get() }
        let rows = try ResultsTable.parse(try String(contentsOfFile: first.csvPath, encoding: .utf8))
        for column in [
            "mode", "scene", "seed", "snr_db", "budget_rho", "rho", "channel_uses", "header_channel_uses",
            "payload_bits", "bpp", "mcs", "codec_quality", "fits", "lost",
        ] {
            #expect(rows.allSatisfy { $0.text[column] != nil }, "column \(column)")
        }
        for mode in TinyBudgetRun.modes {
            #expect(rows.contains { $0.text["mode"] == mode.rawValue }, "\(mode)")
        }
        for row in rows where row.numbers["fits"] == 1 {
            #expect(row.numbers["rho"]! <= row.numbers["budget_rho"]! * 1.02, "\(row.text)")
            #expect(row.numbers["channel_uses"]! <= 2048, "\(row.text)")
        }
        // The context-coded map costs under half of zlib's bits, so it fits every MCS zlib fits, and more.
        let zlibRows = rows.filter { $0.text["mode"] == "digital" }
        let contextRows = rows.filter { $0.text["mode"] == "digital-context" }
        let zlibBits = try #require(zlibRows.compactMap { $0.numbers["payload_bits"] }.filter { $0 > 0 }.min())
        let contextBits = try #require(contextRows.compactMap { $0.numbers["payload_bits"] }.filter { $0 > 0 }.max())
        #expect(contextBits * 2 < zlibBits, "context \(contextBits) bits, zlib \(zlibBits) bits")
        let fitting = { (rows: [(text: [String: String], numbers: [String: Double])]) in
            Set(rows.filter { $0.numbers["fits"] == 1 }.map { $0.text["mcs"]! })
        }
        #expect(
            fitting(contextRows).isSuperset(of: fitting(zlibRows))
                && fitting(contextRows).count > fitting(zlibRows).count)
        // SoftCast is no strawman: ≥ 4 dB above the pixels as symbols at the same budget. The hybrid carries the
        // map and a layer inside the budget, and runs at most the semantic modes' generator passes.
        let psnr = { (mode: TransmissionMode) in
            rows.first { $0.text["mode"] == mode.rawValue }?.numbers["psnr_db"] ?? .nan
        }
        #expect(psnr(.softcast) >= psnr(.classicalAnalog) + 4, "softcast \(psnr(.softcast)) dB")
        let hybrid = try #require(rows.first { $0.text["mode"] == "hybrid" })
        #expect(hybrid.numbers["fits"] == 1 && hybrid.text["scheme"]!.hasPrefix("map + "), "\(hybrid.text)")
        #expect(hybrid.numbers["generator_passes"]! <= 2 && psnr(.hybrid) > psnr(.digitalContext))
        // Analog GESCO fits 1/12 only at downsample 8.
        #expect(rows.first { $0.text["mode"] == "analog" }?.text["scheme"] == "analog, downsample 8")
        // The bound is never below the best codec of the cell.
        let bound = try #require(first.summary.group(.separationBound, 12)?.metrics["psnr_db"]?.mean)
        for codec in [TransmissionMode.jpeg, .webp, .hevc] {
            let best = try #require(first.summary.group(codec, 12)?.metrics["psnr_db"]?.mean)
            #expect(bound >= best - 1e-9, "\(codec)")
        }
        // Every MCS is its own row of a codec; the envelope is one of them.
        let jpegRows = rows.filter { $0.text["mode"] == "jpeg" }
        #expect(Set(jpegRows.map { $0.text["mcs"]! }).count == jpegRows.count && jpegRows.count > 5)
        #expect(first.summary.mcsGroups.contains { $0.mode == .jpeg })
    }

    @Test func figuresAreWrittenAsSVGPDFAndCSV() async throws {
        let (first, _, _) = try await onOwnThread { try TinyBudgetRun.runs.get() }
        let folder = (first.csvPath as NSString).deletingLastPathComponent + "/figures"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in ["psnr_db-vs-snr-rho1_12", "miou-vs-snr-rho1_12", "envelope-jpeg-rho1_12"] {
            #expect(files.contains(name + ".svg") && files.contains(name + ".csv"), "\(name)")
            if Figures.rsvgConvert() != nil {
                let pdf = try #require(FileManager.default.contents(atPath: "\(folder)/\(name).pdf"))
                #expect(pdf.starts(with: Data("%PDF".utf8)))
            }
        }
        let html = try String(contentsOfFile: first.reportPath, encoding: .utf8)
        #expect(html.contains("id=\"plot-envelope-jpeg-rho1_12\""))
    }

    @Test func aRerunResumesEveryCellWithTheSameNumbers() async throws {
        let (first, second, lines) = try await onOwnThread { try TinyBudgetRun.runs.get() }
        let a = try String(contentsOfFile: first.csvPath, encoding: .utf8)
        let b = try String(contentsOfFile: second.csvPath, encoding: .utf8)
        // Timings aside (they are the first run's, kept), every figure is the same.
        func strip(_ csv: String) throws -> [[String: String]] {
            try ResultsTable.parse(csv).map { $0.text.filter { !$0.key.hasPrefix("t_") } }
        }
        #expect(try strip(a) == strip(b))
        // The header and one line per cell after the first run; the second computed nothing.
        #expect(lines == [1 + TinyBudgetRun.modes.count, 1 + TinyBudgetRun.modes.count])
    }

    @Test func anotherSettingRefusesTheFolder() async throws {
        _ = try await onOwnThread { try TinyBudgetRun.runs.get() }
        var job = TinyBudgetRun.job(TinyBudgetRun.out)
        job.settings.snrs = [13]
        #expect(throws: EvaluationError.self) { try job.run() }
    }
}
