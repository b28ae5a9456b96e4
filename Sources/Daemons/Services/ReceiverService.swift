import Foundation
import Imaging
import Link
import Logging
import MapCoding
import NIOCore
import SemanticWire
import ServiceLifecycle
import Synchronization

/// `semcom receive`: accepts MAP_FRAMEs, decides each map (the denoiser + argmax for analog frames), writes
/// `OUT/ORIGIN/NAME.labels.png` and `NAME.map.png` atomically, answers ACK or NACK, de-duplicates
/// retransmissions by (origin, frame id), and hands each written map to the `ReconstructionStage`.
///
/// One bad connection (garbage bytes, an oversized length, a protocol violation) gets an ERROR, a log
/// line and a close; the others never notice. Decoding and writing run on `FrameWorkers`, never on an
/// event loop or the cooperative pool. A frame is acknowledged only once its maps are on disk; at start
/// the receiver queues every stored map that has no image yet, so a stop loses no image either.
public struct ReceiverService: Service {
    /// Everything the receiver is started with (the command line's flags).
    public struct Configuration: Sendable {
        /// Where to listen (port 0: a free port, logged and printed as `listening on HOST:PORT`).
        public var listen: Endpoint
        /// Output folder; created if missing.
        public var outputDirectory: String
        /// Name in HELLO and logs.
        public var peerName: String
        /// A client must say HELLO within this time (protocol v1 §7.1: 10 s).
        public var helloTimeout: Duration = LinkDefaults.helloTimeout
        /// After SIGTERM, how long a connection may take to finish its exchange of BYEs.
        public var shutdownGrace: Duration = LinkDefaults.shutdownGrace
        /// Maps waiting for the reconstruction stage before connections wait.
        public var stageQueueCapacity: Int = 8
        /// How analog maps are denoised.
        public var denoiser: MapDenoiser = .potts
        /// The prior context-coded maps name (nil: only maps coded without one decode; others are NACKed invalid).
        public var mapPrior: MapPrior?
        /// The SoftCast profiles layered frames name (nil: a frame with a layer is NACKed invalid).
        public var softCastProfiles: SoftCastProfiles?
        public var limits: WireLimits = .default
        /// The protocol versions offered to clients (`--max-protocol`).
        public var protocolVersions: ClosedRange<UInt8> = WireProtocol.supportedVersions
        /// Where the daemon reports its checks for `GET /readyz` (nil: nowhere).
        public var readiness: Readiness?
        /// Plain TCP or TLS (mutual when clients must present certificates).
        public var security: HopSecurity = .plaintext
        /// A connection past HELLO that sends nothing for this long (with nothing of its own in work) gets
        /// ERROR timeout and is closed.
        public var idleTimeout: Duration = LinkDefaults.idleTimeout
        /// Connections open at once; one more gets ERROR busy.
        public var maxConnections: Int = LinkDefaults.maxConnections
        /// Where decoding, denoising and PNG writing run.
        public var workers: FrameWorkers = .shared

        public init(listen: Endpoint, outputDirectory: String, peerName: String = "receiver@\(HostName.current)") {
            self.listen = listen
            self.outputDirectory = outputDirectory
            self.peerName = peerName
        }
    }

    public let configuration: Configuration
    public let stage: any ReconstructionStage
    private let logger: Logger
    private let deduplication = DeduplicationTable()
    private let bound: @Sendable (Endpoint) -> Void

    /// - Parameter onListening: called with the bound endpoint once the socket listens (tests, benchmarks).
    public init(
        configuration: Configuration, stage: any ReconstructionStage = MapsOnlyStage(), logger: Logger,
        onListening: @escaping @Sendable (Endpoint) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.stage = stage
        self.logger = logger
        self.bound = onListening
    }

    public func run() async throws {
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw DaemonError.configuration(
                "cannot create the output folder \(configuration.outputDirectory): \(error)")
        }
        // Temporary files of writes a killed receiver did not finish (their frames were never acknowledged).
        let stale = ReceiverStore.removeInterruptedWrites(in: configuration.outputDirectory)
        if stale > 0 {
            logger.notice(
                "removed temporary files of interrupted writes", metadata: ["files": .stringConvertible(stale)])
        }
        let server = try await WireConnections.listen(
            at: configuration.listen, limits: configuration.limits, security: configuration.security,
            traffic: WireTraffic(daemon: "receiver", side: "upstream"))
        let endpoint = WireConnections.boundEndpoint(of: server, requested: configuration.listen)
        WireConnections.announce(endpoint, role: "receiver", logger: logger)
        configuration.readiness?.set("listening", true, detail: "\(endpoint)")
        bound(endpoint)
        let queue = BoundedQueue<ReceivedMap>(capacity: configuration.stageQueueCapacity)
        let logger = self.logger
        let stopping = OnceFlag()
        try await withThrowingDiscardingTaskGroup { outer in
            if self.stage.writesImages {
                outer.addTask { await self.requeueStoredMaps(into: queue) }
            }
            outer.addTask { await self.reconstruct(from: queue, until: stopping) }
            await WireConnections.serveConnections(
                of: server, maxConnections: configuration.maxConnections, logger: logger,
                onGracefulShutdown: {
                    logger.info(
                        "shutting down: no new connections; open ones finish their frames and say BYE; the image in progress is finished"
                    )
                    stopping.set()
                }, serve: { await self.serve($0, queue: queue) })
            await queue.finish()
        }
        await logStop()
    }

    /// The reconstruction stage's loop: one map at a time from `queue`. After SIGTERM (`stopping`) the
    /// image in progress is finished and the rest waits on disk for the next start.
    private func reconstruct(from queue: BoundedQueue<ReceivedMap>, until stopping: OnceFlag) async {
        let depth = TransmissionMetrics.queueDepth(daemon: "receiver")
        while !stopping.isSet, let map = await queue.pop() {
            depth.decrement()
            let start = ContinuousClock.now
            var metadata = FrameMetadata.frame(map.frameID, name: map.name)
            metadata["stage"] = "\(stage.name)"
            do {
                try await stage.reconstruct(map, logger: logger)
                metadata["duration_ms"] = .decimal(FrameMetadata.milliseconds(since: start), digits: 3)
                logger.debug("frame reconstructed", metadata: metadata)
            } catch {
                metadata["error"] = "\(error)"
                logger.error("reconstruction failed", metadata: metadata)
            }
        }
        await queue.finish()  // connections waiting to queue a stored map go on and acknowledge it
    }

    /// The last line: frames accepted, and the stored maps whose image the next start generates.
    private func logStop() async {
        var metadata: Logger.Metadata = ["frames.accepted": .stringConvertible(await deduplication.acceptedCount)]
        if stage.writesImages {
            let left = ReceiverStore.mapsWithoutImages(in: configuration.outputDirectory).count
            metadata["images.pending"] = .stringConvertible(left)
            if left > 0 {
                logger.notice(
                    "stored maps wait for their image; the next start generates them",
                    metadata: ["images.pending": .stringConvertible(left)])
            }
        }
        logger.info("receiver stopped", metadata: metadata)
    }

    /// Queues for the stage every map a previous run stored without generating its image (a stop, a
    /// crash): it was acknowledged, so nobody sends it again.
    private func requeueStoredMaps(into queue: BoundedQueue<ReceivedMap>) async {
        let pending = ReceiverStore.mapsWithoutImages(in: configuration.outputDirectory)
        guard !pending.isEmpty else { return }
        logger.notice(
            "stored maps without an image: generating them",
            metadata: ["images.pending": .stringConvertible(pending.count)])
        for map in pending {
            let labels: LabelMap
            do {
                labels = try await configuration.workers.run { try PNG.readLabels(path: map.files.labelsPath) }
            } catch {
                logger.error(
                    "cannot read a stored map; skipped",
                    metadata: ["file": "\(map.files.labelsPath)", "error": "\(error)"])
                continue
            }
            // A hybrid frame's layer, when it was stored: generation starts from it as it would have.
            let guide = (try? await configuration.workers.run { try ReceiverStore.storedGuide(map.files) }) ?? nil
            TransmissionMetrics.queueDepth(daemon: "receiver").increment()
            let received = ReceivedMap(
                name: map.name, origin: map.originFolder, frameID: InputFolder.frameID(forName: map.name),
                labels: labels, files: map.files, guide: guide)
            guard await queue.push(received) else {
                TransmissionMetrics.queueDepth(daemon: "receiver").decrement()
                return
            }
        }
    }

    /// One connection, from HELLO to BYE (or to an error).
    private func serve(_ accepted: AcceptedConnection, queue: BoundedQueue<ReceivedMap>) async {
        guard let admitted = await WireConnections.admit(accepted, logger: self.logger) else { return }
        let connection = admitted.0
        var logger = admitted.1
        logger.emit(ConnectionEvent(.opened))
        let state = ConnectionFlags()
        let configuration = self.configuration
        let watch = IdleWatch(timeout: configuration.helloTimeout)
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withGracefulShutdownHandler {
                    try await watch.guarding(
                        connection, outbound: outbound, flags: state, helloTimeout: configuration.helloTimeout,
                        idleTimeout: configuration.idleTimeout, logger: logger
                    ) {
                        try await self.exchange(
                            inbound: inbound, outbound: outbound, state: state, watch: watch, queue: queue,
                            logger: &logger)
                    }
                } onGracefulShutdown: {
                    state.shutDown(
                        connection, outbound: outbound, text: "receiver shutting down",
                        grace: configuration.shutdownGrace)
                }
            }
        } catch {
            logger.emit(ConnectionEvent.closed(because: error))
            return
        }
        logger.emit(ConnectionEvent.closed(because: nil))
    }

    /// Reads messages until BYE, ERROR, a fatal error or the end of the stream.
    private func exchange(
        inbound: NIOAsyncChannelInboundStream<WireMessage>, outbound: NIOAsyncChannelOutboundWriter<WireMessage>,
        state: ConnectionFlags, watch: IdleWatch, queue: BoundedQueue<ReceivedMap>, logger: inout Logger
    ) async throws {
        var session = ServerSession(
            role: .receiver, peerName: configuration.peerName, versions: configuration.protocolVersions)
        var messages = inbound.makeAsyncIterator()
        do {
            while true {
                watch.reading(timeout: session.isOpen ? configuration.idleTimeout : configuration.helloTimeout)
                guard let message = try await messages.next() else { return }
                watch.handling()
                switch session.receive(message) {
                case .frame(let frame):
                    try await outbound.write(
                        await receive(frame, origin: session.origin ?? "", queue: queue, logger: logger))
                case .lost(let lost):
                    logger.emit(FrameEvent(lost: lost))
                case .bye(let bye):
                    // Every frame received so far has been answered: answer BYE and close.
                    logger.info("bye", metadata: ["bye.reason": "\(bye.reason)", "bye.text": "\(bye.text)"])
                    if state.markByeSent() {
                        try await outbound.write(.bye(Bye(reason: .done, text: "receiver: goodbye")))
                    }
                    return
                case .control(let control):
                    guard try await control.perform(outbound: outbound, flags: state, logger: &logger) else { return }
                }
            }
        } catch let error as WireError {
            _ = try await ServerSession.refusal(of: error).perform(outbound: outbound, flags: state, logger: &logger)
        }
    }

    /// Why a frame was not stored: its payload (NACK with the payload's reason), anything else about it
    /// (NACK invalid), or the disk (NACK unavailable).
    enum StoreFailure: Error { case decode(WireError), other(any Error), store(any Error) }

    /// Decides `frame`'s map and writes its files, on the workers (seconds for a large map).
    private func decideAndStore(_ frame: MapFrame, files: OutputNames) async -> Result<
        MapDecision.Decision, StoreFailure
    > {
        let configuration = self.configuration
        do {
            return .success(
                try await configuration.workers.run(cost: FrameWorkers.cost(of: frame)) {
                    () throws(StoreFailure) -> MapDecision.Decision in
                    let decision: MapDecision.Decision
                    do {
                        decision = try MapDecision.decide(
                            frame, denoiser: configuration.denoiser, mapPrior: configuration.mapPrior,
                            softCast: configuration.softCastProfiles, limits: configuration.limits)
                    } catch let error as WireError {
                        throw .decode(error)
                    } catch {
                        throw .other(error)
                    }
                    do {
                        try ReceiverStore.store(decision, files: files)
                    } catch {
                        throw .store(error)
                    }
                    return decision
                })
        } catch let failure as StoreFailure {
            return .failure(failure)
        } catch {
            return .failure(.store(error))  // the worker pool stopped: the process is ending
        }
    }

    /// Decides, stores and answers one frame.
    private func receive(
        _ frame: MapFrame, origin: String, queue: BoundedQueue<ReceivedMap>, logger: Logger
    ) async -> WireMessage {
        let start = ContinuousClock.now
        let event = FrameEvent(.received, frame: frame)
        logger.emit(event.crossing(frame.hops, frame: frame))
        func nack(_ reason: NackReason, _ text: String) -> WireMessage {
            logger.emit(event.refused(reason, text))
            return .nack(
                Nack(
                    frameID: frame.frameID, attempt: frame.attempt, reason: reason,
                    text: ErrorMessage.fitting(text)))
        }
        let folder = OriginFolder.path(for: origin, in: configuration.outputDirectory)
        let files: OutputNames
        do {
            files = try OutputNames(name: frame.name, directory: folder)
        } catch {
            return nack(.invalid, "\(error)")
        }
        switch await deduplication.claim(origin: origin, frameID: frame.frameID) {
        case .duplicate:
            var acked = event
            acked.kind = .acked
            acked.context["ack.status"] = "duplicate"
            logger.emit(acked)
            return .ack(Ack(frameID: frame.frameID, attempt: frame.attempt, status: .duplicate))
        case .inProgress:
            return nack(.unavailable, "frame \(frame.frameID) is being stored from another connection; retry")
        case .new:
            break
        }
        let outcome = await decideAndStore(frame, files: files)
        let decision: MapDecision.Decision
        switch outcome {
        case .success(let decided):
            decision = decided
        case .failure(let failure):
            await deduplication.finish(origin: origin, frameID: frame.frameID, stored: false)
            switch failure {
            case .decode(let error): return nack(error.nackReason, "\(error)")
            case .other(let error): return nack(.invalid, "\(error)")
            case .store(let error):
                logger.error("cannot store frame", metadata: event.metadata.merging(["error": "\(error)"]) { $1 })
                return nack(.unavailable, "receiver cannot store the map: \(error)")
            }
        }
        await deduplication.finish(origin: origin, frameID: frame.frameID, stored: true)
        return await accepted(
            frame, decision: decision, files: files, origin: origin, event: event, since: start,
            queue: queue, logger: logger)
    }

    /// Logs a stored frame, queues its map for the reconstruction stage and answers ACK.
    private func accepted(
        _ frame: MapFrame, decision: MapDecision.Decision, files: OutputNames, origin: String,
        event: FrameEvent, since start: ContinuousClock.Instant, queue: BoundedQueue<ReceivedMap>, logger: Logger
    ) async -> WireMessage {
        var decided = event
        decided.kind = .decided
        decided.context["denoiser"] = "\(decision.denoising.rawValue)"
        if let sigma = decision.estimatedNoiseStd {
            decided.context["noise_std_estimate"] = .decimal(Double(sigma), digits: 3)
        }
        if let layered = decision.layered { decided.context.merge(FrameMetadata.reception(layered)) { $1 } }
        logger.emit(decided)
        var written = event
        written.kind = .written
        written.context["file"] = "\(decision.hasMap ? files.labelsPath : files.reconstructionPath)"
        written.durationMS = FrameMetadata.milliseconds(since: start)
        logger.emit(written)
        // A layered frame without a map (SoftCast, or a map the channel broke): its estimate is the image.
        if decision.hasMap {
            TransmissionMetrics.queueDepth(daemon: "receiver").increment()
            await queue.push(
                ReceivedMap(
                    name: frame.name, origin: origin, frameID: frame.frameID, labels: decision.labels,
                    conditioning: decision.conditioning, files: files,
                    guide: decision.layered?.layer.map { Guide(image: $0.image, expectedMSE: $0.expectedMSE) }))
        }
        var acked = event
        acked.kind = .acked
        acked.context["ack.status"] = "accepted"
        logger.emit(acked)
        return .ack(Ack(frameID: frame.frameID, attempt: frame.attempt, status: .accepted))
    }
}
