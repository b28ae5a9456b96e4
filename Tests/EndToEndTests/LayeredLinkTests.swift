import Evaluation
import Foundation
import Imaging
import Scenes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Layered frames (protocol 3, encoding 4: the hybrid and SoftCast alone) through the real sender, relay and
/// receiver, compared with `semcom eval` on the same scenes.
@Suite("End to end: hybrid and softcast frames", .serialized)
struct LayeredLinkTests {
    /// PSNR (dB) of each written image against its scene's original.
    static func psnrs(_ workspace: Workspace) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for name in workspace.names {
            let path = "\(workspace.received)/\(name).png"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            result[name] = ImageQuality.psnr(
                try PNG.readRGB(path: path),
                try PNG.readRGB(path: SceneFolder.path(workspace.scenes, SceneFolder.images, name)))
        }
        return result
    }

    /// The mean of `column` over the rows of `mode` in an eval's results.csv (no quoted commas before it).
    static func evalMean(_ path: String, mode: String, column: String) throws -> Double {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let index = try #require(header.firstIndex(of: column))
        // `scheme` may hold a quoted comma: count columns from the end.
        let fromEnd = header.count - index
        let values = lines.dropFirst().filter { $0.hasPrefix(mode + ",") }.compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return Double(fields[fields.count - fromEnd])
        }
        try #require(!values.isEmpty)
        return values.reduce(0, +) / Double(values.count)
    }

    @Test(
        "hybrid at ρ 1/6 through a relay at Es/N0 10 dB: every image generated from its SoftCast layer in fewer passes, PSNR within 1 dB of semcom eval's"
    )
    func hybridMatchesEval() async throws {
        let workspace = try Workspace(count: 3, seed: 7)
        defer { workspace.remove() }
        let receiver = try DaemonProcess("receiver", ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output])
        let relay = try DaemonProcess(
            "relay",
            [
                "relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(try await receiver.listeningPort())",
                "--snr", "10", "--mcs", "auto",
            ])
        let sender = try DaemonProcess(
            "sender",
            [
                "send", "--connect", "127.0.0.1:\(try await relay.listeningPort())", "--input", workspace.scenes,
                "--encoding", "hybrid", "--budget", "1/6", "--design-snr", "10",
            ])
        #expect(try await sender.waitForExit(timeout: 120) == 0)
        #expect(try sender.summary()["acknowledged"] == 3)
        #expect(
            sender.lines(containing: "event=frame.sent", "frame.encoding=hybrid", "layer.map_coding=context").count == 3
        )
        let relayed = relay.lines(containing: "event=frame.relayed", "channel.model=phy-awgn")
        #expect(relayed.count == 3)
        // The budget holds: payload uses ≤ ⌊ρ·H·W·3⌋ = 4,096.
        for line in relayed {
            let uses = line.split(separator: " ").first { $0.hasPrefix("channel.payload_uses=") }
            #expect(Int(uses?.split(separator: "=").last ?? "") ?? .max <= 4096, "\(line)")
        }
        #expect(receiver.lines(containing: "event=frame.decided", "layer.map=ok", "layer.layer=ok").count == 3)
        try await receiver.waitForLine(containing: "event=frame.generated", count: 3, timeout: 120)
        let generated = receiver.lines(containing: "event=frame.generated", "generator.guide=softcast")
        #expect(generated.count == 3)
        #expect(
            generated.allSatisfy { $0.contains("generator.passes=4 ") }, "4 passes, not the 12 of generation from noise"
        )
        for name in workspace.names {
            #expect(FileManager.default.fileExists(atPath: "\(workspace.received)/\(name).layer.png"))
            #expect(FileManager.default.fileExists(atPath: "\(workspace.received)/\(name).labels.png"))
        }
        try await stopAll(relay, receiver)

        let live = try Self.psnrs(workspace)
        #expect(live.count == 3)
        let liveMean = live.values.reduce(0, +) / Double(max(1, live.count))
        let evalOut = workspace.root + "/eval"
        let eval = try DaemonProcess(
            "eval",
            [
                "eval", "--data", workspace.scenes, "--count", "3", "--mode", "hybrid", "--snr", "10", "--budget",
                "1/6",
                "--out", evalOut,
            ])
        #expect(try await eval.waitForExit(timeout: 300) == 0)
        let evalMean = try Self.evalMean(evalOut + "/results.csv", mode: "hybrid", column: "psnr_db")
        print("hybrid ρ 1/6, 10 dB: live PSNR \(live) mean \(liveMean), eval mean \(evalMean)")
        #expect(abs(liveMean - evalMean) <= 1)
        #expect(liveMean > 22, "above SoftCast's layer alone and far above GESCO's ≈ 15 dB")
    }

    @Test(
        "softcast alone: the LLSE estimate is the image; protocol-2 peers: the sender reports every frame lost, a relay NACKs invalid"
    )
    func softCastAndOlderPeers() async throws {
        let workspace = try Workspace(count: 2, seed: 7)
        defer { workspace.remove() }
        let receiver = try DaemonProcess(
            "receiver", ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate"])
        let port = try await receiver.listeningPort()
        let relay = try DaemonProcess(
            "relay", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(port)", "--snr", "5"])
        let softcast = ["--encoding", "softcast", "--budget", "1/12", "--design-snr", "5"]
        let sender = try DaemonProcess(
            "sender",
            ["send", "--connect", "127.0.0.1:\(try await relay.listeningPort())", "--input", workspace.scenes]
                + softcast)
        #expect(try await sender.waitForExit(timeout: 60) == 0)
        #expect(receiver.lines(containing: "event=frame.decided", "layer.map=none", "layer.layer=ok").count == 2)
        let psnr = try Self.psnrs(workspace)
        #expect(psnr.count == 2 && psnr.values.allSatisfy { $0 > 18 }, "\(psnr)")
        #expect(workspace.receivedCount == 0, "no map is stored for a frame without one")
        try await stopAll(relay)

        // A receiver and a relay that speak protocol 2 only.
        let old = try DaemonProcess(
            "receiver-v2",
            ["receive", "--listen", "127.0.0.1:0", "--out", workspace.output, "--no-generate", "--max-protocol", "2"])
        let oldPort = try await old.listeningPort()
        let direct = try DaemonProcess(
            "direct",
            ["send", "--connect", "127.0.0.1:\(oldPort)", "--input", workspace.scenes, "--origin", "d"] + softcast)
        #expect(try await direct.waitForExit(timeout: 60) == 1)
        #expect(try direct.summary()["lost"] == 2)
        #expect(direct.lines(containing: "speaks protocol 2 only").count == 1)
        #expect(old.lines(containing: "event=frame.lost").count == 2, "the receiver hears of every loss")
        let bridge = try DaemonProcess(
            "relay-v3", ["relay", "--listen", "127.0.0.1:0", "--forward", "127.0.0.1:\(oldPort)", "--snr", "5"])
        let bridged = try DaemonProcess(
            "bridged",
            [
                "send", "--connect", "127.0.0.1:\(try await bridge.listeningPort())", "--input", workspace.scenes,
                "--origin", "b",
            ]
                + softcast)
        #expect(try await bridged.waitForExit(timeout: 60) == 1)
        #expect(bridged.lines(containing: "event=frame.nacked", "reason=invalid").count == 2)
        #expect(bridge.lines(containing: "event=frame.nacked", "downstream speaks protocol 2").count == 2)
        try await stopAll(bridge, old, receiver)
    }

    func stopAll(_ processes: DaemonProcess...) async throws {
        for process in processes { process.signal(SIGTERM) }
        for process in processes { #expect(try await process.waitForExit() == 0, "\(process.name) exit status") }
    }
}
