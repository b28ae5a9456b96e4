import Foundation

/// Where the shipped models are: `--model` when given, else `$SEMCOM_MODELS/<kind>`, `./models/<kind>`,
/// `models/<kind>` in any folder above the executable (the checkout it was built in:
/// `.build/<triple>/<config>/semcom`), or `<prefix>/share/semcom/models/<kind>` for an installed one.
public enum ModelLocator {
    public static func folder(_ explicit: String?, kind: String) throws -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit + "/config.json") else {
                throw ModelError("\(explicit): no \(kind) model here (config.json missing)")
            }
            return explicit
        }
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SEMCOM_MODELS"] { candidates.append(env + "/" + kind) }
        candidates.append(FileManager.default.currentDirectoryPath + "/models/" + kind)
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(exe.appendingPathComponent("../share/semcom/models/" + kind).standardized.path)
        var folder = exe
        while folder.path != "/" && !folder.path.isEmpty {
            candidates.append(folder.appendingPathComponent("models/" + kind).path)
            folder = folder.deletingLastPathComponent()
        }
        for c in candidates where FileManager.default.fileExists(atPath: c + "/config.json") { return c }
        throw ModelError(
            "no \(kind) model found (looked in $SEMCOM_MODELS, ./models and above the executable); pass --model DIR")
    }
}

extension ModelLocator {
    /// The shipped map coder's prior (`models/map-prior/prior.safetensors`, docs/map-coding.md): `explicit`
    /// when given (a file), else the file in the `map-prior` model folder found as above.
    public static func mapPriorPath(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        return try folder(nil, kind: "map-prior") + "/prior.safetensors"
    }
}

extension ModelLocator {
    /// The shipped SoftCast profile for `height`×`width` images (`models/softcast/HxW.json`, docs/softcast.md).
    public static func softCastProfilePath(height: Int, width: Int) throws -> String {
        let path = try folder(nil, kind: "softcast") + "/\(height)x\(width).json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError(
                "no SoftCast profile for \(height)x\(width) images (\(path)); make one with semcom softcast profile")
        }
        return path
    }
}
