import Foundation
import SemanticWire

/// The files a receiver writes for one frame, all of them `DIR/NAME.<suffix>` and nothing else.
///
/// The wire protocol already forbids `/`, `\`, control characters and a leading `.` in names; a receiver
/// checks again here because the name becomes a path: the checks are the last line between a peer and
/// the file system.
public struct OutputNames: Sendable, Equatable {
    /// `DIR/NAME.labels.png`: the received map, one class id per pixel (8-bit grey).
    public let labelsPath: String
    /// `DIR/NAME.map.png`: the received map in Cityscapes colours.
    public let colorMapPath: String
    /// `DIR/NAME.png`: the image the generator reconstructs from the map.
    public let reconstructionPath: String

    /// Suffixes of the files written for a frame.
    public static let labelsSuffix = ".labels.png", colorMapSuffix = ".map.png"

    /// The output paths for `name` in `directory`.
    /// - Throws: `WireError.invalidField` (answered with NACK invalid) for a name that could leave `directory`.
    public init(name: String, directory: String) throws {
        try Self.validate(name)
        let base = (directory as NSString).appendingPathComponent(name)
        labelsPath = base + Self.labelsSuffix
        colorMapPath = base + Self.colorMapSuffix
        reconstructionPath = base + ".png"
        let parent = ((labelsPath as NSString).deletingLastPathComponent as NSString).standardizingPath
        guard parent == (directory as NSString).standardizingPath else {
            throw WireError.invalidField("frame name '\(name)' would write outside the output folder")
        }
    }

    /// Checks that `name` is a plain file stem: 1…255 UTF-8 bytes, no `/`, `\`, `..`, NUL or other control
    /// characters, not starting with `.`.
    public static func validate(_ name: String) throws {
        let printable = name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
        func refuse(_ why: String) -> WireError {
            .invalidField("frame name '\(printable.prefix(80))' \(why); names must be plain file stems")
        }
        guard !name.isEmpty else { throw refuse("is empty") }
        // The longest file written for a frame (NAME.labels.png) must fit the file system's 255 bytes.
        let longest = WireProtocol.maxNameBytes - max(labelsSuffix.utf8.count, colorMapSuffix.utf8.count)
        guard name.utf8.count <= longest else {
            throw refuse("is \(name.utf8.count) bytes long (limit \(longest): NAME\(labelsSuffix) must fit 255 bytes)")
        }
        guard !name.contains("/"), !name.contains("\\") else { throw refuse("contains a path separator") }
        guard !name.contains("..") else { throw refuse("contains '..'") }
        guard !name.hasPrefix(".") else { throw refuse("starts with '.'") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse("contains a NUL or control character")
        }
    }
}
