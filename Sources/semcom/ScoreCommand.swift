import ArgumentParser
import Daemons
import Evaluation
import Foundation
import Generator
import Imaging

/// `semcom score`: received images against their originals with `semcom eval`'s metrics, so a live link's output
/// can be compared with a sweep's figure (docs/softcast.md).
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score received images (NAME.png) against their originals: PSNR, SSIM and mIoU, as semcom eval.",
        discussion: """
            mIoU is the shipped segmenter's map of the received image against DIR/labels/NAME.png (void ignored), \
            as semcom eval's miou column. Prints one line per image and the means (higher is better for all three).
            """)

    @Option(help: "The scene folder sent (images/ and labels/, as `semcom scenes` writes it).") var reference: String
    @Option(help: "A folder of received images NAME.png (e.g. the receiver's OUT/ORIGIN).") var received: String
    @Option(help: "Segmenter model folder (default: the shipped one).") var segmenter: String?
    @Flag(help: "One JSON object instead of text.") var json = false

    func run() throws {
        let model = SegmenterLabels(
            segmenter: try Segmenter(folder: try ModelLocator.folder(segmenter, kind: "segmenter")))
        let names = InputFolder.images(in: reference).map(\.name)
        var rows: [(name: String, psnr: Double, ssim: Double, miou: Double)] = []
        for name in names {
            let path = (received as NSString).appendingPathComponent(name + ".png")
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let image = try PNG.readRGB(path: path)
            let original = try PNG.readRGB(path: SceneFolder.path(reference, SceneFolder.images, name))
            guard image.width == original.width, image.height == original.height else {
                throw ValidationError(
                    "\(path) is \(image.width)x\(image.height), its original \(original.width)x\(original.height)")
            }
            let labels = try PNG.readLabels(path: SceneFolder.path(reference, SceneFolder.labels, name))
            let predicted = try model.labels(of: image)
            rows.append(
                (
                    name, ImageQuality.psnr(image, original), ImageQuality.ssim(image, original),
                    MapAgreement(predicted: predicted, reference: labels).meanIoU
                ))
        }
        guard !rows.isEmpty else { throw ValidationError("no received image of \(reference)/images in \(received)") }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let means = (psnr: mean(rows.map(\.psnr)), ssim: mean(rows.map(\.ssim)), miou: mean(rows.map(\.miou)))
        if json {
            let object: [String: Any] = [
                "images": rows.count, "missing": names.count - rows.count, "psnr_db": means.psnr, "ssim": means.ssim,
                "miou": means.miou,
                "per_image": rows.map { ["name": $0.name, "psnr_db": $0.psnr, "ssim": $0.ssim, "miou": $0.miou] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for row in rows {
            print(String(format: "%@ psnr_db=%.3f ssim=%.4f miou=%.4f", row.name, row.psnr, row.ssim, row.miou))
        }
        print(
            String(
                format: "mean of %d images (%d missing): psnr_db=%.3f ssim=%.4f miou=%.4f", rows.count,
                names.count - rows.count, means.psnr, means.ssim, means.miou))
    }
}
