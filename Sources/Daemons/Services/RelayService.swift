import Foundation
import Link
import Logging
import MapCoding
import NIOCore
import SemanticWire
import ServiceLifecycle
import Synchronization

/// `semcom relay`: for every upstream connection it opens its own downstream connection (HELLO with the
/// upstream's origin), applies its `RelayChannel` to each MAP_FRAME payload, appends a hop annotation
/// and forwards the frame; ACK and NACK travel back upstream unchanged, LOST travels on downstream.
/// Relays chain: the downstream peer may be another relay.
///
/// When the downstream peer cannot be reached, MAP_FRAMEs are answered with NACK unavailable (the sender
/// retries later) and the relay tries again at most once a second; when an established downstream
/// connection drops, the upstream connection is closed too, so the sender reconnects and resends what
/// was not acknowledged.
public struct RelayService: Service {
    /// Everything the relay is started with (the command line's flags).
    public struct Configuration: Sendable {
        public var listen: Endpoint
        public var forward: Endpoint
        public var channel: RelayChannel
        public var peerName: String
        /// The prior for re-coding context-coded maps when downstream speaks protocol 1 only (nil: such frames
        /// are refused, NACK invalid).
        public var mapPrior: MapPrior?
        /// An upstream client must say HELLO, and the downstream peer answer the relay's, within this.
        public var helloTimeout: Duration = LinkDefaults.helloTimeout
        /// One attempt to reach the downstream peer (TCP connect and the TLS handshake).
        public var connectTimeout: Duration = LinkDefaults.connectTimeout
        /// After SIGTERM, how long a connection may take to finish its exchange of BYEs.
        public var shutdownGrace: Duration = LinkDefaults.shutdownGrace
        /// Pause between attempts to reach an unreachable downstream peer.
        public var reconnectInterval: Duration = .seconds(1)
        public var limits: WireLimits = .default
        /// The protocol versions offered to clients (`--max-protocol`).
        public var protocolVersions: ClosedRange<UInt8> = WireProtocol.supportedVersions
        /// Where the daemon reports its checks for `GET /readyz` (nil: nowhere).
        public var readiness: Readiness?
        /// The channel as it may change at run time (`PUT /channel`); nil: `channel`, fixed.
        public var control: RelayChannelControl?
        /// The listener's side (plain TCP or TLS, mutual when upstream clients must present certificates).
        public var security: HopSecurity = .plaintext
        /// The downstream connection's side (plain TCP or TLS towards the next hop).
        public var forwardSecurity: HopSecurity = .plaintext
        /// An upstream connection past HELLO that sends nothing for this long, with no frame of its own in
        /// work or awaiting an answer, gets ERROR timeout and is closed (its downstream connection too).
        public var idleTimeout: Duration = LinkDefaults.idleTimeout
        /// Upstream connections open at once; one more gets ERROR busy.
        public var maxConnections: Int = LinkDefaults.maxConnections
        /// Where the channel (decoding, the physical layer, re-encoding) runs.
        public var workers: FrameWorkers = .shared

        public init(
            listen: Endpoint, forward: Endpoint, channel: RelayChannel, peerName: String = "relay@\(HostName.current)"
        ) {
            self.listen = listen
            self.forward = forward
            self.channel = channel
            self.peerName = peerName
        }
    }

    public let configuration: Configuration
    /// The channel each frame meets (changeable while the relay runs).
    public let control: RelayChannelControl
    private let logger: Logger
    private let bound: @Sendable (Endpoint) -> Void

    public init(
        configuration: Configuration, logger: Logger, onListening: @escaping @Sendable (Endpoint) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.control = configuration.control ?? RelayChannelControl(fixed: configuration.channel)
        self.logger = logger
        self.bound = onListening
    }

    public func run() async throws {
        let server = try await WireConnections.listen(
            at: configuration.listen, limits: configuration.limits, security: configuration.security,
            traffic: WireTraffic(daemon: "relay", side: "upstream"))
        let endpoint = WireConnections.boundEndpoint(of: server, requested: configuration.listen)
        logger.info(
            "relay configured",
            metadata: [
                "forward": "\(configuration.forward)", "channel.setting": "\(configuration.channel.setting)",
                "channel.seed": .stringConvertible(configuration.channel.seed),
                "relay.mode": "\(configuration.channel.expectedMode.map { "\($0)" } ?? "any")",
            ])
        WireConnections.announce(endpoint, role: "relay", logger: logger)
        configuration.readiness?.set("listening", true, detail: "\(endpoint)")
        bound(endpoint)
        let logger = self.logger
        await WireConnections.serveConnections(
            of: server, maxConnections: configuration.maxConnections, logger: logger,
            onGracefulShutdown: { logger.info("shutting down: no new connections; open ones say BYE on both sides") },
            serve: { await self.serve($0) })
        logger.info("relay stopped")
    }

    /// One upstream connection and the downstream connection that goes with it.
    private func serve(_ accepted: AcceptedConnection) async {
        guard let admitted = await WireConnections.admit(accepted, logger: self.logger) else { return }
        let upstream = admitted.0
        var logger = admitted.1
        logger.emit(ConnectionEvent(.opened))
        let flags = ConnectionFlags()
        let configuration = self.configuration
        do {
            try await upstream.executeThenClose { upIn, upOut in
                var session = ServerSession(
                    role: .relay, peerName: configuration.peerName, versions: configuration.protocolVersions)
                do {
                    try await withGracefulShutdownHandler {
                        // HELLO first, within the HELLO timeout; then frames, within the idle timeout.
                        let watch = IdleWatch(timeout: configuration.helloTimeout)
                        try await watch.guarding(
                            upstream, outbound: upOut, flags: flags, helloTimeout: configuration.helloTimeout,
                            idleTimeout: configuration.idleTimeout, logger: logger
                        ) {
                            var messages = upIn.makeAsyncIterator()
                            let hop = UpstreamHop(connection: upstream, outbound: upOut, flags: flags, watch: watch)
                            try await self.relay(hop, messages: &messages, session: &session, logger: &logger)
                        }
                    } onGracefulShutdown: {
                        flags.shutDown(
                            upstream, outbound: upOut, text: "relay shutting down", grace: configuration.shutdownGrace)
                    }
                } catch let error as WireError {
                    // Bytes after a framing error cannot be trusted: answer ERROR, close this connection only.
                    _ = try await ServerSession.refusal(of: error).perform(
                        outbound: upOut, flags: flags, logger: &logger)
                }
            }
        } catch {
            logger.emit(ConnectionEvent.closed(because: error))
            return
        }
        logger.emit(ConnectionEvent.closed(because: nil))
    }

    /// The upstream side of one relayed connection: its writer and its shared state.
    private struct UpstreamHop: Sendable {
        let connection: WireConnection
        let outbound: NIOAsyncChannelOutboundWriter<WireMessage>
        let flags: ConnectionFlags
        let watch: IdleWatch

        /// The next message from upstream (nil at the end of the stream), timed by the watch.
        func next(
            from messages: inout NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator, timeout: Duration
        ) async throws -> WireMessage? {
            watch.reading(timeout: timeout)
            defer { watch.handling() }
            return try await messages.next()
        }
    }

    /// Answers HELLO, then forwards frames between upstream and a downstream connection; while the
    /// downstream peer cannot be reached, answers frames NACK unavailable and tries again every
    /// `reconnectInterval`.
    private func relay(
        _ hop: UpstreamHop, messages: inout NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator,
        session: inout ServerSession, logger: inout Logger
    ) async throws {
        guard let first = try await hop.next(from: &messages, timeout: configuration.helloTimeout),
            case .control(let greeting) = session.receive(first),
            try await greeting.perform(outbound: hop.outbound, flags: hop.flags, logger: &logger),
            let origin = session.origin
        else { return }
        while true {
            guard let downstream = await connectDownstream(logger: logger) else {
                let retryAt = ContinuousClock.now + configuration.reconnectInterval
                guard
                    try await answerUnavailable(
                        hop, messages: &messages, session: &session, until: retryAt, logger: &logger)
                else { return }
                continue
            }
            try await downstream.executeThenClose { downIn, downOut in
                try await downOut.write(.hello(.offer(role: .relay, peerName: configuration.peerName, origin: origin)))
                // Downstream's protocol version once it answered HELLO; 0 when it refused or closed first.
                let (opened, openedSignal) = AsyncStream.makeStream(of: UInt8.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Downstream's HELLO answer, then its answers, travel back upstream as they come.
                    let answersLogger = logger
                    group.addTask {
                        await self.returnAnswers(
                            from: downIn, downOut: downOut, to: hop, opened: openedSignal, logger: answersLogger)
                    }
                    defer {
                        group.cancelAll()  // first, so the answers task does not close upstream under an ERROR
                        downstream.channel.close(promise: nil)
                    }
                    // No frame goes on before downstream has answered HELLO.
                    switch await Self.first(of: opened, within: configuration.helloTimeout) {
                    case let version? where version > 0:
                        try await forwardFrames(
                            hop, messages: &messages, session: &session, downOut: downOut, downstreamVersion: version,
                            logger: &logger)
                    case _?:
                        return  // refused or closed: the answers task said why and closed upstream
                    case nil:
                        try await self.perform(
                            DownstreamSession.helloTimedOut(after: configuration.helloTimeout), hop: hop,
                            downOut: downOut, logger: logger)
                    }
                }
            }
            return
        }
    }

    /// The first value of `stream` (0 when it finishes empty), or nil when none comes within `limit`.
    static func first(of stream: AsyncStream<UInt8>, within limit: Duration) async -> UInt8? {
        await withTaskGroup(of: UInt8?.self) { group in
            group.addTask {
                for await value in stream { return value }
                return 0
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Does what the downstream session said at its end: logs, last words on both sides, upstream closed.
    private func perform(
        _ action: DownstreamSession.Action, hop: UpstreamHop, downOut: NIOAsyncChannelOutboundWriter<WireMessage>,
        logger: Logger
    ) async throws {
        guard case .end(let note, let reply, let upstream) = action else { return }
        logger.log(level: note.level, "\(note.message)", metadata: note.metadata.mapValues { .string($0) })
        if let reply { try? await downOut.write(reply) }
        if let upstream {
            if case .bye = upstream {
                if hop.flags.markByeSent() { try? await hop.outbound.write(upstream) }
            } else {
                try? await hop.outbound.write(upstream)
            }
        }
        hop.connection.channel.close(promise: nil)
    }

    /// A connection to the downstream peer, or nil (logged, readiness updated) when it cannot be reached.
    private func connectDownstream(logger: Logger) async -> WireConnection? {
        do {
            let downstream = try await WireConnections.connect(
                to: configuration.forward, timeout: TimeAmount(configuration.connectTimeout),
                limits: configuration.limits,
                security: configuration.forwardSecurity,
                traffic: WireTraffic(daemon: "relay", side: "downstream"))
            configuration.readiness?.set("downstream", true, detail: "\(configuration.forward)")
            return downstream
        } catch {
            configuration.readiness?.set("downstream", false, detail: "\(configuration.forward): \(error)")
            logger.warning(
                "downstream unreachable; answering frames with NACK unavailable",
                metadata: ["forward": "\(configuration.forward)", "error": "\(error)"])
            return nil
        }
    }

    /// Upstream's messages through the channel and on downstream, until upstream ends or fails.
    private func forwardFrames(
        _ hop: UpstreamHop, messages: inout NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator,
        session: inout ServerSession, downOut: NIOAsyncChannelOutboundWriter<WireMessage>, downstreamVersion: UInt8,
        logger: inout Logger
    ) async throws {
        let configuration = self.configuration
        while let message = try await hop.next(from: &messages, timeout: configuration.idleTimeout) {
            switch session.receive(message) {
            case .frame(let frame):
                if hop.flags.isShuttingDown {
                    try await hop.outbound.write(
                        .nack(
                            Nack(
                                frameID: frame.frameID, attempt: frame.attempt, reason: .unavailable,
                                text: "relay shutting down")))
                    continue
                }
                // The channel takes milliseconds to seconds per frame: on the workers.
                let relay = self, frameLogger = logger
                switch try await configuration.workers.run(
                    cost: FrameWorkers.cost(of: frame),
                    { relay.forward(frame, downstreamVersion: downstreamVersion, logger: frameLogger) })
                {
                case .forward(let out):
                    hop.watch.forwarded()
                    try await downOut.write(.mapFrame(out))
                case .answer(let nack):
                    try await hop.outbound.write(nack)
                }
            case .lost(let lost):
                logger.emit(FrameEvent(lost: lost))
                try await downOut.write(.lost(lost))
            case .bye(let bye):
                logger.info("bye", metadata: ["bye.reason": "\(bye.reason)"])
                try await downOut.write(.bye(Bye(reason: bye.reason, text: "relay: upstream said \(bye.text)")))
            case .control(let control):
                guard try await control.perform(outbound: hop.outbound, flags: hop.flags, logger: &logger) else {
                    return
                }
            }
        }
    }

    /// Reads downstream's HELLO answer (signalling `opened`: true once frames may go on, false when the
    /// session ended first), then sends its answers upstream as they come (ACK and NACK unchanged);
    /// downstream's BYE or ERROR, or its connection ending, closes upstream too so the sender resends what
    /// is unanswered.
    private func returnAnswers(
        from downIn: NIOAsyncChannelInboundStream<WireMessage>, downOut: NIOAsyncChannelOutboundWriter<WireMessage>,
        to hop: UpstreamHop, opened: AsyncStream<UInt8>.Continuation, logger: Logger
    ) async {
        defer { opened.finish() }
        var session = DownstreamSession()
        do {
            for try await message in downIn {
                let action = session.receive(message)
                switch action {
                case .opened(let hello, let version):
                    logger.info(
                        "downstream connected",
                        metadata: [
                            "forward": "\(configuration.forward)", "downstream.name": "\(hello.peerName)",
                            "downstream.role": "\(hello.role)", "version": "\(version)",
                        ])
                    opened.yield(version)
                case .answer(let answer):
                    hop.watch.answered()
                    switch answer {
                    case .ack(let ack):
                        logger.debug(
                            "ack forwarded",
                            metadata: FrameMetadata.frame(ack.frameID).merging(["ack.status": "\(ack.status)"]) { $1 })
                    case .nack(let nack):
                        var event = FrameEvent(.nacked, frameID: nack.frameID, attempt: nack.attempt)
                            .refused(nack.reason, nack.text)
                        event.forwarded = true
                        logger.emit(event, level: .info)
                    default:
                        break
                    }
                    try await hop.outbound.write(answer)
                case .end:
                    opened.yield(0)
                    try? await perform(action, hop: hop, downOut: downOut, logger: logger)
                    return
                }
            }
            opened.yield(0)
            // Cancelled: the upstream side ended first (BYE, ERROR to send, a framing error)
            // and closes its own connection once its last words are written.
            guard !Task.isCancelled else { return }
            logger.warning("downstream connection closed; closing upstream so the sender resends")
        } catch {
            opened.yield(0)
            guard !Task.isCancelled else { return }
            logger.warning("downstream connection failed; closing upstream", metadata: ["error": "\(error)"])
        }
        hop.connection.channel.close(promise: nil)
    }

    private enum Forwarding: Sendable {
        case forward(MapFrame)
        case answer(WireMessage)
    }

    /// Applies the channel to one frame, re-coded first when downstream's protocol cannot carry its encoding.
    private func forward(_ received: MapFrame, downstreamVersion: UInt8, logger: Logger) -> Forwarding {
        let start = ContinuousClock.now
        var frame = received
        do {
            if frame.encoding.requiredVersion > downstreamVersion {
                frame = try recoded(frame, for: downstreamVersion, logger: logger)
            }
            let channel = control.channel  // the channel of this moment: a change applies from the next frame on
            let outcome = try channel.apply(to: frame)
            var event = FrameEvent(.relayed, frame: outcome.frame)
            event.hops = [outcome.hop]
            event.ledger = outcome.ledger
            var metadata: Logger.Metadata = [:]
            metadata["channel.symbols"] = .stringConvertible(outcome.symbols)
            if let link = outcome.link, let phy = outcome.physicalLayer {
                metadata["channel.modulation"] = "\(phy.modulation)"
                metadata["channel.code"] = "\(phy.code)"
                metadata["channel.fading"] = "\(phy.channel.fading.name)"
                metadata["channel.bits_on_air"] = .stringConvertible(outcome.hop.bitsOnAir)
                metadata["channel.pre_fec_bit_errors"] = .stringConvertible(link.preDecodingBitErrors)
                metadata["channel.post_fec_bit_errors"] = .stringConvertible(link.postDecodingBitErrors)
                metadata["channel.blocks"] = .stringConvertible(link.blocks)
                metadata["channel.block_errors"] = .stringConvertible(link.blockErrors)
            } else if outcome.hop.fadingBlockLength > 0 {
                metadata["channel.fading"] = "rayleigh"
            }
            if case .layered(let layout) = frame.encoding { metadata.merge(FrameMetadata.layered(layout)) { $1 } }
            event.durationMS = FrameMetadata.milliseconds(since: start)
            // Noisy analog symbols no longer compress: the frame as forwarded may outgrow what a peer
            // accepts. Refuse it here, as invalid (retrying meets the same size), instead of failing to
            // write it and dropping the connection, which the sender would answer by resending forever.
            let controlAllowance = 16 << 10  // header fields, name, hop annotations: a few hundred bytes
            if outcome.frame.payload.bytes.count + controlAllowance > configuration.limits.maxBodyLength {
                event.context = metadata
                logger.emit(
                    event.refused(
                        .invalid,
                        "re-encoded after the channel it is \(outcome.frame.payload.bytes.count) bytes; the limit is \(configuration.limits.maxBodyLength)"
                    ))
                return .answer(
                    .nack(
                        Nack(
                            frameID: frame.frameID, attempt: frame.attempt, reason: .invalid,
                            text: ErrorMessage.fitting(
                                "relay: the frame as it leaves the channel would be \(outcome.frame.payload.bytes.count) bytes, "
                                    + "over the \(configuration.limits.maxBodyLength)-byte frame limit; send it downsampled or digital"
                            ))))
            }
            if outcome.modeMismatch {
                metadata["relay.mode"] = "\(channel.expectedMode.map { "\($0)" } ?? "any")"
                logger.notice(
                    "frame encoding differs from the relay's --mode; applying the \(frame.encoding.kind) channel",
                    metadata: FrameMetadata.frame(frame.frameID))
            }
            event.context = metadata
            logger.emit(event)
            return .forward(outcome.frame)
        } catch let error as WireError {
            logger.emit(FrameEvent(.nacked, frame: frame).refused(error.nackReason, "\(error)"))
            return .answer(
                .nack(
                    Nack(
                        frameID: frame.frameID, attempt: frame.attempt, reason: error.nackReason,
                        text: ErrorMessage.fitting("relay: \(error)"))))
        } catch {
            return .answer(
                .nack(
                    Nack(
                        frameID: frame.frameID, attempt: frame.attempt, reason: .invalid,
                        text: ErrorMessage.fitting("relay: \(error)"))))
        }
    }

    /// A context-coded frame re-coded with zlib for a downstream peer that speaks protocol 1: the map decoded
    /// with the relay's prior (a prior it lacks, or a payload an earlier hop broke, refuses the frame with the
    /// reason the receiver would give), its attempt and hops kept.
    /// A layered frame has no equivalent in older protocols: NACK invalid, which the sender reports lost.
    private func recoded(_ frame: MapFrame, for version: UInt8, logger: Logger) throws -> MapFrame {
        if case .layered = frame.encoding {
            throw WireError.invalidField(
                "downstream speaks protocol \(version); a \(frame.encoding.name) frame needs protocol "
                    + "\(frame.encoding.requiredVersion) and has no form an older peer reads")
        }
        let map = try frame.decodeDigitalMap(prior: configuration.mapPrior, limits: configuration.limits)
        var zlib = try MapFrame.digital(
            frameID: frame.frameID, name: frame.name, map: map, classCount: frame.classCount)
        zlib.attempt = frame.attempt
        zlib.hops = frame.hops
        logger.notice(
            "downstream speaks protocol \(version): context-coded map re-coded with zlib",
            metadata: FrameMetadata.frame(frame.frameID).merging(
                [
                    "payload.bytes.context": .stringConvertible(frame.payload.bytes.count),
                    "payload.bytes.zlib": .stringConvertible(zlib.payload.bytes.count),
                ], uniquingKeysWith: { $1 }))
        return zlib
    }

    /// While the downstream peer is unreachable: NACK unavailable every MAP_FRAME until `deadline` has
    /// passed and a frame arrives (then the caller tries to connect again). Returns false when the
    /// upstream connection ended.
    private func answerUnavailable(
        _ hop: UpstreamHop, messages: inout NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator,
        session: inout ServerSession, until deadline: ContinuousClock.Instant, logger: inout Logger
    ) async throws -> Bool {
        while let message = try await hop.next(from: &messages, timeout: configuration.idleTimeout) {
            switch session.receive(message) {
            case .frame(let frame):
                try await hop.outbound.write(
                    .nack(
                        Nack(
                            frameID: frame.frameID, attempt: frame.attempt, reason: .unavailable,
                            text: "relay: downstream \(configuration.forward) unreachable")))
                logger.emit(
                    FrameEvent(.nacked, frame: frame).refused(
                        .unavailable, "downstream \(configuration.forward) unreachable"),
                    level: .info)
                if ContinuousClock.now >= deadline && !hop.flags.isShuttingDown { return true }
            case .bye:
                if hop.flags.markByeSent() {
                    try await hop.outbound.write(.bye(Bye(reason: .done, text: "relay: goodbye")))
                }
                return false
            case .lost(let lost):
                logger.emit(FrameEvent(lost: lost))
            case .control(let control):
                guard try await control.perform(outbound: hop.outbound, flags: hop.flags, logger: &logger) else {
                    return false
                }
            }
        }
        return false
    }
}
