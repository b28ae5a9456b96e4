import Foundation
import Imaging
import Tensor

/// The sender's segmenter (training/semcom_train/segmenter.py): per level two
/// conv3x3 → GroupNorm → ReLU, stride-2 conv3x3 down, nearest ×2 up with skip concatenation,
/// 1×1 classifier. Input RGB in −1…1; output logits per class.
public final class Segmenter: @unchecked Sendable {
    /// The segmenter's `config.json`.
    public struct Config: Codable, Sendable {
        public var kind: String
        public var image_height: Int
        public var image_width: Int
        public var in_channels: Int
        public var channels: [Int]
        public var num_classes: Int
        public var num_groups: Int
    }

    struct Stage { let conv: Conv2D, norm: GroupNorm }
    public let config: Config
    let encoders: [[Stage]], downs: [Stage], decoders: [[Stage]]
    let classifier: Conv2D

    public convenience init(folder: String) throws {
        let path = (folder as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError("\(path): segmenter config not found")
        }
        let config: Config
        do { config = try JSONDecoder().decode(Config.self, from: data) } catch {
            throw ModelError("\(path): not a valid segmenter config (\(error))")
        }
        guard config.kind == "unet-segmenter" else {
            throw ModelError("\(path): kind \(config.kind) is not unet-segmenter")
        }
        try self.init(
            config: config,
            weights: try SafeTensorsFile(path: (folder as NSString).appendingPathComponent("model.safetensors")))
    }

    public init(config: Config, weights: SafeTensorsFile, prefix P: String = "", requireAllUsed: Bool = true) throws {
        self.config = config
        let w = WeightLoader(file: weights)
        let g = config.num_groups
        func stage(_ p: String, _ cin: Int, _ cout: Int, stride: Int = 1) throws -> Stage {
            Stage(
                conv: try w.conv(p + ".0", in: cin, out: cout, kernel: 3, stride: stride),
                norm: try w.groupNorm(p + ".1", channels: cout, groups: g))
        }
        var enc: [[Stage]] = [], down: [Stage] = [], dec: [[Stage]] = []
        var cin = config.in_channels
        let c = config.channels
        for (i, ch) in c.enumerated() {
            enc.append([try stage(P + "encoders.\(i).0", cin, ch), try stage(P + "encoders.\(i).1", ch, ch)])
            if i < c.count - 1 { down.append(try stage(P + "downs.\(i)", ch, ch, stride: 2)) }
            cin = ch
        }
        for (j, i) in (0..<(c.count - 1)).reversed().enumerated() {
            dec.append([
                try stage(P + "decoders.\(j).0", cin + c[i], c[i]), try stage(P + "decoders.\(j).1", c[i], c[i]),
            ])
            cin = c[i]
        }
        encoders = enc
        downs = down
        decoders = dec
        classifier = try w.conv(P + "classifier", in: cin, out: config.num_classes, kernel: 1)
        if requireAllUsed { try w.checkAllUsed() }
    }

    /// Logits [N, classes, H, W] for images [N, 3, H, W] in −1…1.
    public func logits(_ x: Tensor) -> Tensor {
        let layout = Tensor.Layout.activations(channels: config.channels)
        func run(_ s: Stage, _ x: Tensor) -> Tensor {
            // The first convolution takes the planar image into the activations' layout; the rest keep it.
            var h = s.conv(x, output: x.layout == .planar ? layout : nil)
            s.norm.apply(&h, activation: .relu)
            return h
        }
        var h = x
        var skips: [Tensor] = []
        for (i, stages) in encoders.enumerated() {
            for s in stages { h = run(s, h) }
            if i < downs.count {
                skips.append(h)
                h = run(downs[i], h)
            }
        }
        for stages in decoders {
            h = Ops.concatChannels(Resample.upsampleNearest2x(h), skips.removeLast())
            for s in stages { h = run(s, h) }
        }
        return classifier(h, output: .planar)
    }

    /// Segments an RGB image of the model's size into a label map (argmax of the logits).
    public func segment(_ image: RGBImage) throws -> LabelMap {
        guard image.width == config.image_width, image.height == config.image_height else {
            throw ModelError(
                "image is \(image.width)x\(image.height), the segmenter expects \(config.image_width)x\(config.image_height)"
            )
        }
        let out = logits(ImageTensor.fromImage(image))
        return ImageTensor.argmax(out)
    }
}
