import Foundation
import Tensor
import Testing

@testable import Generator

/// A golden-vector case written by `training/semcom_train/golden.py` from the PyTorch reference.
struct GoldenCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        .path
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    let name: String
    let file: SafeTensorsFile
    let info: [String: Any]

    init(_ name: String) throws {
        self.name = name
        file = try SafeTensorsFile(path: "\(GoldenCase.folder)/\(name).safetensors")
        let cases = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(GoldenCase.folder)/cases.json")))
        info = (cases as? [String: Any])?[name] as? [String: Any] ?? [:]
    }

    func tensor(_ key: String) throws -> Tensor { try file.tensor(key) }

    /// Decodes a config stored in cases.json.
    func config<T: Decodable>(_ type: T.Type) throws -> T {
        let data = try JSONSerialization.data(withJSONObject: info["config"] as Any)
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// The tolerance the engine must meet: max |Δ| ≤ 1e-3 of the output's scale (its max |value|, at least 1).
    static func expectClose(
        _ actual: Tensor, _ expected: Tensor, _ what: String, relative: Float = 1e-3,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let actual = actual.converted(to: .planar)  // the references are NCHW
        #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
        guard actual.shape == expected.shape else { return }
        let error = actual.maxAbsDifference(expected), scale = max(1, expected.maxAbs)
        #expect(
            error <= relative * scale, "\(what): max abs error \(error) for output scale \(scale)",
            sourceLocation: sourceLocation)
    }
}

/// Weights of a golden case live under the `weight.` prefix.
extension WeightLoader {
    convenience init(golden: GoldenCase) { self.init(file: golden.file) }
}
