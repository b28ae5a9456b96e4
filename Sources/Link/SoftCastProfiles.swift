import Checksums
import Foundation
import SemanticWire
import SoftCast

/// The SoftCast profiles a peer holds (`models/softcast/HxW.json`), each with its identity: the CRC-32 of its file,
/// which a layered frame names (protocol §6.4) so that a receiver holding another profile refuses the frame instead
/// of decoding chunks in the wrong order.
public struct SoftCastProfiles: Sendable, CustomStringConvertible {
    /// One profile, its codec and identity.
    public struct Profile: Sendable {
        public let codec: SoftCastCodec
        public let identity: UInt32
        public let path: String
    }

    public let profiles: [Profile]

    /// Every profile file in `folder` (`*.json` but `config.json`, which says how they were made).
    public init(folder: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") && $0 != "config.json" && !$0.hasPrefix(".") }.sorted()
        profiles = try names.map { name in
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SoftCastError("\(path): cannot read the SoftCast profile")
            }
            return Profile(
                codec: try SoftCastCodec(profile: SoftCastProfile(data: data, source: path)),
                identity: CRC32.checksum([UInt8](data)),
                path: path)
        }
    }

    /// The profile for `width`×`height` images.
    public func profile(width: Int, height: Int) -> Profile? {
        profiles.first { $0.codec.profile.width == width && $0.codec.profile.height == height }
    }

    /// The profile a frame names.
    public func profile(identity: UInt32) -> Profile? { profiles.first { $0.identity == identity } }

    /// `64x128=0x…, 256x512=0x…` (a service's description names its settings; the profiles' tables would be
    /// megabytes).
    public var description: String {
        profiles.map { "\($0.codec.profile.height)x\($0.codec.profile.width)=\(Self.text(identity: $0.identity))" }
            .joined(separator: ", ")
    }

    /// How logs and errors name a profile: `0x` and eight hex digits.
    public static func text(identity: UInt32) -> String { CRC32.text(identity) }
}
