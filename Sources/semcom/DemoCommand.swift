import ArgumentParser
import Foundation
import Scenes

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run a small demonstration (for now: write 16 scenes).")

    @Option(help: "Output folder.") var out: String = "demo-output"

    func run() throws {
        let generator = StreetSceneGenerator(width: 128, height: 64)
        let dir = (out as NSString).appendingPathComponent("scenes")
        let names = try SceneSet.write(count: 16, seed: 1, generator: generator, to: dir).names
        print("wrote \(names.count) scenes to \(dir)/{images,labels,color}")
    }
}
