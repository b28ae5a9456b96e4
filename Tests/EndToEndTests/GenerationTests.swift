import Foundation
import Generator
import Imaging
import Scenes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The receiver regenerates images with the shipped diffusion model; the sender segments images
/// itself when no map is given.
@Suite("End to end: generation and segmentation", .serialized)
struct GenerationTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// mIoU over the classes present in either map, void ignored.
    static func meanIoU(_ a: LabelMap, _ b: LabelMap) -> Double {
        var inter = [Int](repeating: 0, count: 19), union = [Int](repeating: 0, count: 19)
        for (x, y) in zip(a.ids, b.ids) where x != LabelMap.void {
            if x == y {
                inter[Int(x)] += 1; union[Int(x)] += 1
            } else {
                union[Int(x)] += 1
                if y < 19 { union[Int(y)] += 1 }
            }
        }
        let ious = (0..<19).filter { union[$0] > 0 }.map { Double(inter[$0]) / Double(union[$0]) }
        return ious.reduce(0, +) / Double(max(1, ious.count))
    }

    @Test("a scene through send → relay (30 dB) → receive is regenerated; re-segmented mIoU ≥ 0.6")
    func regeneratedSceneMatchesItsMap() async throws {
        let workspace = try Workspace(count: 1, seed: 4)
        defer { workspace.remove() }
        let receiver = try DaemonProcess(
            "receiver",
            [
                "receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--model", Self.models + "/generator",
                "--steps", "20",
            ])
        let receiverPort = try await receiver.listeningPort()
        let relay = try DaemonProcess(
            "relay", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(receiverPort)", "--psnr", "30"])
        let relayPort = try await relay.listeningPort()
        let sender = try DaemonProcess(
            "sender", ["send", "--connect", "127.0.0.1:\(relayPort)", "--input", workspace.scenes])
        #expect(try await sender.waitForExit(timeout: 60) == 0)
        let line = try await receiver.waitForLine(containing: "event=frame.generated", timeout: 240)
        #expect(line.contains("duration_ms"))
        let name = workspace.names[0]
        let image = try PNG.readRGB(path: "\(workspace.received)/\(name).png")
        let segmenter = try Segmenter(folder: Self.models + "/segmenter")
        let resegmented = try segmenter.segment(image)
        let sent = try PNG.readLabels(path: SceneFolder.path(workspace.scenes, SceneFolder.labels, name))
        let miou = Self.meanIoU(sent, resegmented)
        print("regenerated \(name): re-segmented mIoU \(miou)")
        #expect(miou >= 0.6)
        for p in [relay, receiver] { p.signal(SIGTERM) }
        for p in [relay, receiver] { #expect(try await p.waitForExit(timeout: 60) == 0) }
    }

    @Test("images without label maps are segmented by the sender")
    func senderSegmentsImagesWithoutMaps() async throws {
        let workspace = try Workspace(count: 3, seed: 6)
        defer { workspace.remove() }
        try FileManager.default.removeItem(atPath: workspace.scenes + "/labels")
        let receiver = try DaemonProcess(
            "receiver",
            [
                "receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate",
            ])
        let port = try await receiver.listeningPort()
        let sender = try DaemonProcess(
            "sender",
            [
                "send", "--connect", "127.0.0.1:\(port)", "--input", workspace.scenes, "--encoding", "digital",
                "--segmenter", Self.models + "/segmenter",
            ])
        #expect(try await sender.waitForExit(timeout: 60) == 0)
        #expect(try sender.summary()["acknowledged"] == 3)
        // The maps the receiver got are the segmenter's: close to the scenes' ground truth.
        let truth = StreetSceneGenerator(width: 128, height: 64)
        for (i, name) in workspace.names.enumerated() {
            let received = try PNG.readLabels(path: "\(workspace.received)/\(name).labels.png")
            let sent = truth.scene(seed: 6, index: i).labels
            // Void pixels (the ego bonnet) have no class the segmenter could output: left out.
            let labelled = zip(sent.ids, received.ids).filter { $0.0 != LabelMap.void }
            let same = labelled.filter { $0 == $1 }.count
            #expect(Double(same) / Double(max(1, labelled.count)) > 0.9)
        }
        receiver.signal(SIGTERM)
        #expect(try await receiver.waitForExit() == 0)
    }
}
