import ArgumentParser
import ChannelModels
import Foundation

/// `semcom channel taps`: the realised 3GPP TR 38.901 TDL model (docs/multipath.md).
struct ChannelTapsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taps",
        abstract:
            "Print a TDL profile as realised: tap delays and powers, RMS delay spread, K-factor, autocorrelation.",
        discussion: """
            delays_s and powers are the model (TR 38.901 Tables 7.7.2-1…5 scaled by --delay-spread; powers linear, \
            summing to 1); realised_powers and realised_rms_delay_spread_s are measured over --realisations draws; \
            autocorrelation is [[lag_s, value], …] of the strongest Rayleigh tap's complex gain, normalised to 1 at \
            lag 0, at 21 lags up to 1/f_D (Clarke's J0(2π f_D τ) beside it as j0).
            """)

    @Option(help: "Profile: tdl-a, tdl-b, tdl-c (NLOS), tdl-d, tdl-e (LOS).") var fading: String
    @Option(help: "RMS delay spread: 30ns, 300ns, 1us or seconds (TR 38.901 Table 7.7.3-1: 10, 30, 100, 300, 1000 ns).")
    var delaySpread: String = "100ns"
    @Option(help: "Maximum Doppler shift f_D, Hz (or give --speed and --carrier-frequency).") var doppler: Double?
    @Option(help: "Speed, m/s: f_D = v·f_c/c with --carrier-frequency.") var speed: Double?
    @Option(help: "Carrier frequency, Hz (e.g. 3.5e9).") var carrierFrequency: Double?
    @Option(help: "Draws measured for realised_powers and autocorrelation.") var realisations: Int = 4000
    @Option(help: "Seed of the draws.") var seed: UInt64 = 1
    @Flag(help: "JSON instead of text.") var json = false

    func validate() throws {
        guard TDLProfile(name: fading) != nil else {
            throw ValidationError("--fading '\(fading)': use tdl-a, tdl-b, tdl-c, tdl-d or tdl-e")
        }
        _ = try Self.seconds(delaySpread)
        _ = try dopplerHz()
        guard realisations >= 1 else { throw ValidationError("--realisations must be at least 1") }
    }

    /// f_D from --doppler, or from --speed and --carrier-frequency; 0 (a static channel) when neither.
    func dopplerHz() throws -> Double {
        if let doppler {
            guard doppler.isFinite, doppler >= 0, speed == nil else {
                throw ValidationError("--doppler must be ≥ 0 Hz, and not given with --speed")
            }
            return doppler
        }
        switch (speed, carrierFrequency) {
        case (nil, nil): return 0
        case (let v?, let f?) where v.isFinite && v >= 0 && f.isFinite && f > 0: return v * f / 299_792_458
        default: throw ValidationError("--speed needs --carrier-frequency (both positive)")
        }
    }

    /// `300ns`, `1.5us`, `2ms`, `1e-7` (seconds) as seconds, > 0 and ≤ 1 ms.
    static func seconds(_ text: String) throws -> Double {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (number, scale) =
            units.first { trimmed.hasSuffix($0.0) }.map { (String(trimmed.dropLast($0.0.count)), $0.1) }
            ?? (trimmed, 1)
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 1e-3 else {
            throw ValidationError("--delay-spread '\(text)': give a duration such as 30ns, 300ns or 1us (at most 1ms)")
        }
        return value * scale
    }

    func run() throws {
        let profile = TDLProfile(name: fading)!
        let model = TDLModel(profile, delaySpread: try Self.seconds(delaySpread))
        let fD = try dopplerHz()
        let lags = fD > 0 ? (0...20).map { Double($0) / 20 / fD } : [0]
        let measured = TDLStatistics.measure(model, dopplerHz: fD, realisations: realisations, lags: lags, seed: seed)
        if json {
            var object: [String: Any] = [
                "profile": profile.rawValue, "delay_spread_s": try Self.seconds(delaySpread), "doppler_hz": fD,
                "delays_s": model.delays, "powers": model.powers, "rms_delay_spread_s": model.rmsDelaySpread,
                "realised_powers": measured.powers, "realised_rms_delay_spread_s": measured.rmsDelaySpread,
                "realisations": realisations, "autocorrelation_tap": measured.autocorrelationTap,
                "autocorrelation": measured.autocorrelation.map { [$0.lag, $0.value] },
                "j0": measured.autocorrelation.map { [$0.lag, besselJ0(2 * Double.pi * fD * $0.lag)] },
            ]
            if let k = profile.kFactorDB { object["k_factor_db"] = k }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(
            "\(profile): \(model.delays.count) taps, RMS delay spread \(model.rmsDelaySpread * 1e9) ns "
                + "(realised \(measured.rmsDelaySpread * 1e9) ns), f_D \(fD) Hz"
                + (profile.kFactorDB.map { ", K \($0) dB" } ?? ""))
        for (index, delay) in model.delays.enumerated() {
            print(
                String(
                    format: "tap %2d  %9.2f ns  power %.5f  realised %.5f", index + 1, delay * 1e9, model.powers[index],
                    measured.powers[index]))
        }
        for point in measured.autocorrelation {
            print(
                String(
                    format: "autocorrelation tap %d  lag %.6f s  %.4f  (J0 %.4f)", measured.autocorrelationTap + 1,
                    point.lag, point.value, besselJ0(2 * Double.pi * fD * point.lag)))
        }
    }
}
