import Foundation
import Randomness
import Testing

@testable import ChannelModels

@Suite("Channel reports")
struct ChannelReportTests {
    @Test func analogReportCarriesTheFiguresAndEncodesAsJSON() throws {
        var symbols = [Float](repeating: 0, count: 1000)
        for i in stride(from: 0, to: 1000, by: 4) { symbols[i] = 1 }
        var rng = SeededGenerator(seed: 9)
        let stats = AWGNChannel.psnr(10).apply(to: &symbols, using: &rng)
        let report = ChannelReport(stats, seed: 9)
        #expect(report.model == .awgn && report.convention == "psnr" && report.settingDB == 10)
        #expect(report.symbols == 1000 && report.channelUses == 500 && report.bitsOnAir == 0)
        #expect(report.measuredSNRDB == stats.measuredSNRDB && report.noiseStd == stats.noiseStd)
        let json = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(ChannelReport.self, from: json) == report)
    }

    @Test func digitalAndIdealReportsEncodeWithoutNonFiniteNumbers() throws {
        let channel = try BPSKBitErrorChannel(esN0DB: 4)
        var bytes = [UInt8](repeating: 0, count: 1000)
        var rng = SeededGenerator(seed: 5)
        let report = ChannelReport(channel.apply(to: &bytes, using: &rng), channel: channel, seed: 5)
        #expect(report.model == .bpskUncoded && report.ebN0DB == 4 && report.bitsOnAir == 8000)
        #expect(report.bitErrors > 0 && report.measuredSNRDB == nil)
        let ideal = ChannelReport.ideal(bitsOnAir: 64)
        let decoded = try JSONDecoder().decode(ChannelReport.self, from: try JSONEncoder().encode(ideal))
        #expect(decoded == ideal && decoded.model.rawValue == "ideal")
    }
}
