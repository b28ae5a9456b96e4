import ArgumentParser
import Foundation
import Imaging
import MapCoding
import SemanticWire

extension MapCommand {
    /// `semcom map bench`: bytes and time per map for the coder and the lossless coders it is compared with.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Bytes and milliseconds per map: this coder (with and without its prior) and other lossless coders.")
        @Option(help: "A scene folder (`semcom scenes --out DIR`) or a folder of label PNGs.") var data: String
        @Option(help: "Classes (ids below it, plus void 255).") var classCount: Int = Cityscapes.classCount
        @OptionGroup var prior: MapPriorOption
        @Flag(help: "One JSON object instead of the table.") var json = false

        func run() throws {
            let files = try MapCommand.labelFiles(data)
            let prior = try prior.load()
            var table = MapBenchTable()
            for file in files {
                let map = try PNG.readLabels(path: file)
                for coder in MapBenchCoder.all(prior: prior, classCount: classCount) {
                    try table.measure(coder, map: map, file: file)
                }
            }
            if json {
                print(try table.json(maps: files.count, source: data, prior: prior))
            } else {
                print(table.text(maps: files.count, source: data, prior: prior))
            }
        }
    }
}
