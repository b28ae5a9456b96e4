import ArgumentParser
import Foundation
import Imaging
import SoftCast

/// `semcom softcast`: the SoftCast layer's learned profile (docs/softcast.md).
struct SoftCastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softcast",
        abstract: "SoftCast's learned profile: chunk order, mean variances and the variance quantiser.",
        subcommands: [Profile.self])

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn a SoftCast profile from training images (DIR/images/*.png).",
            discussion: """
                The shipped profiles: semcom scenes --count 1000 --seed 1 [--size HxW] --out DIR; \
                semcom softcast profile --data DIR --out models/softcast/HxW.json (make softcast-profiles).
                """)
        @Option(help: "A scene folder (`semcom scenes --out DIR`) of training images, seeds disjoint from evaluation.")
        var data: String
        @Option(help: "The profile to write (JSON).") var out: String
        @Option(help: "Chunk side in DCT coefficients.") var chunk: Int = 8
        @Option(help: "Recorded in the profile: what made the training images.") var source: String = ""

        func run() throws {
            let folder = data + "/images"
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
                .sorted()
            guard !names.isEmpty else { throw ValidationError("\(folder): no PNG images") }
            let images = try names.map { try PNG.readRGB(path: folder + "/" + $0) }
            let profile = try SoftCastProfile.learn(
                images: images, chunk: chunk, source: source.isEmpty ? "\(images.count) images from \(data)" : source)
            try profile.encoded().write(to: URL(fileURLWithPath: out))
            print(
                "\(out): \(profile.height)x\(profile.width), \(profile.chunkCount) chunks of \(chunk)x\(chunk), log2 variance \(profile.logVarianceLow)…\(profile.logVarianceHigh)"
            )
        }
    }
}
