import ArgumentParser
import Foundation
import Imaging
import Scenes

/// An image size written `HxW` (height first, as Cityscapes' 1024x2048).
struct ImageSize: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let height: Int, width: Int
    init(height: Int, width: Int) { self.height = height; self.width = width }
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h >= 8, w >= 8, h <= 4096, w <= 4096
        else {
            return nil
        }
        self.init(height: h, width: w)
    }
    var description: String { "\(height)x\(width)" }
}

struct ScenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenes",
        abstract: "Write procedural street scenes: images/, labels/ (Cityscapes train ids) and color/.")

    @Option(help: "Number of scenes.") var count: Int = 16
    @Option(help: "Seed of the run: the same seed writes the same bytes.") var seed: UInt64 = 1
    @Option(help: "Output folder.") var out: String
    @Option(help: "Image size HxW in pixels (8…4096 each side).") var size = ImageSize(height: 64, width: 128)
    @Option(help: "Also write a contact sheet of the first (up to 16) scenes, image beside colour map.")
    var contactSheet: String?

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        let generator = StreetSceneGenerator(width: size.width, height: size.height)
        let start = Date()
        let summary = try SceneSet.write(count: count, seed: seed, generator: generator, to: out)
        let names = summary.names
        let seconds = Date().timeIntervalSince(start)
        print("wrote \(names.count) scenes (\(size)) to \(out) in \(String(format: "%.2f", seconds)) s")
        let present = (0..<Cityscapes.classCount).filter { summary.scenesWithClass[$0] > 0 }
        print("classes present: \(present.count) of \(Cityscapes.classCount)")
        for id in present {
            let name = Cityscapes.classNames[id].padding(toLength: 14, withPad: " ", startingAt: 0)
            print(
                String(
                    format: "  %2d %@ in %4d scenes, %5.2f %% of pixels", id, name, summary.scenesWithClass[id],
                    100 * summary.pixelShare[id]))
        }
        if let contactSheet {
            let rows = names.prefix(16).map { name -> [RGBImage] in
                let scene = generator.scene(seed: seed, index: names.firstIndex(of: name)!)
                return [scene.image, Cityscapes.colorize(scene.labels)]
            }
            try PNG.write(ContactSheet.make(Array(rows), columns: 2), to: contactSheet)
            print("contact sheet: \(contactSheet)")
        }
    }
}
