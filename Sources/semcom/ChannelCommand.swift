import ArgumentParser
import ChannelModels
import Evaluation
import Foundation

/// `semcom channel`: the link simulator (`simulate`, the default, so `semcom channel --snr …` runs it) and the
/// multipath models' inspector (`taps`).
struct ChannelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel",
        abstract: "Simulate a digital link (modulation, code, fading) and measure BER/BLER against theory.",
        subcommands: [ChannelSimulateCommand.self, ChannelTapsCommand.self],
        defaultSubcommand: ChannelSimulateCommand.self)
}

/// `semcom channel [simulate]`: a Monte-Carlo link simulator over the physical layer of `ChannelModels`, and the
/// generator of the shipped MCS table (`--mcs-table`).
struct ChannelSimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a digital link (modulation, code, fading) and measure BER/BLER against theory.",
        discussion: """
            SNR: --snr is Es/N0 per complex channel use (unit-power symbols, N0/2 per real dimension); --ebn0 is
            Eb/N0 = Es/N0 − 10·log10(Rc·log2 M). Lists are comma separated (0,2,4) or ranges START:STOP:STEP (0:10:2).
            Each point sends random frames of --frame-bytes (each code block carries a CRC-32) until --errors payload
            bit errors or --max-bits payload bits. ber: payload bits after decoding; bler: code blocks failing their
            CRC; theory_ber: the uncoded BER of the modulation at the same Eb/N0 (BPSK/QPSK exact, QAM Gray
            approximation; Rayleigh only for BPSK/QPSK); throughput_mbps: payload bits of error-free frames per
            channel use (pilots, CRCs, tails and padding included) × --symbol-rate.
            Several --modulation/--code values (comma separated) give one run each (one curve in --plot).
            --mcs-table measures the Es/N0 each modulation × code needs for frame error rate < 10 % on 500-byte
            frames (AWGN and Rayleigh) and prints Sources/ChannelModels/MCSTableData.swift.
            """)

    @Option(help: "Modulations, comma separated: bpsk, qpsk, 16qam, 64qam.") var modulation = "bpsk"
    @Option(help: "Codes, comma separated: none, conv:1/2, conv:2/3, conv:3/4, ldpc:N:R (e.g. ldpc:1944:1/2).")
    var code = "none"
    @OptionGroup(title: "Radio channel") var radio: RadioOptions
    @Option(help: "Soft demapping: exact or max-log.") var demapper: SoftDemapper.Method = .exact
    @Option(help: "LDPC iterations at most.") var ldpcIterations: Int = 20
    @Option(
        parsing: .unconditional, help: "Es/N0 points in dB: 0,2,4 or 0:10:2 (negative ones without '=': --snr -4:10:2)."
    )
    var snr: String?
    @Option(help: "Eb/N0 points in dB (instead of --snr).") var ebn0: String?
    @Option(help: "Seed of data and noise.") var seed: UInt64 = 1
    @Option(help: "Stop a point after this many payload bit errors.") var errors: Int = 1000
    @Option(help: "Stop a point after this many payload bits.") var maxBits: Int = 10_000_000
    @Option(help: "Payload bytes per frame.") var frameBytes: Int = 500
    @Option(help: "Complex channel uses per second assumed for throughput_mbps.") var symbolRate: Double = 1e6
    @Option(help: "Output: table or csv.") var format: OutputFormat = .table
    @Option(help: "Write the BER curves (and theory) as an SVG file.") var plot: String?
    @Flag(help: "Measure the MCS table and print it as Swift source.") var mcsTable = false

    enum OutputFormat: String, ExpressibleByArgument { case table, csv }

    func validate() throws {
        if !mcsTable {
            guard (snr == nil) != (ebn0 == nil) else {
                throw ValidationError("give exactly one of --snr LIST or --ebn0 LIST")
            }
        }
        guard errors >= 1, maxBits >= 1, frameBytes >= 1 else {
            throw ValidationError("--errors, --max-bits and --frame-bytes must be positive")
        }
    }

    var radioChannel: RadioChannel { radio.channel }

    func run() async throws {
        if mcsTable { return try await measureMCSTable() }
        let modulations = try modulation.split(separator: ",").map { name in
            guard let m = Modulation(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown modulation '\(name)'; use bpsk, qpsk, 16qam or 64qam")
            }
            return m
        }
        let codes = try code.split(separator: ",").map { try ChannelCode(parsing: String($0)) }
        let points = try Self.parseList(snr ?? ebn0!)
        var runs: [Run] = []
        for m in modulations {
            for c in codes {
                let configuration = PhysicalLayerConfiguration(
                    modulation: m, code: c, channel: radioChannel, demapping: demapper, ldpcIterations: ldpcIterations)
                let simulation = LinkSimulation(
                    configuration: configuration, frameBytes: frameBytes, targetErrors: errors, maxBits: maxBits)
                let esN0 = points.map { snr != nil ? $0 : configuration.esN0DB(ebN0DB: $0) }
                let seed = self.seed
                // Points are independent: run them on all cores.
                let results = await withTaskGroup(of: (Int, LinkSimulation.Point).self) { group in
                    for (i, s) in esN0.enumerated() { group.addTask { (i, simulation.run(esN0DB: s, seed: seed)) } }
                    var out = [LinkSimulation.Point?](repeating: nil, count: esN0.count)
                    for await (i, p) in group { out[i] = p }
                    return out.map { $0! }
                }
                runs.append(
                    Run(
                        label: "\(m) \(c)\(radio.fading == .rayleigh ? " rayleigh" : "")", configuration: configuration,
                        points: results))
            }
        }
        print(render(runs), terminator: "")
        if let plot {
            let svg = SVGChart.berPlot(runs: runs.map { ($0.label, $0.points) }, ebN0Axis: ebn0 != nil)
            try svg.write(toFile: plot, atomically: true, encoding: .utf8)
        }
    }

    struct Run {
        var label: String
        var configuration: PhysicalLayerConfiguration
        var points: [LinkSimulation.Point]
    }

    func render(_ runs: [Run]) -> String {
        var out = ""
        func number(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "" }
        switch format {
        case .csv:
            out += "snr_db,ebn0_db,ber,bler,theory_ber,bits,errors,throughput_mbps\n"
            for run in runs {
                if runs.count > 1 { out += "# \(run.label)\n" }
                for p in run.points {
                    out +=
                        [
                            number(p.esN0DB, "%.3f"), number(p.ebN0DB, "%.3f"), number(p.ber, "%.6e"),
                            number(p.bler, "%.6e"),
                            number(p.theoryBER, "%.6e"), "\(p.totals.payloadBits)", "\(p.totals.postDecodingBitErrors)",
                            number(p.throughputMbps(symbolRate: symbolRate), "%.6f"),
                        ].joined(separator: ",") + "\n"
                }
            }
        case .table:
            for run in runs {
                let c = run.configuration
                out += "\(c.modulation) \(c.code) fading=\(c.channel.fading.name)"
                if c.channel.fading != .none {
                    out +=
                        " coherence=\(c.channel.fading.coherence) equalizer=\(c.channel.equalizer) csi=\(c.channel.csi.name)"
                }
                out += " demapper=\(c.demapping.rawValue)\n"
                out +=
                    "  Es/N0 dB  Eb/N0 dB       BER  raw BER      BLER       FER    theory       bits  errors  Mbit/s\n"
                for p in run.points {
                    out += String(
                        format: "  %8.2f  %8.2f  %8.2e  %7.1e  %8.2e  %8.2e  %8@  %9d  %6d  %6.3f\n", p.esN0DB,
                        p.ebN0DB, p.ber,
                        p.rawBER, p.bler, p.fer, number(p.theoryBER, "%8.2e") as NSString, p.totals.payloadBits,
                        p.totals.postDecodingBitErrors, p.throughputMbps(symbolRate: symbolRate))
                }
            }
        }
        return out
    }

    /// `0,2,4` or `START:STOP:STEP` (inclusive of STOP within rounding).
    static func parseList(_ text: String) throws -> [Double] {
        if text.contains(":") {
            let parts = text.split(separator: ":").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, let a = parts[0], let b = parts[1], let step = parts[2], step > 0, b >= a else {
                throw ValidationError("a range is START:STOP:STEP with STEP > 0 and STOP ≥ START, e.g. 0:10:2")
            }
            return stride(from: a, through: b + step * 1e-9, by: step).map { $0 }
        }
        return try text.split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ValidationError("'\($0)' is not a number of dB")
            }
            return v
        }
    }

    /// Measures every candidate MCS on AWGN and on `MCSTable.rayleighChannel`, in parallel, and prints Swift.
    func measureMCSTable() async throws {
        let search = MCSThresholdSearch()
        let seed = self.seed
        var jobs: [(Modulation, ChannelCode, Bool)] = []
        for m in Modulation.allCases {
            for c in MCSTable.candidateCodes {
                jobs.append((m, c, false))
                jobs.append((m, c, true))
            }
        }
        var thresholds: [String: Double?] = [:]
        await withTaskGroup(of: (String, Double?).self) { group in
            var next = 0
            let width = ProcessInfo.processInfo.activeProcessorCount
            func submit() {
                guard next < jobs.count else { return }
                let (m, c, rayleigh) = jobs[next]
                next += 1
                group.addTask {
                    let configuration = PhysicalLayerConfiguration(
                        modulation: m, code: c, channel: rayleigh ? MCSTable.rayleighChannel : RadioChannel())
                    var s = search
                    s.startDB = rayleigh ? -2 : -4
                    return ("\(m) \(c) \(rayleigh)", s.threshold(configuration, seed: seed))
                }
            }
            for _ in 0..<width { submit() }
            for await (key, value) in group {
                thresholds[key] = value
                FileHandle.standardError.write(
                    Data("measured \(key): \(value.map { "\($0) dB" } ?? "not reached")\n".utf8))
                submit()
            }
        }
        var out = """
            // swift-format-ignore-file
            // Generated by `semcom channel --mcs-table --seed \(seed)` (release build); do not edit by hand.
            // Es/N0 (dB) at which a \(MCSTable.frameBytes)-byte frame is lost with probability < 10 % (CRC-32 per block,
            // exact LLRs, LDPC 20 iterations of normalised min-sum); Rayleigh: block fading, coherence 128, perfect CSI,
            // MMSE. Search: 1 dB scan, then 0.25 dB refinement; each FER from up to 400 frames or 40 failures.
            // nil: not reached below \(search.ceilingDB) dB.
            enum MCSTableData {
                static let entries: [MCSEntry] = [

            """
        func literal(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "nil" }
        func codeLiteral(_ c: ChannelCode) -> String {
            switch c {
            case .none: ".none"
            case .convolutional(let r): ".convolutional(.r\(r.fraction.0)\(r.fraction.1))"
            case .ldpc(let n, let r): ".ldpc(n: \(n), rate: .r\(r.fraction.0)\(r.fraction.1))"
            }
        }
        for m in Modulation.allCases {
            for c in MCSTable.candidateCodes {
                let awgn = thresholds["\(m) \(c) false"] ?? nil, rayleigh = thresholds["\(m) \(c) true"] ?? nil
                out += "        MCSEntry(modulation: .\(m == .qam16 ? "qam16" : m == .qam64 ? "qam64" : m.rawValue), "
                out +=
                    "code: \(codeLiteral(c)), awgnThresholdDB: \(literal(awgn)), rayleighThresholdDB: \(literal(rayleigh))),\n"
            }
        }
        out += "    ]\n}\n"
        print(out, terminator: "")
    }
}

extension Equalizer: ExpressibleByArgument {}
extension SoftDemapper.Method: ExpressibleByArgument {}

/// The radio channel's flags, shared by `semcom relay` and `semcom channel`: fading, its coherence, the
/// equaliser and the channel knowledge.
struct RadioOptions: ParsableArguments {
    @Option(help: "Fading: none or rayleigh (block fading).") var fading: FadingArgument = .none
    @Option(help: "Rayleigh coherence block in complex channel uses.") var coherence: Int = 128
    @Option(help: "Equaliser: zf or mmse.") var equalizer: Equalizer = .mmse
    @Option(help: "Channel knowledge: perfect or pilots.") var csi: CSIArgument = .perfect
    @Option(help: "Pilot symbols per fading block with --csi pilots.") var pilots: Int = 4

    enum FadingArgument: String, ExpressibleByArgument { case none, rayleigh }
    enum CSIArgument: String, ExpressibleByArgument { case perfect, pilots }

    func validate() throws {
        guard coherence >= 1 else { throw ValidationError("--coherence must be at least 1") }
        if csi == .pilots, fading == .rayleigh, pilots < 1 || pilots >= coherence {
            throw ValidationError("--pilots must be at least 1 and less than --coherence")
        }
    }

    var channel: RadioChannel {
        RadioChannel(
            fading: fading == .rayleigh ? .rayleighBlock(coherence: coherence) : .none, equalizer: equalizer,
            csi: csi == .pilots ? .pilots(count: pilots) : .perfect)
    }
}
