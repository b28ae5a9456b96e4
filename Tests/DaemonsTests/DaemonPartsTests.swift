import ChannelModels
import Foundation
import Imaging
import Link
import Logging
import SemanticWire
import Testing

@testable import Daemons

@Suite("Output names: nothing is written outside the output folder")
struct OutputNameTests {
    @Test("plain stems are accepted", arguments: ["s1_00000", "frankfurt_000000_000294", "a.b", "x-y_z 1", "ünïcödé"])
    func accepted(name: String) throws {
        let files = try OutputNames(name: name, directory: "/tmp/out")
        #expect(files.labelsPath == "/tmp/out/\(name).labels.png")
        #expect(files.colorMapPath == "/tmp/out/\(name).map.png")
    }

    @Test(
        "names that could escape are refused",
        arguments: [
            "", "../etc", "a/b", "..", "a..b", ".hidden", "a\\b", "nul\u{0}byte", "tab\there", "c1\u{85}",
            // Their files would be another frame's: the image of X.labels is X.labels.png (#7).
            "x.labels", "x.map", "x.LABELS",
            String(repeating: "x", count: 256),
            // Legal on the wire (≤ 255 bytes) but NAME.labels.png would pass the 255-byte file-name limit.
            String(repeating: "x", count: 245), String(repeating: "é", count: 123),
        ])
    func refused(name: String) {
        #expect(throws: WireError.self) { try OutputNames(name: name, directory: "/tmp/out") }
    }

    @Test func theLongestNameFitsTheFileSystem() throws {
        let name = String(repeating: "x", count: 244)
        let files = try OutputNames(name: name, directory: "/tmp/out")
        #expect((files.labelsPath as NSString).lastPathComponent.utf8.count == 255)
        // NACK invalid, never unavailable: the sender reports it lost instead of retrying forever.
        #expect(throws: WireError.self) { try OutputNames(name: name + "x", directory: "/tmp/out") }
        #expect((try? OutputNames.validate(name + "x")) == nil && WireError.invalidField("").nackReason == .invalid)
    }
}

@Suite("Receiver de-duplication by (origin, frame id)")
struct DeduplicationTests {
    @Test func claims() async {
        let table = DeduplicationTable()
        #expect(await table.claim(origin: "a", frameID: 1) == .new)
        #expect(await table.claim(origin: "a", frameID: 1) == .inProgress)
        #expect(await table.claim(origin: "b", frameID: 1) == .new, "frame ids are per origin")
        await table.finish(origin: "a", frameID: 1, stored: true)
        #expect(await table.claim(origin: "a", frameID: 1) == .duplicate)
        await table.finish(origin: "b", frameID: 1, stored: false)
        #expect(await table.claim(origin: "b", frameID: 1) == .new, "a NACKed frame may come again")
        #expect(await table.acceptedCount == 1)
    }
}

@Suite("Sender window and retries")
struct SendWindowTests {
    @Test("at most `capacity` frames in flight; ACKs make room")
    func windowBound() {
        var window = SendWindow(capacity: 2, maxRetries: 3)
        for id in 1...5 { window.enqueue(frameID: UInt64(id), name: "f\(id)") }
        let again = window.enqueue(frameID: 1, name: "f1")
        #expect(!again, "a known frame id is not queued twice")
        let first = window.nextToSend(), second = window.nextToSend(), third = window.nextToSend()
        #expect(first?.frameID == 1 && second?.frameID == 2 && third == nil)
        let ack = window.acknowledge(frameID: 1), ackAgain = window.acknowledge(frameID: 1)
        #expect(ack != nil)
        #expect(ackAgain == nil, "a second ACK is ignored")
        let next = window.nextToSend()
        #expect(next?.frameID == 3)
        #expect(window.inFlight.count == 2 && window.outstanding == 4)
    }

    @Test("channel NACKs retransmit with attempt + 1 up to the limit, then LOST")
    func retriesThenLost() {
        var window = SendWindow(capacity: 4, maxRetries: 2)
        window.enqueue(frameID: 7, name: "f")
        var attempt: UInt16 = 0
        for retry in 1...2 {
            let entry = window.nextToSend()!
            #expect(entry.attempt == attempt)
            let decision = window.refuse(frameID: 7, attempt: attempt, reason: .payloadCRCMismatch, text: "crc")
            #expect(decision == .retransmit(attempt: UInt16(retry)))
            attempt = UInt16(retry)
        }
        _ = window.nextToSend()
        guard
            case .lost(let entry, let attempts, _) = window.refuse(
                frameID: 7, attempt: 2, reason: .undecodable, text: "zlib")
        else {
            Issue.record("expected LOST after 2 retries")
            return
        }
        #expect(entry.name == "f" && attempts == 3)
        #expect(window.isDone && window.lost == 1 && window.sent == 3 && window.retransmissions == 2)
    }

    @Test("NACK invalid gives up at once; a stale NACK is ignored")
    func invalidAndStale() {
        var window = SendWindow(capacity: 4, maxRetries: 3)
        window.enqueue(frameID: 1, name: "a")
        _ = window.nextToSend()
        let stale = window.refuse(frameID: 1, attempt: 5, reason: .payloadCRCMismatch, text: "")
        let unknown = window.refuse(frameID: 9, attempt: 0, reason: .payloadCRCMismatch, text: "")
        #expect(stale == .ignored && unknown == .ignored)
        if case .lost = window.refuse(frameID: 1, attempt: 0, reason: .invalid, text: "id 77") {
        } else {
            Issue.record("NACK invalid must report the frame lost")
        }
        #expect(window.isDone && window.lost == 1)
    }

    @Test("a NACK reason this version does not know is final, as invalid (protocol v1 §5.4)")
    func unknownReasonIsFinal() {
        var window = SendWindow(capacity: 4, maxRetries: 3)
        window.enqueue(frameID: 1, name: "a")
        _ = window.nextToSend()
        if case .lost = window.refuse(frameID: 1, attempt: 0, reason: NackReason(rawValue: 42), text: "new") {
        } else {
            Issue.record("an unknown NACK reason must not be retransmitted")
        }
        #expect(window.isDone && window.lost == 1 && window.retransmissions == 0)
    }

    @Test("NACK unavailable waits without counting against the limit")
    func unavailable() {
        var window = SendWindow(capacity: 4, maxRetries: 0)
        window.enqueue(frameID: 1, name: "a")
        for attempt in UInt16(0)..<5 {
            _ = window.nextToSend()
            let decision = window.refuse(frameID: 1, attempt: attempt, reason: .unavailable, text: "busy")
            #expect(decision == .retransmitLater(attempt: attempt + 1))
            let paused = window.nextToSend()
            #expect(paused == nil, "paused until retryDelayed")
            window.retryDelayed()
        }
        #expect(window.lost == 0 && window.outstanding == 1)
    }

    @Test("a lost connection sends every frame in flight again, attempt + 1, nothing dropped")
    func connectionLost() {
        var window = SendWindow(capacity: 3, maxRetries: 3)
        for id in 1...4 { window.enqueue(frameID: UInt64(id), name: "f\(id)") }
        _ = window.nextToSend(); _ = window.nextToSend(); _ = window.nextToSend()
        _ = window.acknowledge(frameID: 2)
        let resent = window.connectionLost()
        #expect(resent == 2)
        let order = (0..<3).compactMap { _ in window.nextToSend() }
        #expect(order.map(\.frameID) == [1, 3, 4])
        #expect(order.map(\.attempt) == [1, 1, 0])
        #expect(window.retransmissions == 2 && window.outstanding == 3)
    }

    @Test("frame ids depend on the name only")
    func stableIDs() {
        #expect(InputFolder.frameID(forName: "s1_00000") == InputFolder.frameID(forName: "s1_00000"))
        #expect(InputFolder.frameID(forName: "s1_00000") != InputFolder.frameID(forName: "s1_00001"))
    }
}

@Suite("Relay channel application")
struct RelayChannelTests {
    static func map() -> LabelMap {
        var map = LabelMap(width: 64, height: 32, fill: 0)
        for y in 0..<32 { for x in 0..<64 where x > 20 { map[x, y] = y < 10 ? 10 : 13 } }
        return map
    }

    @Test("analog PSNR: noise at the stated σ, hop annotated, deterministic per (seed, frame, attempt)")
    func analog() throws {
        let frame = try MapFrame.analog(frameID: 5, name: "m", map: Self.map(), classCount: 19, sampleFormat: .float32)
        let channel = try RelayChannel(setting: .psnr(dB: 10), seed: 42, expectedMode: .analog)
        let outcome = try channel.apply(to: frame)
        let hop = try #require(outcome.frame.hops.last)
        #expect(outcome.frame.hops.count == 1 && hop.channelModel == .awgnPSNR && hop.mode == .analog)
        #expect(hop.snrDB == 10 && hop.seed == 42 && !outcome.modeMismatch)
        #expect(abs(Double(hop.measuredSNRDB ?? 0) - 10) < 0.3, "measured PSNR near the setting")
        #expect(hop.channelUses == UInt64((outcome.symbols + 1) / 2))
        #expect(outcome.frame.payload.isIntact, "an analog hop writes a fresh CRC")
        let sent = try frame.decodeAnalogSymbols().values
        let noisy = try outcome.frame.decodeAnalogSymbols().values
        let noisePower = zip(sent, noisy).map { Double($1 - $0) * Double($1 - $0) }.reduce(0, +) / Double(sent.count)
        #expect(abs(noisePower.squareRoot() - pow(10, -10.0 / 20)) < 0.01, "σ = 10^(−PSNR/20)")
        #expect(try channel.apply(to: frame).frame.payload == outcome.frame.payload, "same seed, same noise")
        var again = frame
        again.attempt = 1
        let retry = try channel.apply(to: again)
        #expect(retry.frame.payload.bytes != outcome.frame.payload.bytes, "a retransmission meets new noise")
        #expect(retry.hop.seed == channel.hopSeed(attempt: 1))
    }

    @Test("at 30 dB PSNR every denoiser decides the sent map; fds-auto skips FDS")
    func analogDecision() throws {
        let map = Self.map()
        let frame = try MapFrame.analog(frameID: 1, name: "m", map: map, classCount: 19)
        let noisy = try RelayChannel(setting: .psnr(dB: 30), seed: 1).apply(to: frame).frame
        let decision = try MapDecision.decide(noisy)
        #expect(decision.labels == map && decision.denoising == .potts, "Potts (the default) keeps every pixel")
        #expect(abs((decision.estimatedNoiseStd ?? 0) - 0.0316) < 0.002)
        let auto = try MapDecision.decide(noisy, denoiser: .fdsAuto)
        #expect(auto.labels == map && auto.denoising == .none, "fds-auto skips FDS on a clean map")
        #expect(try MapDecision.decide(noisy, denoiser: .fds).denoising == .fds)
    }

    @Test("at 5 dB PSNR: Potts beats FDS, FDS beats the raw argmax, σ estimated within 3 %")
    func analogDecisionNoisy() throws {
        let map = Self.map()
        let frame = try MapFrame.analog(frameID: 1, name: "m", map: map, classCount: 19)
        let noisy = try RelayChannel(setting: .psnr(dB: 5), seed: 1).apply(to: frame).frame
        func accuracy(_ labels: LabelMap) -> Double {
            Double(zip(labels.ids, map.ids).filter { $0 == $1 }.count) / Double(map.ids.count)
        }
        let potts = try MapDecision.decide(noisy)
        #expect(abs((potts.estimatedNoiseStd ?? 0) / Float(pow(10, -5.0 / 20)) - 1) < 0.03)
        let auto = try MapDecision.decide(noisy, denoiser: .fdsAuto)
        #expect(auto.denoising == .fds)
        let raw = accuracy(try MapDecision.labels(of: noisy, denoiser: .none))
        #expect(accuracy(auto.labels) > raw)
        #expect(
            accuracy(potts.labels) > accuracy(auto.labels),
            "Potts \(accuracy(potts.labels)) vs FDS \(accuracy(auto.labels))")
    }

    @Test("digital: bit errors at the BPSK rate, CRC left as sent, so the receiver detects them")
    func digital() throws {
        let frame = try MapFrame.digital(frameID: 9, name: "d", map: Self.map(), classCount: 19)
        let channel = try RelayChannel(setting: .esN0(dB: 0), seed: 7, expectedMode: .analog)
        let outcome = try channel.apply(to: frame)
        #expect(outcome.modeMismatch, "a digital frame at an analog relay is still handled, and flagged")
        #expect(outcome.hop.channelModel == .bscBPSK && outcome.hop.mode == .digital)
        #expect(outcome.hop.bitErrors > 0)
        #expect(outcome.frame.payload.crc32 == frame.payload.crc32)
        #expect(!outcome.frame.payload.isIntact)
        #expect(throws: WireError.self) { try MapDecision.labels(of: outcome.frame) }
        let clean = try RelayChannel(setting: .esN0(dB: 30), seed: 7).apply(to: frame)
        #expect(clean.hop.bitErrors == 0 && clean.frame.payload == frame.payload)
    }

    @Test("a frame that already crossed 16 relays is refused")
    func hopLimit() throws {
        var frame = try MapFrame.digital(frameID: 1, name: "d", map: Self.map(), classCount: 19)
        frame.hops = Array(repeating: HopAnnotation(channelModel: .ideal, mode: .digital, snrDB: nil), count: 16)
        #expect(throws: WireError.self) { try RelayChannel(setting: .esN0(dB: 10), seed: 1).apply(to: frame) }
    }
}

@Suite("Small parts")
struct SmallPartsTests {
    @Test func endpoints() throws {
        #expect(try Endpoint(parsing: "127.0.0.1:0") == Endpoint(host: "127.0.0.1", port: 0))
        #expect(try Endpoint(parsing: "[::1]:7000") == Endpoint(host: "::1", port: 7000))
        #expect(try Endpoint(parsing: ":7000").host == "0.0.0.0")
        for text in ["localhost", "h:70000"] {
            #expect { try Endpoint(parsing: text) } throws: { error in
                guard case .invalidArgument(let message) = error as? DaemonError else { return false }
                return message.contains(text)
            }
        }
    }

    @Test("log lines: text with sorted metadata, JSON one object per line")
    func logFormats() {
        let date = Date(timeIntervalSince1970: 1_795_600_800.25)
        let metadata: Logger.Metadata = ["frame.id": "3", "channel.snr_db": .stringConvertible(10.0), "note": "a b"]
        let text = LiveLogHandler.format(
            date: date, level: .info, label: "relay", message: "frame relayed", metadata: metadata, format: .text)
        #expect(
            text == "2026-11-25T10:00:00.250Z info relay: frame relayed channel.snr_db=10.0 frame.id=3 note=\"a b\"\n")
        let json = LiveLogHandler.format(
            date: date, level: .info, label: "relay", message: "frame \"x\"", metadata: metadata, format: .json)
        #expect(json.hasSuffix("}\n") && json.filter { $0 == "\n" }.count == 1)
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["message"] as? String == "frame \"x\"")
        #expect(object?["channel.snr_db"] as? Double == 10.0)
        #expect(object?["frame.id"] as? String == "3")
        // Typed: numbers as numbers, absent values as null.
        let typed = LiveLogHandler.format(
            date: date, level: .info, label: "relay", message: "m",
            metadata: ["frame.id": .stringConvertible(UInt64(7)), "channel.measured_snr_db": .decimal(nil)],
            format: .json)
        #expect(typed.contains("\"frame.id\":7") && typed.contains("\"channel.measured_snr_db\":null"))
    }

    @Test("bounded queue: FIFO, producers wait while full, drains after finish")
    func boundedQueue() async {
        let queue = BoundedQueue<Int>(capacity: 2)
        let producer = Task {
            for i in 0..<10 { await queue.push(i) }
            await queue.finish()
        }
        var seen: [Int] = []
        while let value = await queue.pop() {
            #expect(await queue.count <= 2)
            seen.append(value)
        }
        await producer.value
        #expect(seen == Array(0..<10))
        #expect(await queue.push(99) == false)
    }
}
