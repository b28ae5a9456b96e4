import Foundation
import Imaging
import Link
import Logging
import MapCoding
import NIOCore
import SemanticWire
import ServiceLifecycle
import TransportSecurity

/// `semcom send`: reads `DIR/images/*.png` with their maps, sends each as a MAP_FRAME, keeps at most
/// `window` frames unacknowledged, retransmits after NACKs, reports a frame LOST after `maxRetries`
/// refused retransmissions (or a NACK invalid), and after a lost connection reconnects with exponential
/// backoff and resends every unacknowledged frame. A frame ends acknowledged or reported lost, never
/// dropped silently. Without `watch` it says BYE and returns once every frame is settled; with `watch`
/// it keeps polling the folder for new images until SIGTERM/SIGINT.
public struct SenderService: Service {
    /// Everything the sender is started with (the command line's flags).
    public struct Configuration: Sendable {
        public var target: Endpoint
        /// The scene folder: `images/NAME.png` (+ `labels/NAME.png` for `GroundTruthLabels`).
        public var inputDirectory: String
        public var encoding: PayloadEncoding = .analog
        /// How digital frames code the map: zlib (the default) or the context model, when the peer speaks
        /// protocol 2 and the map gets smaller (`MapFrame.digital(…coding:…)`).
        public var mapCoding: DigitalMapCoding = .zlib
        /// The context model's learned prior (nil: uniform starting counts).
        public var mapPrior: MapPrior?
        /// The SoftCast layer of a layered frame (`--encoding hybrid|softcast`); required when `encoding` is
        /// `.layered`.
        public var layer: LayerSettings?
        /// Analog block size: 1, 2, 4 or 8 pixels per side.
        public var downsample: Int = 1
        public var sampleFormat: SampleFormat = .float16
        /// Size of the label space (19 Cityscapes train ids).
        public var classCount: UInt8 = UInt8(Cityscapes.classCount)
        /// Unacknowledged frames allowed on the wire.
        public var window: Int = LinkDefaults.window
        /// Retransmissions after channel NACKs before a frame is reported lost.
        public var maxRetries: Int = LinkDefaults.maxRetries
        /// Keep polling for new images until SIGTERM.
        public var watch: Bool = false
        public var pollInterval: Duration = .seconds(1)
        /// Pause between first transmissions of successive frames (pacing); zero sends as fast as the window allows.
        public var frameInterval: Duration = .zero
        /// First and largest pause between connection attempts (doubling in between).
        public var initialBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(2)
        /// Pause before resending a frame a peer answered with NACK unavailable.
        public var unavailableRetryDelay: Duration = .milliseconds(500)
        /// How long a frame may keep being answered NACK unavailable (counted from the first) before it is
        /// reported lost; nil: no bound.
        public var maxUnavailableWait: Duration? = LinkDefaults.maxUnavailableWait
        /// Limit of one connection attempt (TCP connect, and the TLS handshake).
        public var connectTimeout: Duration = LinkDefaults.connectTimeout
        /// The receiver or relay must answer HELLO within this.
        public var helloTimeout: Duration = LinkDefaults.helloTimeout
        /// Failed connection attempts in a row (no HELLO answer in between) after which every frame not
        /// yet settled is reported lost and the sender stops; nil: try for ever.
        public var maxReconnects: Int? = LinkDefaults.maxReconnects
        /// After SIGTERM (or at the end), how long to wait for outstanding answers and the peer's BYE.
        public var shutdownGrace: Duration = LinkDefaults.shutdownGrace
        /// The sender's stable name: frames are unique per origin, and receivers de-duplicate by it.
        public var origin: String
        public var peerName: String
        /// Plain TCP or TLS towards the relay or receiver.
        public var security: HopSecurity = .plaintext
        /// Where the sender reports whether it is connected, for `GET /readyz` (nil: nowhere).
        public var readiness: Readiness?

        public init(target: Endpoint, inputDirectory: String, origin: String? = nil) {
            self.target = target
            self.inputDirectory = inputDirectory
            self.origin = origin ?? Self.defaultOrigin(inputDirectory: inputDirectory)
            self.peerName = "sender@\(HostName.current)"
        }

        /// `sender@HOST-XXXXXXXX`, the hash naming the input folder's absolute path: stable across restarts
        /// of one sender (its retransmissions de-duplicate), different for two senders on one host reading
        /// different folders (neither one's frames are taken for the other's duplicates).
        public static func defaultOrigin(inputDirectory: String) -> String {
            let absolute = URL(fileURLWithPath: inputDirectory).standardizedFileURL.resolvingSymlinksInPath().path
            let hash = String(InputFolder.frameID(forName: absolute) & 0xFFFF_FFFF, radix: 16)
            return "sender@\(HostName.current)-\(String(repeating: "0", count: 8 - hash.count))\(hash)"
        }
    }

    /// What a layered frame carries and how it spends its budget (protocol §6.4, docs/softcast.md).
    public struct LayerSettings: Sendable {
        /// The profiles images are coded with, one per image size.
        public var profiles: SoftCastProfiles
        /// ρ = channel uses ÷ (H·W·3) of a frame's payload; nil: every chunk.
        public var budget: Double?
        /// The Es/N0 (dB) the split between map and layer is planned for (`LayeredPlan.split`).
        public var designSNR: Double
        /// The hybrid (true) or SoftCast alone.
        public var includesMap: Bool
        /// How the symbols are stored on the wire.
        public var sampleFormat: SampleFormat

        public init(
            profiles: SoftCastProfiles, budget: Double?, designSNR: Double, includesMap: Bool,
            sampleFormat: SampleFormat = .float32
        ) {
            self.profiles = profiles
            self.budget = budget
            self.designSNR = designSNR
            self.includesMap = includesMap
            self.sampleFormat = sampleFormat
        }
    }

    /// The final count, also printed as `summary frames=… sent=… acknowledged=… lost=… retransmissions=… unacknowledged=…`.
    public struct Summary: Sendable, Equatable {
        public var frames = 0, sent = 0, acknowledged = 0, lost = 0, retransmissions = 0, unacknowledged = 0
        public var line: String {
            "summary frames=\(frames) sent=\(sent) acknowledged=\(acknowledged) lost=\(lost) "
                + "retransmissions=\(retransmissions) unacknowledged=\(unacknowledged)"
        }
    }

    public let configuration: Configuration
    public let labelSource: any LabelSource
    private let logger: Logger
    private let onFinish: @Sendable (Summary) -> Void

    public init(
        configuration: Configuration, labelSource: (any LabelSource)? = nil, logger: Logger,
        onFinish: @escaping @Sendable (Summary) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.labelSource = labelSource ?? GroundTruthLabels(directory: configuration.inputDirectory)
        self.logger = logger
        self.onFinish = onFinish
    }

    enum Event: Sendable {
        case message(WireMessage, generation: Int)
        case closed(generation: Int, reason: String?)
        case images([ImageFile])
        /// A deadline has come (the runner's `DeadlineTimer`).
        case tick
        case shutdown
    }

    struct ImageFile: Sendable {
        var name: String
        var path: String
    }

    public func run() async throws {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let configuration = self.configuration
        let source = labelSource
        let summary = try await withThrowingTaskGroup(of: Void.self) { group in
            if configuration.watch {
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: configuration.pollInterval)
                        let ready = InputFolder.images(in: configuration.inputDirectory).filter {
                            source.isReady(name: $0.name, imagePath: $0.path)
                        }
                        continuation.yield(.images(ready.map { ImageFile(name: $0.name, path: $0.path) }))
                    }
                }
            }
            defer { group.cancelAll() }
            let runner = SenderRunner(
                configuration: configuration, source: source, logger: logger, continuation: continuation)
            return try await withGracefulShutdownHandler {
                try await runner.run(events: events)
            } onGracefulShutdown: {
                continuation.yield(.shutdown)
            }
        }
        onFinish(summary)
    }
}

/// The sender's loop: owns the window and the connection; runs in one task.
final class SenderRunner {
    typealias Event = SenderService.Event
    let configuration: SenderService.Configuration
    let source: any LabelSource
    var logger: Logger
    let continuation: AsyncStream<Event>.Continuation

    var window: SendWindow
    var frames: [UInt64: MapFrame] = [:]
    var files: [UInt64: SenderService.ImageFile] = [:]
    var pendingLost: [Lost] = []
    var shuttingDown = false
    var generation = 0
    var backoff: Duration
    var nextFirstTransmission = ContinuousClock.now
    var delayedRetryAt: ContinuousClock.Instant?
    /// The one source of deadlines: HELLO and BYE waits, delayed retries, pacing, backoff.
    let timer: DeadlineTimer

    init(
        configuration: SenderService.Configuration, source: any LabelSource, logger: Logger,
        continuation: AsyncStream<Event>.Continuation
    ) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.continuation = continuation
        self.window = SendWindow(capacity: configuration.window, maxRetries: configuration.maxRetries)
        self.backoff = configuration.initialBackoff
        self.timer = DeadlineTimer { continuation.yield(.tick) }
    }

    typealias SessionEnd = SenderSession.End

    /// Failed connection attempts since the last HELLO answer, and why the last one failed.
    var failedAttempts = 0
    var lastFailure = ""
    /// Whether the current connection got its HELLO answer.
    var connected = false
    /// The protocol version of the current connection (its HELLO answer's).
    var negotiatedVersion: UInt8 = 1
    /// What the map of each context-coded frame in flight would cost with zlib (bytes), for the log.
    var zlibBytes: [UInt64: Int] = [:]
    /// HELLO answer and BYE deadlines of the current connection.
    var sessionDeadline: ContinuousClock.Instant?
    /// When each frame was first answered NACK unavailable (cleared by its ACK or loss).
    var unavailableSince: [UInt64: ContinuousClock.Instant] = [:]

    func run(events: AsyncStream<Event>) async throws -> SenderService.Summary {
        logger.info(
            "sender starting",
            metadata: [
                "input": "\(configuration.inputDirectory)", "connect": "\(configuration.target)",
                "frame.encoding": "\(configuration.encoding)",
                "downsample": .stringConvertible(configuration.downsample),
                "window": .stringConvertible(configuration.window),
                "max_retries": .stringConvertible(configuration.maxRetries),
                "watch": "\(configuration.watch)", "origin": "\(configuration.origin)",
            ])
        SystemdNotify.send("READY=1")  // a sender serves once it runs; /readyz tells whether it is connected
        let initial = InputFolder.images(in: configuration.inputDirectory)
        if initial.isEmpty && !configuration.watch {
            logger.warning("no images to send", metadata: ["input": "\(configuration.inputDirectory)/images"])
        }
        add(initial.map { SenderService.ImageFile(name: $0.name, path: $0.path) })
        var iterator = events.makeAsyncIterator()
        while !isFinished && !shuttingDown {
            guard let connection = await connect(events: &iterator) else {
                if giveUpConnecting() { break }
                continue
            }
            let end = await use(connection, events: &iterator)
            let resent = window.connectionLost()
            if resent > 0 {
                logger.info(
                    "connection closed with frames unacknowledged; they will be resent",
                    metadata: ["frames": .stringConvertible(resent)])
            } else {
                logger.info("connection closed")
            }
            if end == .lost && !isFinished && !shuttingDown {
                if !connected {
                    failedAttempts += 1
                    lastFailure = "no HELLO answer"
                    if giveUpConnecting() { break }
                }
                await backOff(events: &iterator)
            }
            if end == .idle && !shuttingDown {
                // Reconnect once there is something to send again.
                await waitForWork(events: &iterator)
            }
        }
        return finish()
    }

    /// The final count, logged (a warning when frames were lost or handed back).
    private func finish() -> SenderService.Summary {
        var summary = SenderService.Summary()
        summary.frames = window.knownCount
        summary.sent = window.sent
        summary.acknowledged = window.acknowledged
        summary.lost = window.lost
        summary.retransmissions = window.retransmissions
        summary.unacknowledged = window.outstanding
        let level: Logger.Level = summary.unacknowledged > 0 || summary.lost > 0 ? .warning : .info
        logger.log(
            level: level, "sender finished",
            metadata: [
                "frames": .stringConvertible(summary.frames), "sent": .stringConvertible(summary.sent),
                "acknowledged": .stringConvertible(summary.acknowledged),
                "lost": .stringConvertible(summary.lost),
                "retransmissions": .stringConvertible(summary.retransmissions),
                "unacknowledged": .stringConvertible(summary.unacknowledged),
            ])
        if summary.unacknowledged > 0 {
            logger.warning(
                "frames handed back unacknowledged: a later run sends them again (the receiver de-duplicates)",
                metadata: ["frames": .stringConvertible(summary.unacknowledged)])
        }
        return summary
    }

    /// One connection, from HELLO to its end: the answers it reads become events of the session loop.
    private func use(_ connection: WireConnection, events iterator: inout AsyncStream<Event>.Iterator) async
        -> SessionEnd
    {
        generation += 1
        let generation = self.generation
        let continuation = self.continuation
        logger.info("connection opened", metadata: ["connect": "\(configuration.target)"])
        configuration.readiness?.set("connected", true, detail: "\(configuration.target)")
        do {
            return try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await message in inbound {
                                continuation.yield(.message(message, generation: generation))
                            }
                            continuation.yield(.closed(generation: generation, reason: nil))
                        } catch {
                            continuation.yield(
                                .closed(generation: generation, reason: TLSHandshake.explain(error, side: "server")))
                        }
                    }
                    defer {
                        connection.channel.close(promise: nil)
                        group.cancelAll()
                    }
                    return try await session(outbound: outbound, events: &iterator)
                }
            }
        } catch {
            logger.warning("connection failed", metadata: ["error": "\(error)"])
            return .lost
        }
    }

    /// One connection attempt (at most `connectTimeout`); nil after a failure, logged, with the backoff
    /// waited (events that need no connection are handled meanwhile).
    private func connect(events iterator: inout AsyncStream<Event>.Iterator) async -> WireConnection? {
        do {
            return try await WireConnections.connect(
                to: configuration.target, timeout: TimeAmount(configuration.connectTimeout),
                security: configuration.security, traffic: WireTraffic(daemon: "sender", side: "downstream"))
        } catch {
            let reason = ErrorText.plain(error)
            configuration.readiness?.set("connected", false, detail: "\(configuration.target): \(reason)")
            failedAttempts += 1
            lastFailure = reason
            if let limit = configuration.maxReconnects, failedAttempts > limit { return nil }
            logger.warning(
                "cannot connect; retrying",
                metadata: [
                    "connect": "\(configuration.target)", "retry_in_ms": .stringConvertible(milliseconds(backoff)),
                    "attempt": .stringConvertible(failedAttempts), "error": "\(reason)",
                ])
            await backOff(events: &iterator)
            return nil
        }
    }

    /// Waits the current backoff (handling events that need no connection), then doubles it.
    private func backOff(events iterator: inout AsyncStream<Event>.Iterator) async {
        await pause(for: backoff, events: &iterator)
        backoff = min(backoff * 2, configuration.maxBackoff)
    }

    /// After a failed attempt (no connection, or no HELLO answer on it): true, with every undelivered frame
    /// given up, once `maxReconnects` attempts in a row have failed.
    private func giveUpConnecting() -> Bool {
        guard let limit = configuration.maxReconnects, failedAttempts > limit else { return false }
        abandonAll(because: "\(configuration.target) unreachable after \(failedAttempts) attempts: \(lastFailure)")
        return true
    }

    /// Done when not watching and every frame is acknowledged or lost (and the LOST reports went out or
    /// cannot be sent any more).
    var isFinished: Bool { !configuration.watch && window.isDone && pendingLost.isEmpty }

    /// One connection: HELLO, then frames out and answers in until done, shutdown or loss.
    private func session(
        outbound: NIOAsyncChannelOutboundWriter<WireMessage>, events: inout AsyncStream<Event>.Iterator
    ) async throws -> SessionEnd {
        try await outbound.write(
            .hello(.offer(role: .sender, peerName: configuration.peerName, origin: configuration.origin)))
        var session = SenderSession(
            now: .now, helloTimeout: configuration.helloTimeout, shutdownGrace: configuration.shutdownGrace)
        connected = false
        while true {
            if session.isOpen { try await sendWhatIsDue(outbound: outbound, session: &session) }
            sessionDeadline = session.deadline
            guard let event = await nextEvent(&events) else { return .stopped }
            let action: SenderSession.Action?
            switch event {
            case .message(let message, let generation) where generation == self.generation:
                action = session.receive(message, finished: isFinished, idle: window.isDone)
            case .closed(let generation, let reason) where generation == self.generation:
                action = session.closed(reason: reason, finished: isFinished)
            case .tick:
                handleOffline(event)
                action = session.expire(now: .now, finished: isFinished)
            default:
                handleOffline(event)
                action = nil
            }
            if let action, let end = await perform(action, outbound: outbound) { return end }
        }
    }

    /// LOST reports, frames the window has room for, and BYE once everything is settled (or on shutdown).
    private func sendWhatIsDue(
        outbound: NIOAsyncChannelOutboundWriter<WireMessage>, session: inout SenderSession
    ) async throws {
        while !pendingLost.isEmpty { try await outbound.write(.lost(pendingLost.removeFirst())) }
        try await fillWindow(outbound: outbound)
        // Frames given up while filling (they cannot be encoded): their LOST goes now, or a sender whose last
        // frames all failed would wait for an answer that never comes.
        while !pendingLost.isEmpty { try await outbound.write(.lost(pendingLost.removeFirst())) }
        guard isFinished || shuttingDown else { return }
        let reason: ByeReason = shuttingDown ? .shuttingDown : .done
        try await outbound.write(.bye(Bye(reason: reason, text: ErrorMessage.fitting(window.summary))))
        logger.info(
            "bye", metadata: ["bye.reason": "\(reason)", "outstanding": .stringConvertible(window.outstanding)])
        session.sentBye(at: .now)
    }

    /// Carries out what the session decided; the connection's end when it ends.
    private func perform(_ action: SenderSession.Action, outbound: NIOAsyncChannelOutboundWriter<WireMessage>) async
        -> SessionEnd?
    {
        switch action {
        case .connected(let hello):
            connected = true
            negotiatedVersion = hello.minVersion
            if configuration.encoding == .digital, configuration.mapCoding == .context,
                negotiatedVersion < MapEncoding.contextVersion
            {
                logger.warning(
                    "the peer speaks protocol \(negotiatedVersion) only: maps go zlib-coded on this connection",
                    metadata: ["peer.name": "\(hello.peerName)"])
            }
            if configuration.encoding == .layered, negotiatedVersion < MapEncoding.layeredVersion {
                logger.warning(
                    "the peer speaks protocol \(negotiatedVersion) only: layered frames need \(MapEncoding.layeredVersion), each is reported lost",
                    metadata: ["peer.name": "\(hello.peerName)"])
            }
            failedAttempts = 0
            backoff = configuration.initialBackoff
            logger.info("connected", metadata: ["peer.name": "\(hello.peerName)", "peer.role": "\(hello.role)"])
            return nil
        case .acknowledged(let ack):
            acknowledged(ack)
            return nil
        case .refused(let nack):
            refused(nack)
            return nil
        case .end(let end, let reply, let note):
            if let note {
                logger.log(level: note.level, "\(note.message)", metadata: note.metadata.mapValues { .string($0) })
            }
            if let reply { try? await outbound.write(reply) }
            return end
        }
    }

    /// The next event, the timer armed for the earliest deadline (`until`: one more, e.g. a pause's end).
    private func nextEvent(_ events: inout AsyncStream<Event>.Iterator, until: ContinuousClock.Instant? = nil) async
        -> Event?
    {
        var deadlines = [until, sessionDeadline, delayedRetryAt]
        if configuration.frameInterval > .zero, window.waiting.first?.attempt == 0, nextFirstTransmission > .now {
            deadlines.append(nextFirstTransmission)
        }
        timer.arm(at: deadlines.compactMap { $0 }.min())
        return await events.next()
    }

    /// Puts frames on the wire while the window has room (and pacing allows).
    private func fillWindow(outbound: NIOAsyncChannelOutboundWriter<WireMessage>) async throws {
        while true {
            if configuration.frameInterval > .zero, let head = window.waiting.first, head.attempt == 0,
                ContinuousClock.now < nextFirstTransmission
            {
                return
            }
            guard let entry = window.nextToSend() else { return }
            var frame: MapFrame
            // A frame built for a protocol-2 peer is built again (zlib) for an older one after a reconnect.
            if let cached = frames[entry.frameID], cached.encoding.requiredVersion <= negotiatedVersion {
                frame = cached
            } else {
                do {
                    frame = try await build(entry)
                    // What the encoder would refuse (a name with '\\' or controls, a size over a limit) is
                    // refused here, as this frame's loss, not as a write error that drops the connection.
                    try frame.validate()
                    frames[entry.frameID] = frame
                } catch {
                    giveUp(entry, attempts: 0, text: "cannot encode: \(error)")
                    continue
                }
            }
            frame.attempt = entry.attempt
            try await outbound.write(.mapFrame(frame))
            var event = FrameEvent(entry.attempt == 0 ? .sent : .retransmitted, frame: frame)
            if case .context(let prior) = frame.encoding {
                event.context["map.prior"] = .string(MapPrior.text(identity: prior))
                if let zlib = zlibBytes[entry.frameID] { event.context["map.zlib_bytes"] = .stringConvertible(zlib) }
            }
            if case .layered(let layout) = frame.encoding { event.context.merge(FrameMetadata.layered(layout)) { $1 } }
            event.context["window.in_flight"] = .stringConvertible(window.inFlight.count)
            if entry.attempt == 0 { nextFirstTransmission = .now + configuration.frameInterval }
            logger.emit(event)
        }
    }

    private func build(_ entry: SendWindow.Entry) async throws -> MapFrame {
        guard let file = files[entry.frameID] else {
            throw DaemonError.noLabels("no image file for frame \(entry.frameID)")
        }
        switch configuration.encoding {
        case .digital:
            let map = try await source.labels(name: file.name, imagePath: file.path)
            let coded = try MapFrame.coded(
                frameID: entry.frameID, name: file.name, map: map, classCount: configuration.classCount,
                coding: configuration.mapCoding, prior: configuration.mapPrior, version: negotiatedVersion)
            if case .context = coded.frame.encoding { zlibBytes[entry.frameID] = coded.zlibBytes }
            return coded.frame
        case .analog:
            let map = try await source.labels(name: file.name, imagePath: file.path)
            return try MapFrame.analog(
                frameID: entry.frameID, name: file.name, map: map, classCount: configuration.classCount,
                downsample: configuration.downsample, sampleFormat: configuration.sampleFormat)
        case .layered:
            return try await layered(file, frameID: entry.frameID)
        }
    }

    /// A layered frame of `file`: the image's SoftCast layer and, for the hybrid, its map, split as planned.
    private func layered(_ file: SenderService.ImageFile, frameID: UInt64) async throws -> MapFrame {
        guard let layer = configuration.layer else {
            throw DaemonError.configuration("layered frames need SoftCast settings")
        }
        guard negotiatedVersion >= MapEncoding.layeredVersion else {
            throw DaemonError.configuration(
                "the peer speaks protocol \(negotiatedVersion); layered frames (hybrid, softcast) need protocol "
                    + "\(MapEncoding.layeredVersion): upgrade the relay and receiver")
        }
        let image = try PNG.readRGB(path: file.path)
        guard let profile = layer.profiles.profile(width: image.width, height: image.height) else {
            throw DaemonError.configuration(
                "no SoftCast profile for \(image.width)x\(image.height) images (have "
                    + layer.profiles.profiles.map { "\($0.codec.profile.width)x\($0.codec.profile.height)" }
                    .joined(separator: ", ") + "); make one with semcom softcast profile")
        }
        let map = layer.includesMap ? try await source.labels(name: file.name, imagePath: file.path) : nil
        return try MapFrame.layered(
            frameID: frameID, name: file.name, image: image, map: map, classCount: configuration.classCount,
            profile: profile,
            budget: layer.budget.map { ChannelLedger.budget(rho: $0, pixels: image.width * image.height) },
            designSNR: layer.designSNR, mapCoding: configuration.mapCoding, prior: configuration.mapPrior,
            sampleFormat: layer.sampleFormat
        ).frame
    }

    private func add(_ images: [SenderService.ImageFile]) {
        for var image in images {
            image.name = WireProtocol.normalizedName(image.name)
            let id = InputFolder.frameID(forName: image.name)
            if window.enqueue(frameID: id, name: image.name) {
                files[id] = image
                logger.debug("frame queued", metadata: FrameMetadata.frame(id, name: image.name))
            }
        }
    }

    private func acknowledged(_ ack: Ack) {
        guard let entry = window.acknowledge(frameID: ack.frameID) else {
            logger.debug("answer for a frame not in flight ignored", metadata: FrameMetadata.frame(ack.frameID))
            return
        }
        frames[entry.frameID] = nil
        zlibBytes[entry.frameID] = nil
        unavailableSince[entry.frameID] = nil
        var event = FrameEvent(.acked, frameID: ack.frameID, name: entry.name, attempt: ack.attempt)
        event.context["ack.status"] = "\(ack.status)"
        logger.emit(event)
    }

    private func refused(_ nack: Nack) {
        let name = window.inFlight[nack.frameID]?.name ?? "?"
        let decision = window.refuse(frameID: nack.frameID, attempt: nack.attempt, reason: nack.reason, text: nack.text)
        var event = FrameEvent(.nacked, frameID: nack.frameID, name: name, attempt: nack.attempt)
            .refused(nack.reason, nack.text)
        switch decision {
        case .ignored:
            logger.debug("answer for a frame not in flight ignored", metadata: FrameMetadata.frame(nack.frameID))
        case .retransmit(let attempt):
            event.context = ["next_attempt": .stringConvertible(attempt), "then": "retransmit"]
            logger.emit(event)
        case .retransmitLater(let attempt):
            event.context["next_attempt"] = .stringConvertible(attempt)
            let since = unavailableSince[nack.frameID] ?? .now
            unavailableSince[nack.frameID] = since
            if let bound = configuration.maxUnavailableWait, ContinuousClock.now - since > bound,
                let entry = window.abandonDelayed(frameID: nack.frameID)
            {
                event.context["then"] = "give-up"
                logger.emit(event)
                reportLost(
                    entry, attempts: attempt,
                    text: "peer unavailable for longer than \(bound) (--max-wait): \(nack.text)")
                return
            }
            event.context["then"] = "retransmit-after-pause"
            logger.emit(event)
            if delayedRetryAt == nil { delayedRetryAt = .now + configuration.unavailableRetryDelay }
        case .lost(let entry, let attempts, let text):
            event.context["then"] = "give-up"
            logger.emit(event)
            reportLost(entry, attempts: attempts, text: text)
        }
    }

    /// A frame that failed before it could be sent (e.g. no label map).
    private func giveUp(_ entry: SendWindow.Entry, attempts: UInt16, text: String) {
        _ = window.refuse(frameID: entry.frameID, attempt: entry.attempt, reason: .invalid, text: text)
        reportLost(entry, attempts: attempts, text: text)
    }

    /// The peer cannot be reached: every frame not yet settled is lost (logged; LOST cannot be sent).
    private func abandonAll(because reason: String) {
        let abandoned = window.abandonAll()
        logger.error(
            "giving up: frames not delivered are reported lost",
            metadata: ["frames": .stringConvertible(abandoned.count), "reason": "\(reason)"])
        for entry in abandoned { reportLost(entry, attempts: entry.attempt, text: reason) }
        pendingLost.removeAll()
        files.removeAll()
    }

    /// Waits until new images arrive (watch mode, after an idle close) or shutdown.
    private func waitForWork(events: inout AsyncStream<Event>.Iterator) async {
        sessionDeadline = nil
        while window.isDone && !shuttingDown {
            guard let event = await nextEvent(&events) else { return }
            handleOffline(event)
        }
    }

    private func reportLost(_ entry: SendWindow.Entry, attempts: UInt16, text: String) {
        frames[entry.frameID] = nil
        zlibBytes[entry.frameID] = nil
        unavailableSince[entry.frameID] = nil
        var event = FrameEvent(.lost, frameID: entry.frameID, name: entry.name)
        event.attempts = attempts
        event.reason = text
        logger.emit(event, level: .error)
        var lost = Lost(frameID: entry.frameID, attempts: attempts, name: entry.name, text: ErrorMessage.fitting(text))
        // A name the wire refuses (the reason this frame was lost) travels as a placeholder: the frame id
        // identifies it, and the LOST must not fail to encode in turn.
        if (try? lost.validate()) == nil { lost.name = "frame-\(entry.frameID)" }
        pendingLost.append(lost)
    }

    /// Waits `duration` while handling events that need no connection.
    private func pause(for duration: Duration, events: inout AsyncStream<Event>.Iterator) async {
        let deadline = ContinuousClock.now + duration
        sessionDeadline = nil
        while ContinuousClock.now < deadline && !shuttingDown {
            guard let event = await nextEvent(&events, until: deadline) else { return }
            handleOffline(event)
        }
    }

    /// An event that needs no connection: new images are queued, shutdown noted, delayed frames become
    /// eligible when due; answers of an earlier connection are stale.
    private func handleOffline(_ event: Event) {
        switch event {
        case .images(let images): add(images)
        case .shutdown:
            if !shuttingDown { logger.info("shutting down: finishing frames in flight") }
            shuttingDown = true
        case .tick:
            if let due = delayedRetryAt, ContinuousClock.now >= due {
                delayedRetryAt = nil
                window.retryDelayed()
            }
        case .message, .closed: break
        }
    }

    private func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
