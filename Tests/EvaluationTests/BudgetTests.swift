import ChannelModels
import Foundation
import Imaging
import Link
import Randomness
import Scenes
import SemanticWire
import Testing

@testable import Evaluation

/// The channel ledger, budget fitting and the resume file, on hand-computed cases.
@Suite("Equal channel budget")
struct BudgetTests {
    static let pixels = 64 * 128

    @Test func budgetAndRhoFollowTheJSCCConvention() {
        #expect(ChannelLedger.sourceValues(pixels: Self.pixels) == 24_576)
        #expect(ChannelLedger.budget(rho: 1.0 / 12, pixels: Self.pixels) == 2048)
        #expect(ChannelLedger.budget(rho: 1.0 / 3, pixels: Self.pixels) == 8192)
        #expect(ChannelLedger.budget(rho: 1.0 / 6, pixels: Self.pixels) == 4096)
    }

    @Test func analogLedger() {
        // 12 present classes at downsample 4: 12 planes of 16×32 reals = 6,144 reals = 3,072 complex uses.
        let ledger = ChannelLedger.analog(channelUses: 3072, headerBits: 1000, pixels: Self.pixels)
        #expect(ledger.payloadChannelUses == 3072)
        #expect(ledger.headerChannelUses == 1000)  // one header bit per use on the control channel
        #expect(ledger.rho == 0.125)
        #expect(ledger.payloadBits == 0 && ledger.bitsPerPixel == 0 && ledger.mcs == nil)
        #expect(ledger.bitsOnAir == 1000)
    }

    @Test func digitalLedgerCountsThePhysicalLayerExactly() {
        // QPSK, LDPC n = 1944 rate 1/2: k = 972 information bits, (972 − 32) / 8 = 117 payload bytes per
        // codeword; 100 bytes are one codeword of 1,944 coded bits = 972 QPSK symbols.
        let configuration = PhysicalLayerConfiguration(modulation: .qpsk, code: .ldpc(n: 1944, rate: .r12))
        let cost = PhysicalLayer(configuration).cost(payloadBytes: 100)
        #expect(cost.channelUses == 972 && cost.bitsOnAir == 1944)
        var statistics = LinkStatistics()
        statistics.channelUses = cost.channelUses
        statistics.bitsOnAir = cost.bitsOnAir
        let ledger = ChannelLedger.digital(
            payloadBytes: 100, statistics: statistics, configuration: configuration, headerBits: 401,
            pixels: Self.pixels)
        #expect(ledger.payloadChannelUses == 972)
        #expect(ledger.headerChannelUses == 401)  // 401 bits at 1 bit per use (QPSK × 1/2)
        #expect(ledger.payloadBits == 800)
        #expect(ledger.bitsPerPixel == 800.0 / 8192)
        #expect(ledger.bitsOnAir == 1944 + 401)
        #expect(ledger.rho == 972.0 / 24_576)
        #expect(ledger.mcs == "qpsk ldpc:1944:1/2")
        let twice = ledger.adding(retransmission: ledger)
        #expect(twice.payloadChannelUses == 1944 && twice.headerChannelUses == 802 && twice.payloadBits == 800)
        #expect(twice.retransmissions == 1 && twice.bitsOnAir == 2 * (1944 + 401))
    }

    @Test func ledgerFromAHopAnnotation() throws {
        let map = LabelMapFixture.map
        let frame = try MapFrame.digital(frameID: 1, name: "a", map: map, classCount: 19)
        let hop = HopAnnotation(
            channelModel: .phyAWGN, mode: .digital, modulation: .qam16, code: .ldpc, codeRate: (3, 4), snrDB: 10,
            bitsOnAir: 5000, channelUses: 1000)
        let ledger = ChannelLedger(hop: hop, frame: frame)
        #expect(ledger.payloadChannelUses == 1000)
        // 16-QAM at rate 3/4: 3 bits per use.
        #expect(ledger.headerChannelUses == (frame.headerBits + 2) / 3)
        #expect(ledger.payloadBits == 8 * frame.payload.bytes.count)
        #expect(ledger.pixels == map.width * map.height)
    }

    @Test func qpskHalfRateAtOneTwelfthCarriesTwoCodewords() throws {
        // k = 2,048 uses: two codewords (2 × 972 = 1,944 uses) fit, a third (2,916) does not: 2 × 117 bytes.
        let configuration = PhysicalLayerConfiguration(modulation: .qpsk, code: .ldpc(n: 1944, rate: .r12))
        #expect(PayloadFit.maxPayloadBytes(configuration, channelUses: 2048) == 234)
        #expect(PayloadFit.maxPayloadBytes(configuration, channelUses: 971) == nil)
    }

    @Test(arguments: [false, true])
    func rateMatchingNeverExceedsTheBudget(fading: Bool) throws {
        let link = DigitalLink(fading: fading, coherence: 128)
        for k in [100, 700, 1900, 2048, 4096, 8192] {
            for candidate in link.candidates(channelUses: k) {
                let entry = candidate.entry
                let layer = PhysicalLayer(link.configuration(entry))
                #expect(candidate.maxBytes == PayloadFit.maxPayloadBytes(link.configuration(entry), channelUses: k))
                guard let bytes = candidate.maxBytes else {
                    #expect(layer.cost(payloadBytes: 1).channelUses > k, "\(entry) k \(k)")
                    continue
                }
                #expect(layer.cost(payloadBytes: bytes).channelUses <= k, "\(entry) k \(k)")
                #expect(layer.cost(payloadBytes: bytes + 1).channelUses > k, "\(entry) k \(k)")
                // Never above ⌊k·R·log2 M⌋ bits.
                #expect(8 * bytes <= Int(Double(k) * entry.spectralEfficiency), "\(entry) k \(k)")
            }
        }
    }

    @Test(arguments: [700, 1900, 2048, 8192])
    func everyMCSLeftOutIsDominatedAtItsBudget(k: Int) {
        let link = DigitalLink(fading: false, coherence: 128)
        let candidates = link.candidates(channelUses: k)
        #expect(!candidates.isEmpty)
        for entry in MCSTable.entries where !candidates.contains(where: { $0.entry == entry }) {
            guard let threshold = entry.awgnThresholdDB else { continue }
            let bytes = PayloadFit.maxPayloadBytes(link.configuration(entry), channelUses: k) ?? 0
            #expect(
                candidates.contains { $0.threshold <= threshold && ($0.maxBytes ?? 0) >= bytes }, "\(entry) at k \(k)")
        }
    }

    @Test func aShortBudgetKeepsACodeWhoseBlocksFit() {
        // k = 1,900: no BPSK LDPC-1944 codeword fits, and QPSK LDPC 2/3 carries one codeword (158 bytes), while
        // QPSK with the rate-1/2 convolutional code (threshold 3.5 dB) carries 232: it must stay a candidate.
        let candidates = DigitalLink(fading: false, coherence: 128).candidates(channelUses: 1900)
        let conv = candidates.first { $0.entry.modulation == .qpsk && $0.entry.code == .convolutional(.r12) }
        #expect(conv?.maxBytes == 232)
    }

    @Test func capacityBits() {
        #expect(PayloadFit.capacityBits(channelUses: 1000, esN0DB: 0, fading: false) == 1000)
        #expect(PayloadFit.capacityBits(channelUses: 2048, esN0DB: 10 * log10(3), fading: false) == 4096)
        // Jensen: the ergodic Rayleigh capacity is below AWGN's at the same mean SNR; at 0 dB
        // E[log2(1+x)], x ~ Exp(1), = e·E1(1)/ln 2 = 2.718282 · 0.219384 / 0.693147 ≈ 0.86036.
        let rayleigh = PayloadFit.capacityBits(channelUses: 10_000, esN0DB: 0, fading: true)
        #expect((8602...8604).contains(rayleigh))
    }

    @Test func blockFadingCapacityIsAFramesOwn() {
        var rng = SeededGenerator(seed: 5, stream: 1)
        var copy = rng
        let gain = -log(1 - copy.nextDouble())
        // One block: k·log2(1 + g·SNR).
        #expect(
            PayloadFit.blockFadingCapacityBits(channelUses: 1000, esN0DB: 0, coherence: 1000, using: &rng)
                == Int((1000 * log2(1 + gain)).rounded(.down)))
        // Over many blocks it tends to the ergodic capacity (0.86036 bits per use at 0 dB).
        var many = SeededGenerator(seed: 6, stream: 1)
        let bits = PayloadFit.blockFadingCapacityBits(channelUses: 1_000_000, esN0DB: 0, coherence: 100, using: &many)
        #expect(abs(Double(bits) / 1e6 - 0.86036) < 0.01)
    }

    @Test func analogPixelsFitTheBudget() {
        #expect(PayloadFit.analogPixels(width: 128, height: 64, channelUses: nil) == (128, 64))
        #expect(PayloadFit.analogPixels(width: 128, height: 64, channelUses: 20_000) == (128, 64))
        let (w, h) = PayloadFit.analogPixels(width: 128, height: 64, channelUses: 2048)
        #expect((3 * w * h + 1) / 2 <= 2048 && w == 52 && h == 26)
        #expect(PayloadFit.analogPixels(width: 128, height: 64, channelUses: 1) == (0, 0))
    }

    @Test func budgetsParse() throws {
        let budgets = try ChannelBudget.parseList("1/12, 1/3,0.25,none")
        #expect(budgets.map(\.label) == ["1/12", "1/3", "0.25", "none"])
        #expect(budgets[0].rho == 1.0 / 12 && budgets[2].rho == 0.25 && budgets[3].rho == nil)
        #expect(budgets[0].fileLabel == "rho1_12" && budgets[3].fileLabel == "nobudget")
        for bad in ["0", "1/0", "abc", "-1", "", "1/x", "100"] {
            #expect(throws: EvaluationError.self, "\(bad)") { try ChannelBudget.parseList(bad) }
        }
    }

    @Test func modesParse() throws {
        #expect(try TransmissionMode.parseList("classical") == [.jpeg])
        #expect(try TransmissionMode.parseList("all").count == 13)
        #expect(try TransmissionMode.parseList("digital-context") == [.digitalContext])
        #expect(try TransmissionMode.parseList("hevc,separation-bound") == [.hevc, .separationBound])
        #expect(throws: EvaluationError.self) { try TransmissionMode.parseList("bpg") }
    }

    @Test func resumeFileKeepsCellsAndRefusesOtherSettings() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("semcom-cells-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let header = CellStore.Header(sweep: "semcom eval", settingsHash: "abc")
        do {
            let store = try CellStore(folder: folder, header: header)
            var record = EvaluationRecord(image: "a", snrDB: 1, mode: .jpeg)
            record.psnrDB = 21.5
            try store.append(cell: 3, records: [record])
        }
        // A line cut short by a kill is dropped, and the next append starts on a line of its own.
        let handle = try #require(FileHandle(forWritingAtPath: folder + "/" + CellStore.fileName))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"cell\": 4, \"rec".utf8))
        try handle.close()
        do {
            let store = try CellStore(folder: folder, header: header)
            #expect(store.finished.keys.sorted() == [3])
            #expect(store.finished[3]?.first?.psnrDB == 21.5)
            try store.append(cell: 5, records: [])
        }
        #expect(try CellStore(folder: folder, header: header).finished.keys.sorted() == [3, 5])
        // One sweep at a time per folder.
        let open = try CellStore(folder: folder, header: header)
        #expect(throws: EvaluationError.self) { try CellStore(folder: folder, header: header) }
        _ = open
        #expect(throws: EvaluationError.self) {
            try CellStore(folder: folder, header: CellStore.Header(sweep: "semcom eval", settingsHash: "other"))
        }
    }
}

enum LabelMapFixture {
    static let map = Imaging.LabelMap(width: 16, height: 8, ids: (0..<128).map { UInt8($0 % 19) })
}

@Suite("Fallback image")
struct FallbackImageTests {
    @Test func meanColourOfTheTrainingScenes() {
        let generator = StreetSceneGenerator(width: 128, height: 64)
        var sums = [0, 0, 0], pixels = 0
        for index in 0..<200 {
            let scene = generator.scene(seed: 1, index: index)
            for (i, value) in scene.image.pixels.enumerated() { sums[i % 3] += Int(value) }
            pixels += scene.image.width * scene.image.height
        }
        let mean = sums.map { UInt8((Double($0) / Double(pixels)).rounded()) }
        let expected = FallbackImage.meanColour
        #expect(mean == [expected.0, expected.1, expected.2])
    }
}
