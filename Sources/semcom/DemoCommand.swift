import ArgumentParser
import Dispatch
import Evaluation
import Foundation
import Scenes

/// `semcom demo`: 16 generated scenes sent through a receiver, a relay at 10 dB PSNR (analog) and a
/// sender on loopback, with their live logs; it runs `deploy/semcom-link.sh`, the operators' launch script.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Send 16 generated scenes through receiver, relay (10 dB PSNR) and sender on loopback.")

    @Option(help: "Output folder (scenes/, received/, logs/).") var out: String = "demo-output"
    @Option(parsing: .unconditional, help: "Relay channel: peak SNR in dB (GESCO convention).") var psnr: Double = 10
    @Option(help: "Number of scenes (64x128, seed 1).") var count: Int = 16
    @Option(help: "Payload encoding: analog or digital.") var encoding: EncodingArgument = .analog
    @Option(help: "The launch script (default: deploy/semcom-link.sh beside the checkout).") var script: String?
    @Option(help: "Scenes in the closing `semcom eval` sweep (0: skip it).") var evalCount: Int = 4
    @Option(help: "SNR points of the closing sweep (dB, Es/N0).") var evalSnr: String = "0,10,20"
    @Option(help: "Sampler steps of the closing sweep (default: the model's).") var evalSteps: Int?
    @Option(help: "Channel budgets ρ of the closing sweep (`semcom eval --budget`; none: no budget).")
    var evalBudget: String = "1/12,1/3"
    @Option(help: "Sampler steps of the receiver's generator (default: the model's).") var steps: Int?
    @Flag(inversion: .prefixedNo, help: "Serve the live dashboard of the link and print its URL.") var dashboard = true
    @Option(help: "Port of the dashboard (0 picks a free one).") var dashboardPort: Int = 8700
    @Flag(help: "Keep the link (and the dashboard) up until Ctrl-C instead of stopping after the last scene.")
    var keepRunning = false

    func run() throws {
        let generator = StreetSceneGenerator(width: 128, height: 64)
        let scenes = (out as NSString).appendingPathComponent("scenes")
        let names = try SceneSet.write(count: count, seed: 1, generator: generator, to: scenes).names
        print("wrote \(names.count) scenes (64x128, seed 1) to \(scenes)/{images,labels,color}")
        fflush(nil)  // the launcher writes to the same terminal

        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        // The checkout holding .build/…/semcom: look upwards from the executable.
        var ancestors: [String] = []
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while folder.path != "/" {
            ancestors.append(folder.appendingPathComponent("deploy/semcom-link.sh").path)
            folder = folder.deletingLastPathComponent()
        }
        let candidates = ([script, "deploy/semcom-link.sh"] + ancestors).compactMap { $0 }
        guard let launcher = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("cannot find deploy/semcom-link.sh; run from the checkout or pass --script PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments =
            [
                launcher, "--bin", executable, "--input", scenes,
                "--out", (out as NSString).appendingPathComponent("received"),
                "--logs", (out as NSString).appendingPathComponent("logs"),
                "--psnr", "\(psnr)", "--encoding", encoding.rawValue,
            ] + (steps.map { ["--steps", "\($0)"] } ?? [])
            + (dashboard ? ["--dashboard-port", "\(dashboardPort)"] : []) + (keepRunning ? ["--keep-running"] : [])
            // The receiver keeps a folder per origin: received/demo/NAME.png.
            + ["--", "--interval-ms", keepRunning ? "1000" : "100", "--origin", "demo"]
        try process.run()
        // Foundation starts the launcher in a process group of its own, outside the terminal's: Ctrl-C
        // reaches only this process. Pass it on as SIGTERM to the launcher's whole group, so every daemon
        // stops gracefully and the launcher prints its summary.
        var forwarders: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { kill(-process.processIdentifier, SIGTERM) }
            source.resume()
            forwarders.append(source)
        }
        process.waitUntilExit()
        forwarders.forEach { $0.cancel() }
        guard process.terminationStatus == 0 || (keepRunning && process.terminationStatus == 130) else {
            throw ExitCode(process.terminationStatus)
        }
        if keepRunning { return }
        print("scenes sent: \(scenes)/images; colour maps as sent: \(scenes)/color")
        if evalCount > 0 { try evaluate(scenes: scenes) }
    }

    /// The closing sweep: a few of the same scenes through every mode at a few SNRs, as `semcom eval` does.
    private func evaluate(scenes: String) throws {
        var settings = EvaluationSettings(snrs: try SNRList.parse(evalSnr), modes: TransmissionMode.allCases)
        settings.steps = evalSteps
        settings.budgets = try ChannelBudget.parseList(evalBudget)
        let out = (out as NSString).appendingPathComponent("eval")
        // The demo's sweep starts afresh each time (its scenes were just rewritten): no resume file to refuse.
        try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent("cells.jsonl"))
        print(
            "\nsemcom eval: \(evalCount) scenes, SNR \(evalSnr) dB, budgets ρ \(evalBudget), all modes, "
                + "\(evalSteps.map { "\($0)" } ?? "the model's") steps → \(out)")
        fflush(nil)
        let job = EvaluationJob(settings: settings, dataDirectory: scenes, count: evalCount, outputDirectory: out)
        let result = try job.run(progress: ProgressBar()) { print($0) }
        EvalCommand.printResult(result)
        print("open the report: \(URL(fileURLWithPath: result.reportPath).standardizedFileURL.path)")
    }
}
