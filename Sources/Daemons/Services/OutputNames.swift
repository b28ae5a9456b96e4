import Foundation
import SemanticWire

/// The files a receiver writes for one frame: `OUT/ORIGIN/NAME.labels.png`, `NAME.map.png` and `NAME.png`,
/// in the folder of the frame's origin and nothing else.
///
/// Why a folder per origin: the receiver de-duplicates frames by (origin, frame id), so two senders may
/// both send a frame called `a`; in one shared folder the second would overwrite the first after both
/// were acknowledged. Why reserved suffixes: the image of a frame `X.labels` would be `X.labels.png`,
/// frame X's label map. With both rules no frame's files can overwrite another frame's.
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
    /// `DIR/NAME.layer.png`: a layered frame's SoftCast estimate, the guide the generator starts from.
    public let layerPath: String
    /// `DIR/NAME.layer.json`: what the generator needs besides the guide (its expected error), so a restarted
    /// receiver generates a stored frame as the first would have.
    public let layerInfoPath: String

    /// Suffixes of the files written for a frame.
    public static let labelsSuffix = ".labels.png", colorMapSuffix = ".map.png", imageSuffix = ".png"
    public static let layerSuffix = ".layer.png", layerInfoSuffix = ".layer.json"

    /// Name endings a frame may not have: its image `NAME.png` would be another frame's map or layer file.
    public static let reservedEndings = [".labels", ".map", ".layer"]

    /// The output paths for `name` in `directory` (the origin's folder, see `OriginFolder`).
    /// - Throws: `WireError.invalidField` (answered with NACK invalid) for a name that cannot be stored.
    public init(name: String, directory: String) throws {
        try Self.validate(name)
        let base = (directory as NSString).appendingPathComponent(name)
        labelsPath = base + Self.labelsSuffix
        colorMapPath = base + Self.colorMapSuffix
        reconstructionPath = base + Self.imageSuffix
        layerPath = base + Self.layerSuffix
        layerInfoPath = base + Self.layerInfoSuffix
        let parent = ((labelsPath as NSString).deletingLastPathComponent as NSString).standardizingPath
        guard parent == (directory as NSString).standardizingPath else {
            throw WireError.invalidField("frame name '\(name)' would write outside the output folder")
        }
    }

    /// Checks that `name` can be stored: a plain file stem of 1…244 UTF-8 bytes (so `NAME.labels.png` fits
    /// 255), no `/`, `\`, `..`, control characters, not starting with `.`, not ending in `.labels` or `.map`.
    public static func validate(_ name: String) throws {
        let printable = name.unicodeScalars.map { WireProtocol.isControl($0) ? "?" : String($0) }.joined()
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
        guard !name.unicodeScalars.contains(where: WireProtocol.isControl) else {
            throw refuse("contains a NUL or control character")
        }
        let lowered = name.lowercased()
        if let ending = reservedEndings.first(where: { lowered.hasSuffix($0) }) {
            throw refuse("ends in '\(ending)', which the receiver's own files use (NAME\(ending).png)")
        }
    }
}

/// The folder of an origin under a receiver's output folder: `OUT/ORIGIN/`.
///
/// The origin (HELLO's `origin` field, up to 255 bytes of any text but controls) is kept as it is when it
/// is a safe folder name; otherwise unsafe characters become `_` and a hash of the original is appended,
/// so two different origins never share a folder.
public enum OriginFolder {
    /// Folder name (not a path) for `origin`.
    public static func name(for origin: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+=,")
        var safe = String(origin.map { allowed.contains($0) ? $0 : "_" }.prefix(100))
        while safe.hasPrefix(".") { safe.removeFirst() }
        if safe == origin && !safe.isEmpty { return safe }
        return (safe.isEmpty ? "origin" : safe) + "-" + String(InputFolder.frameID(forName: origin), radix: 16)
    }

    /// `OUT/ORIGIN`.
    public static func path(for origin: String, in outputDirectory: String) -> String {
        (outputDirectory as NSString).appendingPathComponent(name(for: origin))
    }
}
