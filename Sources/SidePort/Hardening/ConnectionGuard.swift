import NIOCore
import NIOHTTPTypes
import Synchronization

/// Connections a side port holds now, against its cap.
public final class ConnectionGauge: Sendable {
    public let limit: Int
    private let count = Atomic<Int>(0)

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Counts one more connection; false (and not counted) when the cap is reached.
    func enter() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func leave() { count.subtract(1, ordering: .relaxed) }

    public var current: Int { count.load(ordering: .relaxed) }
}

/// Per side-port connection, in the channel pipeline after HTTP decoding: closes a connection over the
/// cap at once, and one whose request (head and body) has not fully arrived `requestTimeout` after the
/// connection opened or the previous request ended (slowloris, a stalled body — which would otherwise also
/// hold up a graceful shutdown for ever).
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let gauge: ConnectionGauge
    private let requestTimeout: TimeAmount
    private var counted = false
    private var deadline: Scheduled<Void>?

    init(gauge: ConnectionGauge, requestTimeout: TimeAmount) {
        self.gauge = gauge
        self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if deadline == nil { arm(context) }
        case .body:
            break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    private func admit(_ context: ChannelHandlerContext) {
        guard !counted else { return }
        guard gauge.enter() else {
            context.close(promise: nil)
            return
        }
        counted = true
        arm(context)
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) { loopBound.value.close(promise: nil) }
    }

    private func release() {
        deadline?.cancel()
        deadline = nil
        if counted {
            counted = false
            gauge.leave()
        }
    }
}
