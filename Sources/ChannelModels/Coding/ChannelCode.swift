/// The forward error correction of a digital link, as named on the command line:
/// `none`, `conv:1/2`, `conv:2/3`, `conv:3/4`, `ldpc:N:R` (N ∈ 648, 1296, 1944; R ∈ 1/2, 2/3, 3/4, 5/6).
public enum ChannelCode: Sendable, Hashable, Codable, CustomStringConvertible {
    case none
    case convolutional(ConvolutionalCode.Rate)
    case ldpc(n: Int, rate: LDPCCode.Rate)

    /// Parses `none`, `conv:R` or `ldpc:N:R`.
    public init(parsing text: String) throws(ChannelConfigurationError) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        switch parts.first {
        case "none" where parts.count == 1, "uncoded" where parts.count == 1:
            self = .none
            return
        case "conv" where parts.count == 2:
            if let rate = ConvolutionalCode.Rate(rawValue: parts[1]) {
                self = .convolutional(rate)
                return
            }
        case "ldpc" where parts.count == 3:
            if let n = Int(parts[1]), LDPCCode.lengths.contains(n), let rate = LDPCCode.Rate(rawValue: parts[2]) {
                self = .ldpc(n: n, rate: rate)
                return
            }
        default: break
        }
        throw ChannelConfigurationError(
            "unknown channel code '\(text)'; use none, conv:1/2, conv:2/3, conv:3/4 or ldpc:N:R with N = 648, 1296 "
                + "or 1944 and R = 1/2, 2/3, 3/4 or 5/6 (e.g. ldpc:1944:1/2)")
    }

    /// The name it parses from.
    public var description: String {
        switch self {
        case .none: "none"
        case .convolutional(let rate): "conv:\(rate.rawValue)"
        case .ldpc(let n, let rate): "ldpc:\(n):\(rate.rawValue)"
        }
    }

    /// The code rate as (k, n); (1, 1) uncoded.
    public var fraction: (Int, Int) {
        switch self {
        case .none: (1, 1)
        case .convolutional(let rate): rate.fraction
        case .ldpc(_, let rate): rate.fraction
        }
    }

    /// The nominal code rate Rc = k/n (tails, CRCs and padding not counted).
    public var rate: Double {
        let (k, n) = fraction
        return Double(k) / Double(n)
    }
}
