/// The tapped-delay-line models of 3GPP TR 38.901 (V17.0.0), Section 7.7.2, Tables 7.7.2-1 to 7.7.2-5: TDL-A, B
/// and C (non-line-of-sight, every tap Rayleigh) and TDL-D and E (line of sight: the first tap is Rician, a
/// specular path plus a Rayleigh part at the same delay). Delays are normalised to an RMS delay spread of 1 and
/// scaled by the one wanted (Section 7.7.3: τ = τ_norm · DS). The numbers below are the tables' own, in their
/// order (not sorted by delay), read from two open implementations that agree to the last digit: Sionna
/// (`NVlabs/sionna`, `tr38901/models/TDL-*.json`) and NeoRadium (`InterDigitalInc/NeoRadium`, `neoradium/tdl.py`).
public enum TDLProfile: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case a = "tdl-a", b = "tdl-b", c = "tdl-c", d = "tdl-d", e = "tdl-e"

    /// One row of a table: normalised delay and power (dB). For D and E the first row is the Rayleigh part of the
    /// first tap; its specular part is `losPowerDB`.
    public struct Row: Sendable, Hashable {
        public var normalizedDelay: Double
        public var powerDB: Double
    }

    public var description: String { rawValue }

    /// Power of the specular (LOS) path of the first tap, dB (TDL-D, TDL-E); nil for the NLOS profiles.
    public var losPowerDB: Double? {
        switch self {
        case .d: -0.2
        case .e: -0.03
        default: nil
        }
    }

    /// The first tap's K-factor, dB: specular over Rayleigh power (13.3 dB for D, 22 dB for E).
    public var kFactorDB: Double? { losPowerDB.map { $0 - rows[0].powerDB } }

    /// The table's rows: (normalised delay, power dB), Rayleigh fading.
    public var rows: [Row] {
        let pairs: [(Double, Double)]
        switch self {
        case .a:
            pairs = [
                (0.0000, -13.4), (0.3819, 0), (0.4025, -2.2), (0.5868, -4.0), (0.4610, -6.0), (0.5375, -8.2),
                (0.6708, -9.9), (0.5750, -10.5), (0.7618, -7.5), (1.5375, -15.9), (1.8978, -6.6), (2.2242, -16.7),
                (2.1718, -12.4), (2.4942, -15.2), (2.5119, -10.8), (3.0582, -11.3), (4.0810, -12.7), (4.4579, -16.2),
                (4.5695, -18.3), (4.7966, -18.9), (5.0066, -16.6), (5.3043, -19.9), (9.6586, -29.7),
            ]
        case .b:
            pairs = [
                (0.0000, 0), (0.1072, -2.2), (0.2155, -4.0), (0.2095, -3.2), (0.2870, -9.8), (0.2986, -1.2),
                (0.3752, -3.4), (0.5055, -5.2), (0.3681, -7.6), (0.3697, -3.0), (0.5700, -8.9), (0.5283, -9.0),
                (1.1021, -4.8), (1.2756, -5.7), (1.5474, -7.5), (1.7842, -1.9), (2.0169, -7.6), (2.8294, -12.2),
                (3.0219, -9.8), (3.6187, -11.4), (4.1067, -14.9), (4.2790, -9.2), (4.7834, -11.3),
            ]
        case .c:
            pairs = [
                (0.0000, -4.4), (0.2099, -1.2), (0.2219, -3.5), (0.2329, -5.2), (0.2176, -2.5), (0.6366, 0),
                (0.6448, -2.2), (0.6560, -3.9), (0.6584, -7.4), (0.7935, -7.1), (0.8213, -10.7), (0.9336, -11.1),
                (1.2285, -5.1), (1.3083, -6.8), (2.1704, -8.7), (2.7105, -13.2), (4.2589, -13.9), (4.6003, -13.9),
                (5.4902, -15.8), (5.6077, -17.1), (6.3065, -16.0), (6.6374, -15.7), (7.0427, -21.6), (8.6523, -22.8),
            ]
        case .d:
            pairs = [
                (0, -13.5), (0.035, -18.8), (0.612, -21.0), (1.363, -22.8), (1.405, -17.9), (1.804, -20.1),
                (2.596, -21.9), (1.775, -22.9), (4.042, -27.8), (7.937, -23.6), (9.424, -24.8), (9.708, -30.0),
                (12.525, -27.7),
            ]
        case .e:
            pairs = [
                (0, -22.03), (0.5133, -15.8), (0.5440, -18.1), (0.5630, -19.8), (0.5440, -22.9), (0.7112, -22.4),
                (1.9092, -18.6), (1.9293, -20.8), (1.9589, -22.6), (2.6426, -22.3), (3.7136, -25.6), (5.4524, -20.2),
                (12.0034, -29.8), (20.6519, -29.2),
            ]
        }
        return pairs.map { Row(normalizedDelay: $0.0, powerDB: $0.1) }
    }

    /// Parses `tdl-a` … `tdl-e` (or `a` … `e`).
    public init?(name: String) {
        let lowered = name.lowercased()
        self.init(rawValue: lowered.hasPrefix("tdl-") ? lowered : "tdl-" + lowered)
    }
}

/// A TDL profile scaled to a delay spread: what a channel realises (`TDLFading`).
public struct TDLModel: Sendable, Hashable {
    public let profile: TDLProfile
    /// Tap delays, seconds, in the table's order.
    public let delays: [Double]
    /// Mean power of each tap, linear, summing to 1 (the first tap of D and E holds its specular part too).
    public let powers: [Double]
    /// The first tap's K-factor (specular over Rayleigh power, linear); 0 for the NLOS profiles.
    public let kFactor: Double

    /// `profile` with its normalised delays times `delaySpread` (seconds, > 0).
    public init(_ profile: TDLProfile, delaySpread: Double) {
        self.profile = profile
        let rows = profile.rows
        var linear = rows.map { libmPow(10, $0.powerDB / 10) }
        let los = profile.losPowerDB.map { libmPow(10, $0 / 10) } ?? 0
        kFactor = los > 0 ? los / linear[0] : 0
        linear[0] += los
        let total = linear.reduce(0, +)
        powers = linear.map { $0 / total }
        delays = rows.map { $0.normalizedDelay * delaySpread }
    }

    /// The RMS delay spread of the mean power-delay profile, seconds.
    public var rmsDelaySpread: Double { Self.rmsDelaySpread(delays: delays, powers: powers) }

    /// RMS delay spread of taps at `delays` with mean powers `powers`: √(Σp·τ²/Σp − (Σp·τ/Σp)²).
    public static func rmsDelaySpread(delays: [Double], powers: [Double]) -> Double {
        let total = powers.reduce(0, +)
        guard total > 0 else { return 0 }
        let mean = zip(delays, powers).reduce(0) { $0 + $1.0 * $1.1 } / total
        let square = zip(delays, powers).reduce(0) { $0 + $1.0 * $1.0 * $1.1 } / total
        return max(0, square - mean * mean).squareRoot()
    }
}
