import Foundation
import Tensor
import Testing

@testable import Generator

/// Bad weights give a clear error naming the file and the tensor; the engine is deterministic.
@Suite struct WeightsErrorTests {
    let dir = NSTemporaryDirectory() + "semcom-weights-\(UUID().uuidString)"

    /// Writes a safetensors file with the given header entries and data bytes.
    func write(_ name: String, header: [String: Any], data: [UInt8]) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: header)
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        bytes += Array(json) + data
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsF32F16AndBF16() throws {
        let f32 = withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian) { Array($0) }
        let f16 = withUnsafeBytes(of: Float16(-2.25).bitPattern.littleEndian) { Array($0) }
        let bf16 = withUnsafeBytes(of: UInt16(Float(3.0).bitPattern >> 16).littleEndian) { Array($0) }
        let path = try write(
            "ok.safetensors",
            header: [
                "a": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]],
                "b": ["dtype": "F16", "shape": [1], "data_offsets": [4, 6]],
                "c": ["dtype": "BF16", "shape": [1], "data_offsets": [6, 8]],
            ], data: f32 + f16 + bf16)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("a").data == [1.5])
        #expect(try file.tensor("b").data == [-2.25])
        #expect(try file.tensor("c").data == [3.0])
    }

    @Test func truncatedFileNamesTheTensor() throws {
        let path = try write(
            "short.safetensors", header: ["conv.weight": ["dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]]],
            data: [UInt8](repeating: 0, count: 20))
        #expect { try SafeTensorsFile(path: path) } throws: {
            "\($0)".contains("conv.weight") && "\($0)".contains("truncated")
        }
        let tiny = try write("tiny.safetensors", header: [:], data: [])
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        #expect { try SafeTensorsFile(path: tiny) } throws: { "\($0)".contains("truncated") }
    }

    /// The fuzzer's findings (Fuzz/regressions/safetensors): shapes and offsets whose arithmetic overflowed
    /// trapped the loader; each is now a clear error.
    @Test(
        "overflowing shapes and offsets are refused, not a trap",
        arguments: [
            "byte-count-overflow", "end-offset-overflow", "offset-difference-overflow", "shape-product-overflow",
        ])
    func fuzzRegressions(name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("Fuzz/regressions/safetensors/\(name)").path
        #expect(throws: (any Error).self) { _ = try SafeTensorsFile(path: path) }
    }

    @Test func wrongDtypeShapeAndMissingTensor() throws {
        let int8 = try write(
            "int.safetensors", header: ["q": ["dtype": "I8", "shape": [2], "data_offsets": [0, 2]]], data: [1, 2])
        #expect { try SafeTensorsFile(path: int8) } throws: { "\($0)".contains("q") && "\($0)".contains("I8") }
        let path = try write(
            "shape.safetensors", header: ["w": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]]],
            data: [UInt8](repeating: 0, count: 8))
        let file = try SafeTensorsFile(path: path)
        #expect { try file.tensor("w", shape: [3]) } throws: { "\($0)".contains("w") && "\($0)".contains("[2]") }
        #expect { try file.tensor("missing") } throws: { "\($0)".contains("missing tensor missing") }
    }

    @Test func configMismatchNamesTheTensor() throws {
        // The tiny golden U-Net's weights under a config with more channels: the first tensor whose
        // shape differs is named.
        let g = try GoldenCase("unet_forward")
        var config = try g.config(GeneratorConfig.self)
        config.model_channels = 64
        #expect { try SpadeUNet(config: config, weights: g.file, prefix: "weight.", requireAllUsed: false) } throws: {
            "\($0)".contains("time_embed.0.weight")
        }
        // Extra tensors the config does not use are reported too.
        #expect {
            try SpadeUNet(config: try g.config(GeneratorConfig.self), weights: g.file, prefix: "weight.")
        } throws: {
            "\($0)".contains("not part of the model")
        }
    }

    @Test func sameSeedSameImageDifferentSeedDifferentImage() throws {
        let g = try GoldenCase("unet_forward")
        let unet = try SpadeUNet(
            config: try g.config(GeneratorConfig.self), weights: g.file, prefix: "weight.", requireAllUsed: false)
        let generator = ImageGenerator(model: unet)
        let map = try g.tensor("input.map").slice(batch: 0..<1)
        let a = try generator.generate(map: map, seed: 7, steps: 3, guidance: 2)
        let b = try generator.generate(map: map, seed: 7, steps: 3, guidance: 2)
        let c = try generator.generate(map: map, seed: 8, steps: 3, guidance: 2)
        #expect(a == b)
        #expect(a != c)
    }
}
