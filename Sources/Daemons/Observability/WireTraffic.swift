import CoreMetrics
import NIOCore

/// Whose traffic a wire connection carries, for `semcom_bytes_total` and `semcom_connections`.
public struct WireTraffic: Sendable {
    /// `sender`, `relay` or `receiver`.
    public var daemon: String
    /// `upstream` (accepted by a listener) or `downstream` (dialled).
    public var side: String

    public init(daemon: String, side: String) {
        self.daemon = daemon
        self.side = side
    }

    /// Counts bytes as they cross the socket (TLS records included) and the connection while it is open.
    func handler() -> TrafficCountingHandler {
        TrafficCountingHandler(
            bytesIn: TransmissionMetrics.bytes(daemon: daemon, direction: "in"),
            bytesOut: TransmissionMetrics.bytes(daemon: daemon, direction: "out"),
            open: TransmissionMetrics.connections(daemon: daemon, side: side))
    }
}

/// The first handler of a wire pipeline: counts what it reads and writes.
final class TrafficCountingHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let bytesIn: Counter
    private let bytesOut: Counter
    private let open: Meter
    private var counted = false

    init(bytesIn: Counter, bytesOut: Counter, open: Meter) {
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.open = open
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { markOpen() }
    }

    func channelActive(context: ChannelHandlerContext) {
        markOpen()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            open.decrement()
        }
        context.fireChannelInactive()
    }

    private func markOpen() {
        guard !counted else { return }
        counted = true
        open.increment()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesIn.increment(by: Int64(unwrapInboundIn(data).readableBytes))
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bytesOut.increment(by: Int64(unwrapOutboundIn(data).readableBytes))
        context.write(data, promise: promise)
    }
}
