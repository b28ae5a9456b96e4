import Foundation

/// The mean of a sample and its 95 % confidence interval (Student's t, two-sided).
public struct MeanInterval: Sendable, Equatable, Codable {
    /// Values aggregated (finite ones only).
    public var count: Int
    public var mean: Double
    /// Lower and upper bounds of the 95 % interval; equal to the mean for fewer than two values.
    public var low: Double
    public var high: Double

    /// Aggregates the finite values of `values` (NaN marks "not defined for this row", e.g. PSNR of a lost image).
    public init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        count = finite.count
        guard count > 0 else {
            mean = .nan
            low = .nan
            high = .nan
            return
        }
        mean = finite.reduce(0, +) / Double(count)
        guard count > 1 else {
            low = mean
            high = mean
            return
        }
        let m = mean
        let variance = finite.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count - 1)
        let half = Self.tQuantile975(degreesOfFreedom: count - 1) * (variance / Double(count)).squareRoot()
        low = mean - half
        high = mean + half
    }

    /// Half the interval's width.
    public var halfWidth: Double { (high - low) / 2 }

    /// The 0.975 quantile of Student's t with `df` degrees of freedom (table to 30, then the normal 1.96 with
    /// a first-order correction: the error is under 0.2 % beyond 30).
    public static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        precondition(df >= 1, "t quantile needs at least one degree of freedom")
        if df <= table.count { return table[df - 1] }
        return 1.959964 + 2.37 / Double(df)
    }

    // JSON cannot hold NaN: undefined figures are written as null.
    enum CodingKeys: String, CodingKey { case count, mean, low = "ci95_low", high = "ci95_high" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        for (key, value) in [(CodingKeys.mean, mean), (.low, low), (.high, high)] {
            if value.isFinite { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        mean = try c.decodeIfPresent(Double.self, forKey: .mean) ?? .nan
        low = try c.decodeIfPresent(Double.self, forKey: .low) ?? .nan
        high = try c.decodeIfPresent(Double.self, forKey: .high) ?? .nan
    }

    public static func == (a: Self, b: Self) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.count == b.count && same(a.mean, b.mean) && same(a.low, b.low) && same(a.high, b.high)
    }
}
