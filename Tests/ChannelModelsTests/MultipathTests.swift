import ChannelModels
import Randomness
import Testing

/// The 3GPP TR 38.901 TDL models (`TDLProfile`, `TDLModel`, `TDLFading`) against their tables and Clarke's model.
@Suite struct MultipathTests {
    @Test(arguments: TDLProfile.allCases)
    func modelMatchesItsTable(profile: TDLProfile) {
        let model = TDLModel(profile, delaySpread: 300e-9)
        #expect(abs(model.powers.reduce(0, +) - 1) < 1e-12)
        // The tables' delays are normalised to an RMS delay spread of 1 (TDL-D: 0.994).
        #expect(abs(model.rmsDelaySpread / 300e-9 - 1) < 0.01, "\(profile): \(model.rmsDelaySpread)")
        #expect(model.delays.count == profile.rows.count)
        switch profile {
        case .d: #expect(abs(profile.kFactorDB! - 13.3) < 1e-9)
        case .e: #expect(abs(profile.kFactorDB! - 22) < 1e-9)
        default: #expect(profile.kFactorDB == nil && model.kFactor == 0)
        }
        #expect(TDLProfile(name: String(profile.rawValue.dropFirst(4)).uppercased()) == profile)
    }

    @Test(arguments: TDLProfile.allCases)
    func realisedPowerDelayProfileIsTheTables(profile: TDLProfile) {
        let model = TDLModel(profile, delaySpread: 100e-9)
        let measured = TDLStatistics.measure(model, dopplerHz: 30, realisations: 10_000, lags: [], seed: 7)
        for (index, power) in model.powers.enumerated() {
            // A Rayleigh tap's |h|² is exponential: the mean of 10,000 is within 5 % with ≈ 5σ to spare.
            #expect(abs(measured.powers[index] / power - 1) < 0.05, "\(profile) tap \(index + 1)")
        }
        #expect(abs(measured.rmsDelaySpread / 100e-9 - 1) < 0.05, "\(profile): \(measured.rmsDelaySpread)")
    }

    @Test(arguments: [TDLProfile.a, .e])
    func tapAutocorrelationFollowsClarke(profile: TDLProfile) {
        let dopplerHz = 120.0
        let lags = (0...10).map { Double($0) * 0.05 / dopplerHz }  // f_D·τ from 0 to 0.5
        let measured = TDLStatistics.measure(
            TDLModel(profile, delaySpread: 30e-9), dopplerHz: dopplerHz, realisations: 4000, lags: lags, seed: 3)
        #expect(measured.autocorrelation[0].value == 1)
        for point in measured.autocorrelation {
            let clarke = besselJ0(2 * Double.pi * dopplerHz * point.lag)
            #expect(abs(point.value - clarke) <= 0.05, "lag \(point.lag): \(point.value) vs J0 \(clarke)")
        }
    }

    @Test func aStaticChannelDoesNotMoveAndTheLOSTapIsRician() {
        var rng = SeededGenerator(seed: 11)
        let frozen = TDLFading(model: TDLModel(.c, delaySpread: 1e-7), dopplerHz: 0, using: &rng)
        #expect(frozen.gain(tap: 3, at: 0) == frozen.gain(tap: 3, at: 0.5))
        // TDL-E's first tap: |h|² rarely far below its mean (K = 22 dB), unlike a Rayleigh tap.
        let model = TDLModel(.e, delaySpread: 1e-7)
        var deepFades = 0
        for _ in 0..<2000 {
            let g = TDLFading(model: model, dopplerHz: 10, using: &rng).gain(tap: 0, at: 0)
            if g.re * g.re + g.im * g.im < 0.1 * model.powers[0] { deepFades += 1 }
        }
        #expect(deepFades == 0, "a K = 22 dB tap faded 10 dB below its mean \(deepFades) times in 2000")
    }
}
