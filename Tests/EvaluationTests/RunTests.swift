import Foundation
import Imaging
import Testing

@testable import Evaluation

/// A tiny real sweep (1 generated scene, 2 SNRs, all modes, 2 DDIM steps) shared by the tests below:
/// −6 dB Es/N0 is below the digital cliff (digital and classical frames are lost), 30 dB above it.
enum TinyRun {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let result: Result<EvaluationJob.Result, any Error> = Result {
        var settings = EvaluationSettings(snrs: [-6, 30], modes: TransmissionMode.allCases)
        settings.steps = 2
        settings.gridImages = 1
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-eval-\(getpid())").path
        var job = EvaluationJob(settings: settings, dataDirectory: nil, count: 1, outputDirectory: out)
        job.generatorFolder = root.appendingPathComponent("models/generator").path
        job.segmenterFolder = root.appendingPathComponent("models/segmenter").path
        return try job.run()
    }
}

@Suite("A tiny sweep", .serialized)
struct RunTests {
    @Test func csvAggregatesMatchSummary() async throws {
        let result = try await onOwnThread { try TinyRun.result.get() }
        let rows = try ResultsTable.parse(try String(contentsOfFile: result.csvPath, encoding: .utf8))
        // The separation bound needs a budget: it has no rows here.
        #expect(rows.count == 1 * 2 * (TransmissionMode.allCases.count - 1))
        let decoded = try JSONDecoder().decode(
            EvaluationSummary.self, from: try Data(contentsOf: URL(fileURLWithPath: result.summaryPath)))
        #expect(decoded.groups.count == 2 * (TransmissionMode.allCases.count - 1))
        for group in decoded.groups {
            let cell = rows.filter {
                $0.text["mode"] == group.mode.rawValue && $0.numbers["snr_db"] == group.snrDB
            }
            #expect(cell.count == group.images)
            #expect(cell.filter { $0.numbers["lost"] == 1 }.count == group.lost)
            for column in EvaluationRecord.metricColumns {
                let values = cell.compactMap { $0.numbers[column] }.filter(\.isFinite)
                let summary = try #require(group.metrics[column])
                #expect(summary.count == values.count, "\(group.mode) \(group.snrDB) \(column)")
                if let first = values.first {
                    let mean = values.reduce(0, +) / Double(values.count)
                    // The CSV keeps 6 significant digits.
                    #expect(abs(summary.mean - mean) <= 1e-5 * max(1, abs(mean)), "\(group.mode) \(column)")
                    _ = first
                    if values.count == 1 { #expect(summary.low == summary.mean) }
                }
            }
        }
    }

    @Test func reportHoldsEveryPlotAndGrid() async throws {
        let result = try await onOwnThread { try TinyRun.result.get() }
        let html = try String(contentsOfFile: result.reportPath, encoding: .utf8)
        for plot in EvaluationReport.plots { #expect(html.contains("id=\"plot-\(plot.column)\""), "\(plot.column)") }
        #expect(html.contains("id=\"bars-bits\"") && html.contains("id=\"bars-channel-uses\""))
        for snr in result.summary.settings.snrs { #expect(html.contains("id=\"grid-\(SNRList.label(snr))\"")) }
        // Every tile is an embedded PNG or marked missing: original, sent, received, denoised + every mode, per
        // SNR; only the separation bound (no budget) has no output.
        let images = html.components(separatedBy: "src=\"data:image/png;base64,").count - 1
        let lost = html.components(separatedBy: "class=\"lost\"").count - 1
        #expect(images + lost == 2 * (4 + TransmissionMode.allCases.count))
        #expect(lost == 2)
        // Offline: the only URLs are SVG namespace declarations.
        let urls = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
        #expect(urls == namespaces)
        #expect(!html.contains("<script"))
        #expect(FileManager.default.fileExists(atPath: try #require(result.gridPath)))
    }

    @Test func lostFramesScoreAsTheFallbackImage() async throws {
        let result = try await onOwnThread { try TinyRun.result.get() }
        let rows = try ResultsTable.parse(try String(contentsOfFile: result.csvPath, encoding: .utf8))
        let lost = rows.filter { $0.numbers["lost"] == 1 }
        #expect(lost.count >= 2, "at −6 dB digital frames are lost")
        for row in lost {
            // The flat mean-colour image: one score, whatever the mode that lost it.
            for column in ["miou", "pixel_acc", "psnr_db", "ssim"] {
                #expect(row.numbers[column] == lost[0].numbers[column], "\(column)")
            }
            #expect(row.numbers["psnr_db"]!.isFinite && row.numbers["psnr_db"]! < 15)
            // The modes with ARQ (no budget here) tried 4 times; SoftCast's metadata and the hybrid go once.
            if !["softcast", "hybrid"].contains(row.text["mode"]!) { #expect(row.numbers["attempts"] == 4) }
        }
        // At 30 dB nothing is lost and the analog map arrives exact.
        for row in rows where row.numbers["snr_db"] == 30 {
            #expect(row.numbers["lost"] == 0)
            if row.text["mode"] == "analog" { #expect(row.numbers["map_acc_raw"] == 1) }
        }
    }

    /// `--channel rayleigh`: block fading with MMSE equalisation on every mode's channel.
    @Test func rayleighSweepRunsEveryModeThroughFading() async throws {
        var settings = EvaluationSettings(snrs: [5, 30], modes: [.analog, .digital])
        settings.fading = true
        settings.steps = 2
        settings.gridImages = 0
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-eval-rayleigh-\(getpid())").path
        var job = EvaluationJob(settings: settings, dataDirectory: nil, count: 1, outputDirectory: out)
        job.generatorFolder = TinyRun.root.appendingPathComponent("models/generator").path
        job.segmenterFolder = TinyRun.root.appendingPathComponent("models/segmenter").path
        let ready = job
        let result = try await onOwnThread { try ready.run() }
        let rows = try ResultsTable.parse(try String(contentsOfFile: result.csvPath, encoding: .utf8))
        func row(_ mode: String, _ snr: Double) throws -> (text: [String: String], numbers: [String: Double]) {
            try #require(rows.first { $0.text["mode"] == mode && $0.numbers["snr_db"] == snr })
        }
        let analog5 = try row("analog", 5), analog30 = try row("analog", 30)
        // Fading hurts the raw symbols; the receiver's denoiser recovers most of the map.
        #expect(analog5.numbers["map_acc"]! > analog5.numbers["map_acc_raw"]!)
        #expect(analog30.numbers["map_acc"]! > 0.97)
        let digital30 = try row("digital", 30)
        #expect(digital30.numbers["lost"] == 0 && digital30.numbers["map_acc"] == 1)
        #expect(result.summary.settings.fading)
    }
}
