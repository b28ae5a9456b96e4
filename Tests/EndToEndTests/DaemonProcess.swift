import Foundation
import Imaging
import Scenes

/// A real `semcom` process started by a test: its standard output and error are read line by line as
/// they come, so a test waits for a log line (with a timeout) instead of sleeping.
final class DaemonProcess: @unchecked Sendable {
    let name: String
    private let process = Process()
    private let pipe = Pipe()
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()

    /// The `semcom` executable `swift build`/`swift test` wrote beside the test bundle.
    static let executable: URL = {
        var candidates: [URL] = []
        if let main = Bundle.main.executableURL?.deletingLastPathComponent() {
            candidates.append(main.appendingPathComponent("semcom"))
        }
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(argument0.appendingPathComponent("semcom"))
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("semcom"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/semcom"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    init(_ name: String, _ arguments: [String]) throws {
        self.name = name
        process.executableURL = Self.executable
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            self?.append(data)
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        partial.append(data)
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
        }
    }

    /// Every line so far.
    var output: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Lines containing all of `fragments`.
    func lines(containing fragments: String...) -> [String] {
        output.filter { line in fragments.allSatisfy { line.contains($0) } }
    }

    /// Waits until at least `count` lines contain `fragment`; returns the last of them.
    @discardableResult
    func waitForLine(containing fragment: String, count: Int = 1, timeout: Double = 45) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let matching = output.filter { $0.contains(fragment) }
            if matching.count >= count { return matching[count - 1] }
            if Date() > deadline {
                throw TestFailure(
                    "\(name): no \(count)× '\(fragment)' within \(timeout) s; output:\n"
                        + output.suffix(30).joined(separator: "\n"))
            }
            if !process.isRunning && matching.count < count {
                try await Task.sleep(for: .milliseconds(50))  // let the pipe drain once more
                if output.filter({ $0.contains(fragment) }).count >= count { continue }
                throw TestFailure(
                    "\(name) exited (\(process.terminationStatus)) before '\(fragment)'; output:\n"
                        + output.suffix(30).joined(separator: "\n"))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The port from the `listening on HOST:PORT` line.
    func listeningPort() async throws -> Int {
        let line = try await waitForLine(containing: "listening on ")
        guard let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TestFailure("\(name): cannot read a port from '\(line)'")
        }
        return port
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Resident memory now, KiB (`VmRSS` of /proc/PID/status).
    var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Waits for the process to exit and returns its status.
    func waitForExit(timeout: Double = 60) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure(
                    "\(name) did not exit within \(timeout) s; output:\n" + output.suffix(30).joined(separator: "\n"))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(30))  // the last lines
        return process.terminationStatus
    }

    /// The sender's `summary frames=… acknowledged=…` figures.
    func summary() throws -> [String: Int] {
        guard let line = output.last(where: { $0.hasPrefix("summary ") }) else {
            throw TestFailure("\(name): no summary line; output:\n" + output.suffix(30).joined(separator: "\n"))
        }
        var figures: [String: Int] = [:]
        for part in line.split(separator: " ").dropFirst() {
            let pair = part.split(separator: "=")
            if pair.count == 2, let value = Int(pair[1]) { figures[String(pair[0])] = value }
        }
        return figures
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder with `count` generated scenes (64x128) under `scenes/`.
struct Workspace {
    let root: String
    var scenes: String { root + "/scenes" }
    var output: String { root + "/out" }
    /// The folder the receiver wrote this workspace's frames to: `out/ORIGIN` of its one sender.
    var received: String {
        let folders = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        return output + "/" + (folders.sorted().first ?? "no-origin-yet")
    }
    let names: [String]

    init(count: Int, seed: UInt64 = 1) throws {
        root = NSTemporaryDirectory() + "semcom-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        names = try SceneSet.write(
            count: count, seed: seed, generator: StreetSceneGenerator(width: 128, height: 64), to: root + "/scenes"
        ).names
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Pixel accuracy of each received map against the sent one (nil where nothing was received).
    func accuracies() throws -> [String: Double] {
        var result: [String: Double] = [:]
        for name in names {
            let path = "\(received)/\(name).labels.png"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let sent = try PNG.readLabels(path: SceneFolder.path(scenes, SceneFolder.labels, name))
            let received = try PNG.readLabels(path: path)
            let same = zip(sent.ids, received.ids).filter { $0 == $1 }.count
            result[name] = Double(same) / Double(sent.ids.count)
        }
        return result
    }

    /// Received `.labels.png` files.
    var receivedCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []).filter { $0.hasSuffix(".labels.png") }
            .count
    }
}
