import ArgumentParser
import Foundation
import Generator
import Imaging
import MapCoding
import SemanticWire

/// `semcom map`: the label-map coder on files (docs/map-coding.md).
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Code label maps with the context-modelled range coder (fewer bytes than zlib), and compare.",
        subcommands: [Encode.self, Decode.self, Bench.self, Prior.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Code a label PNG (class ids, void 255) into a map stream.")
        @Argument(help: "Label map PNG (8-bit class ids).") var labels: String
        @Option(help: "The stream to write.") var out: String
        @Option(help: "Classes (ids below it, plus void 255).") var classCount: Int = Cityscapes.classCount
        @Option(help: "context, prior or zlib (default: the smaller of the model and zlib).") var method:
            MethodArgument?
        @OptionGroup var prior: MapPriorOption

        enum MethodArgument: String, ExpressibleByArgument {
            case context, prior, zlib
            var method: MapCoder.Method {
                switch self {
                case .context: .context
                case .prior: .prior
                case .zlib: .zlib
                }
            }
        }

        func run() throws {
            let map = try PNG.readLabels(path: labels)
            let stream = try MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: classCount, prior: try prior.load(),
                method: method?.method)
            try Data(stream).write(to: URL(fileURLWithPath: out))
            print(
                "\(out): \(stream.count) bytes (\(MapCoder.method(of: stream).map { "\($0)" } ?? "?")), zlib-9 \(Zlib.compress(map.ids, level: 9).count)"
            )
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode a map stream into a label PNG (exact).")
        @Argument(help: "A stream `semcom map encode` wrote.") var stream: String
        @Option(help: "The label PNG to write.") var out: String
        @OptionGroup var prior: MapPriorOption

        func run() throws {
            guard let data = FileManager.default.contents(atPath: stream) else {
                throw ValidationError("\(stream): cannot read the file")
            }
            let bytes = Array(data)
            let map = try MapCoder.decode(bytes, prior: MapCoder.method(of: bytes) == .prior ? try prior.load() : nil)
            try PNG.write(LabelMap(width: map.width, height: map.height, ids: map.ids), to: out)
            print("\(out): \(map.width)x\(map.height), \(map.classCount) classes")
        }
    }

    struct Prior: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn the coder's prior from training label maps (DIR/labels/*.png).",
            discussion:
                "The shipped prior: semcom scenes --count 10000 --seed 1 --out DIR; semcom map prior --data DIR --out models/map-prior/prior.safetensors"
        )
        @Option(help: "A scene folder or a folder of label PNGs (seeds disjoint from every evaluation).") var data:
            String
        @Option(help: "The prior file to write.") var out: String
        @Option(help: "Classes (ids below it, plus void 255).") var classCount: Int = Cityscapes.classCount
        @Option(help: "Leave out fine contexts met fewer times (their coarse context stands in).")
        var minimumCount: Int = 8
        @Option(help: "Recorded in the file: what made the training maps.") var source: String = ""

        func run() throws {
            let files = try MapCommand.labelFiles(data)
            let maps = try files.map { path in
                let map = try PNG.readLabels(path: path)
                return (ids: map.ids, width: map.width, height: map.height)
            }
            let prior = try MapPrior.learn(
                maps: maps, classCount: classCount, minimumCount: minimumCount,
                metadata: ["source": source, "command": "semcom map prior --minimum-count \(minimumCount)"])
            try Data(prior.bytes).write(to: URL(fileURLWithPath: out))
            print(
                "\(out): \(prior.bytes.count) bytes, \(prior.fineContexts) fine contexts from \(maps.count) maps, identity \(String(prior.identity, radix: 16))"
            )
        }
    }

    /// The label PNGs of a scene folder (`DIR/labels`) or a plain folder, sorted.
    static func labelFiles(_ data: String) throws -> [String] {
        let folder = FileManager.default.fileExists(atPath: data + "/labels") ? data + "/labels" : data
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }.sorted()
        guard !files.isEmpty else { throw ValidationError("\(folder): no label PNGs") }
        return files.map { folder + "/" + $0 }
    }
}
