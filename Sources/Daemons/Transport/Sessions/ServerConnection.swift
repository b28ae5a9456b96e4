import Logging
import NIOCore
import SemanticWire

extension ServerSession.Control {
    /// Does what every server does with this step: answers HELLO (the client's origin goes on `logger`),
    /// logs the client's ERROR, or logs a refusal and writes its ERROR. Returns whether the connection
    /// goes on.
    func perform(
        outbound: NIOAsyncChannelOutboundWriter<WireMessage>, flags: ConnectionFlags, logger: inout Logger
    ) async throws -> Bool {
        switch self {
        case .greet(let answer, let hello):
            logger[metadataKey: "origin"] = "\(hello.origin)"
            var event = ConnectionEvent(.hello)
            event.origin = hello.origin
            event.peerName = hello.peerName
            event.peerRole = "\(hello.role)"
            logger.emit(event)
            flags.helloReceived = true
            try await outbound.write(.hello(answer))
            return true
        case .peerError(let error):
            logger.warning(
                "peer reported an error; closing",
                metadata: ["error.code": "\(error.code)", "error.text": "\(error.text)"])
            return false
        case .refuse(let error, let reason):
            logger.warning(
                "connection error: \(reason); sending ERROR and closing; other connections are not affected",
                metadata: ["error.code": "\(error.code)"])
            try? await outbound.write(.error(error))
            return false
        }
    }
}

extension ConnectionFlags {
    /// A server's part in a graceful shutdown, for one connection: BYE `shuttingDown` (unless a BYE was
    /// sent already), frames arriving from now on are refused, and the connection closes after `grace`
    /// whether or not the client has answered.
    func shutDown(
        _ connection: WireConnection, outbound: NIOAsyncChannelOutboundWriter<WireMessage>, text: String,
        grace: Duration
    ) {
        Task {
            if markByeSent() { try? await outbound.write(.bye(Bye(reason: .shuttingDown, text: text))) }
            markShuttingDown()
            try? await Task.sleep(for: grace)
            connection.channel.close(promise: nil)
        }
    }
}
