import ArgumentParser
import Foundation
import Imaging
import MapCoding
import SemanticWire

/// `semcom map`: the label-map coder on files (docs/map-coding.md).
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Code label maps with the context-modelled range coder (fewer bytes than zlib), and compare.",
        subcommands: [Encode.self, Decode.self, Bench.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Code a label PNG (class ids, void 255) into a map stream.")
        @Argument(help: "Label map PNG (8-bit class ids).") var labels: String
        @Option(help: "The stream to write.") var out: String
        @Option(help: "Classes (ids below it, plus void 255).") var classCount: Int = Cityscapes.classCount
        @Option(help: "context or zlib (default: whichever is smaller for this map).") var method: MethodArgument?

        enum MethodArgument: String, ExpressibleByArgument { case context, zlib }

        func run() throws {
            let map = try PNG.readLabels(path: labels)
            let stream = try MapCoder.encode(
                ids: map.ids, width: map.width, height: map.height, classCount: classCount,
                method: method.map { $0 == .zlib ? .zlib : .context })
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

        func run() throws {
            guard let data = FileManager.default.contents(atPath: stream) else {
                throw ValidationError("\(stream): cannot read the file")
            }
            let map = try MapCoder.decode(Array(data))
            try PNG.write(LabelMap(width: map.width, height: map.height, ids: map.ids), to: out)
            print("\(out): \(map.width)x\(map.height), \(map.classCount) classes")
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bytes and milliseconds per map: this coder, zlib-9 and PNG, over DIR/labels/*.png.")
        @Option(help: "A scene folder (`semcom scenes --out DIR`) or a folder of label PNGs.") var data: String
        @Option(help: "Classes (ids below it, plus void 255).") var classCount: Int = Cityscapes.classCount
        @Flag(help: "One JSON object instead of the table.") var json = false

        func run() throws {
            let folder = FileManager.default.fileExists(atPath: data + "/labels") ? data + "/labels" : data
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
                .sorted()
            guard !files.isEmpty else { throw ValidationError("\(folder): no label PNGs") }
            var bytes = ["context": 0, "zlib-9": 0, "png": 0], milliseconds = 0.0
            for file in files {
                let map = try PNG.readLabels(path: folder + "/" + file)
                let start = DispatchTime.now()
                let stream = try MapCoder.encode(
                    ids: map.ids, width: map.width, height: map.height, classCount: classCount, method: .context)
                let decoded = try MapCoder.decode(stream)
                milliseconds += Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
                guard decoded.ids == map.ids else { throw ValidationError("\(file): round trip failed") }
                bytes["context", default: 0] += stream.count
                bytes["zlib-9", default: 0] += Zlib.compress(map.ids, level: 9).count
                bytes["png", default: 0] += try PNG.encode(map).count
            }
            let n = Double(files.count)
            if json {
                let object: [String: Any] = [
                    "maps": files.count, "mean_bytes": bytes.mapValues { Double($0) / n },
                    "context_encode_decode_ms": milliseconds / n,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(files.count) maps from \(folder): mean bytes per map")
                for (name, total) in bytes.sorted(by: { $0.value < $1.value }) {
                    print(
                        "  \(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%8.1f", Double(total) / n))"
                    )
                }
                print(String(format: "  context model: %.2f ms encode + decode per map (one core)", milliseconds / n))
            }
        }
    }
}
