import ChannelModels
import Foundation
import Link
import SemanticWire

/// The whole setting of a relay's channel, as `semcom relay` flags and the relay's `GET/PUT /channel`
/// express it — one validation for both.
///
/// JSON (`GET /channel`'s `settings`, `Document`): `{"convention":"psnr","snr_db":10,"mode":null,"modulation":"bpsk","code":"none",
/// "mcs":"off","fading":"none","coherence":128,"equalizer":"mmse","csi":"perfect","pilots":4,"seed":1}`.
public struct ChannelSettings: Sendable, Equatable {
    /// How `snrDB` is read: GESCO's peak SNR (analog frames; digital frames read it as Es/N0) or Es/N0.
    public enum Convention: String, Sendable, CaseIterable { case psnr, esn0 }

    public var convention: Convention = .psnr
    /// dB, finite.
    public var snrDB: Double = 10
    /// The encoding the relay expects (`--mode`); nil: any.
    public var mode: PayloadEncoding?
    public var modulation: Modulation = .bpsk
    public var code: ChannelCode = .none
    /// Modulation and code per SNR from the MCS table.
    public var mcsAuto = false
    /// Rayleigh block fading (digital and analog frames).
    public var rayleigh = false
    /// Rayleigh coherence block, complex channel uses, ≥ 1.
    public var coherence = 128
    public var equalizer: Equalizer = .mmse
    /// Pilot-estimated channel knowledge instead of perfect CSI.
    public var pilotCSI = false
    /// Pilot symbols per fading block with pilot CSI, 1 … coherence − 1.
    public var pilots = 4
    /// Base seed of the relay's noise.
    public var seed: UInt64 = 1

    public init() {}

    /// The relay channel these settings describe.
    public func makeChannel() throws(ChannelSettingsError) -> RelayChannel {
        try validate()
        let radio = RelayRadio(
            modulation: modulation, code: code,
            channel: RadioChannel(
                fading: rayleigh ? .rayleighBlock(coherence: coherence) : .none, equalizer: equalizer,
                csi: pilotCSI ? .pilots(count: pilots) : .perfect),
            mcsAuto: mcsAuto)
        let setting: RelayChannel.Setting = convention == .psnr ? .psnr(dB: snrDB) : .esN0(dB: snrDB)
        do {
            return try RelayChannel(setting: setting, seed: seed, expectedMode: mode, radio: radio)
        } catch {
            throw ChannelSettingsError(field: "snr_db", message: "\(error)")
        }
    }

    /// The checks `semcom relay` applies to its flags.
    public func validate() throws(ChannelSettingsError) {
        guard snrDB.isFinite, abs(snrDB) <= 200 else {
            throw ChannelSettingsError(field: "snr_db", message: "the SNR must be a finite number of dB (−200…200)")
        }
        guard coherence >= 1 else { throw ChannelSettingsError(field: "coherence", message: "must be at least 1") }
        if pilotCSI, rayleigh, pilots < 1 || pilots >= coherence {
            throw ChannelSettingsError(field: "pilots", message: "must be at least 1 and less than coherence")
        }
    }

    /// These settings as the control API writes them.
    public var document: Document {
        Document(
            convention: convention.rawValue, snrDB: snrDB, mode: mode.map { "\($0)" }, modulation: modulation.rawValue,
            code: code.description, mcs: mcsAuto ? "auto" : "off", fading: rayleigh ? "rayleigh" : "none",
            coherence: coherence, equalizer: equalizer.rawValue, csi: pilotCSI ? "pilots" : "perfect", pilots: pilots,
            seed: seed)
    }

    /// The whole setting as JSON (`GET /channel`'s `settings`); `PUT /channel` takes it, or any part of it.
    public struct Document: Codable, Sendable, Equatable {
        public var convention: String
        public var snrDB: Double
        /// The encoding the relay expects; null: any (written as `null`, not left out).
        public var mode: String?
        public var modulation: String
        public var code: String
        public var mcs: String
        public var fading: String
        public var coherence: Int
        public var equalizer: String
        public var csi: String
        public var pilots: Int
        public var seed: UInt64

        enum CodingKeys: String, CodingKey, CaseIterable {
            case convention, snrDB = "snr_db", mode, modulation, code, mcs, fading, coherence, equalizer, csi, pilots,
                seed
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(convention, forKey: .convention)
            try container.encode(snrDB, forKey: .snrDB)
            try container.encode(mode, forKey: .mode)  // null, not absent: "any"
            try container.encode(modulation, forKey: .modulation)
            try container.encode(code, forKey: .code)
            try container.encode(mcs, forKey: .mcs)
            try container.encode(fading, forKey: .fading)
            try container.encode(coherence, forKey: .coherence)
            try container.encode(equalizer, forKey: .equalizer)
            try container.encode(csi, forKey: .csi)
            try container.encode(pilots, forKey: .pilots)
            try container.encode(seed, forKey: .seed)
        }

        /// The keys, as JSON names them.
        public static let keys = CodingKeys.allCases.map(\.rawValue)
    }

    /// These settings with the fields of a JSON object replaced (fields left out keep their value).
    /// - Throws: the first field that is unknown, of the wrong type or out of range, by name.
    public func applying(_ object: [String: JSONValue]) throws(ChannelSettingsError) -> ChannelSettings {
        var next = self
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            func text() throws(ChannelSettingsError) -> String {
                guard let text = value.string else {
                    throw ChannelSettingsError(field: key, message: "must be a string")
                }
                return text
            }
            func number() throws(ChannelSettingsError) -> Double {
                guard let number = value.number else {
                    throw ChannelSettingsError(field: key, message: "must be a number")
                }
                return number
            }
            func integer(_ range: ClosedRange<Int64>) throws(ChannelSettingsError) -> Int64 {
                guard let x = value.integer, range.contains(x) else {
                    throw ChannelSettingsError(
                        field: key, message: "must be an integer in \(range.lowerBound)…\(range.upperBound)")
                }
                return x
            }
            func choice<T>(_ options: [String: T]) throws(ChannelSettingsError) -> T {
                let given = try text()
                guard let chosen = options[given] else {
                    throw ChannelSettingsError(
                        field: key, message: "'\(given)' is not one of \(options.keys.sorted().joined(separator: ", "))"
                    )
                }
                return chosen
            }
            switch key {
            case "convention": next.convention = try choice(["psnr": .psnr, "esn0": .esn0])
            case "snr_db": next.snrDB = try number()
            case "mode":
                if value == .null {
                    next.mode = nil
                } else {
                    next.mode = try choice(["analog": PayloadEncoding.analog, "digital": .digital, "any": nil]) ?? nil
                }
            case "modulation":
                next.modulation = try choice(
                    Dictionary(uniqueKeysWithValues: Modulation.allCases.map { ($0.rawValue, $0) }))
            case "code":
                let given = try text()
                do { next.code = try ChannelCode(parsing: given) } catch {
                    throw ChannelSettingsError(field: key, message: "\(error)")
                }
            case "mcs": next.mcsAuto = try choice(["off": false, "auto": true])
            case "fading": next.rayleigh = try choice(["none": false, "rayleigh": true])
            case "coherence": next.coherence = Int(try integer(1...1_000_000))
            case "equalizer":
                next.equalizer = try choice(
                    Dictionary(uniqueKeysWithValues: Equalizer.allCases.map { ($0.rawValue, $0) }))
            case "csi": next.pilotCSI = try choice(["perfect": false, "pilots": true])
            case "pilots": next.pilots = Int(try integer(1...1_000_000))
            case "seed": next.seed = UInt64(try integer(0...(1 << 53) - 1))  // exact in every JSON reader
            default: throw ChannelSettingsError(field: key, message: "unknown field")
            }
        }
        try next.validate()
        return next
    }
}

/// A channel setting that cannot be used, naming the field (JSON key; the flag is `--` + it with dashes).
public struct ChannelSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
