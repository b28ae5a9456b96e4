import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// The end of a TLS handshake as seen by one connection: who the peer is, or why it was refused.
public struct TLSPeer: Sendable, Equatable {
    /// The subject common name of the peer's certificate; nil when the peer presented none.
    public var commonName: String?
}

/// Why a TLS connection did not come up, in words an operator can act on.
public struct TLSHandshakeError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public var description: String { reason }
}

/// Adds TLS in front of a channel's pipeline and reports when the handshake is over: a connection is
/// handed to the service only once its peer has been verified.
public enum TLSHandshake {
    /// Handshake deadline: a peer that opens a socket and never finishes the handshake is closed.
    public static let timeout: TimeAmount = .seconds(10)

    /// Server side: adds the TLS handler (with the client verifier for mutual TLS) in front of a freshly
    /// accepted channel's pipeline, before the channel is registered — so the client's first bytes meet
    /// it. The future ends with the handshake: the verified peer, or the reason (the channel is then
    /// closed). Never wait for it inside a channel initializer: the socket is read only after that returns.
    public static func install(on channel: any Channel, with server: TLSServerContext) throws -> EventLoopFuture<
        TLSPeer
    > {
        let verdict = Mutex<ClientCertificateVerifier.Verdict?>(nil)
        let promise = channel.eventLoop.makePromise(of: TLSPeer.self)
        let handler: NIOSSLServerHandler
        if let verifier = server.clientVerifier {
            handler = NIOSSLServerHandler(
                context: server.context,
                customVerificationCallback: verifier.callback { v in verdict.withLock { $0 = v } },
                configuration: .init())
        } else {
            handler = NIOSSLServerHandler(context: server.context)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(
            HandshakeWatcher(promise: promise) { error in
                if case .refused(let reason) = verdict.withLock({ $0 }) { return reason }
                return describe(error, side: "client")
            })
        return promise.futureResult
    }

    /// Client side: adds the TLS handler verifying the server against `serverName` (nil: the dialled
    /// address, which must then be in the certificate's IP SANs). The future ends with the handshake.
    public static func install(
        on channel: any Channel, with context: NIOSSLContext, serverName: String?
    ) throws -> EventLoopFuture<TLSPeer> {
        let promise = channel.eventLoop.makePromise(of: TLSPeer.self)
        try channel.pipeline.syncOperations.addHandler(
            try NIOSSLClientHandler(context: context, serverHostname: serverName))
        try channel.pipeline.syncOperations.addHandler(
            HandshakeWatcher(promise: promise, expectedName: serverName) { describe($0, side: "server") })
        return promise.futureResult
    }

    /// A connection error in an operator's words when it is a TLS one (in TLS 1.3 a client learns that
    /// its certificate was refused only at its first read, after the handshake); other errors as they are.
    public static func explain(_ error: any Error, side: String) -> String {
        error is NIOSSLError || error is BoringSSLError ? describe(error, side: side) : "\(error)"
    }

    /// BoringSSL's error queue in an operator's words.
    static func describe(_ error: any Error, side: String) -> String {
        let text = String(describing: error)
        let known: [(String, String)] = [
            ("WRONG_VERSION_NUMBER", "the \(side) does not speak TLS (plaintext on a TLS port?)"),
            ("HTTP_REQUEST", "the \(side) sent plaintext HTTP to a TLS port"),
            (
                "PEER_DID_NOT_RETURN_A_CERTIFICATE",
                "the \(side) presented no certificate (mutual TLS: give --tls-cert/--tls-key)"
            ),
            (
                "CERTIFICATE_VERIFY_FAILED",
                "the \(side)'s certificate was refused (not signed by the trusted CA, expired, or the wrong name)"
            ),
            ("CERTIFICATE_REQUIRED", "the \(side) requires a client certificate (give --tls-cert and --tls-key)"),
            ("CERTIFICATE_EXPIRED", "the \(side) refused our certificate: expired"),
            ("UNKNOWN_CA", "the \(side) refused our certificate: signed by a CA it does not trust"),
            ("BAD_CERTIFICATE", "the \(side) refused our certificate"),
            ("CERTIFICATE_UNKNOWN", "the \(side) refused our certificate"),
            ("HANDSHAKE_FAILURE", "the \(side) refused the TLS handshake"),
        ]
        for (marker, words) in known where text.contains(marker) { return "\(words) [\(marker)]" }
        if let extra = error as? NIOSSLExtraError, String(describing: extra).contains("hostname") {
            return "the \(side)'s certificate does not carry the expected name (--tls-server-name): \(extra)"
        }
        if error is TLSHandshakeError { return text }
        return "TLS handshake failed: \(text)"
    }
}

/// Completes a promise when the TLS handshake ends (with the peer's name) or fails (with a reason), and
/// closes connections that stall in the handshake.
final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<TLSPeer>
    private let explain: (any Error) -> String
    /// Client side: the name the server's certificate must carry among its DNS names. BoringSSL also
    /// accepts a certificate whose IP addresses hold the dialled address; a name asked for explicitly
    /// must match by itself, so that every daemon on one host cannot stand in for every other.
    private let expectedName: String?
    private var finished = false
    private var deadline: Scheduled<Void>?

    init(
        promise: EventLoopPromise<TLSPeer>, expectedName: String? = nil, explain: @escaping (any Error) -> String
    ) {
        self.promise = promise
        self.expectedName = expectedName
        self.explain = explain
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = loop.scheduleTask(in: TLSHandshake.timeout) { [self] in
            fail(
                TLSHandshakeError(
                    reason: "no TLS handshake within \(TLSHandshake.timeout.nanoseconds / 1_000_000_000) s"))
            ctx.value.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, !finished {
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
            let certificate = handler?.peerCertificate
            let name = certificate.flatMap { PeerIdentity.commonName(of: $0) }
            if let expectedName, !(certificate.map { PeerIdentity.dnsNames(of: $0) } ?? []).contains(expectedName) {
                fail(
                    TLSHandshakeError(
                        reason:
                            "the server's certificate (\(name ?? "no name")) is not for \(expectedName) (--tls-server-name)"
                    ))
                context.close(promise: nil)
                return
            }
            finished = true
            deadline?.cancel()
            promise.succeed(TLSPeer(commonName: name))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(TLSHandshakeError(reason: explain(error)))
        if !finished { context.close(promise: nil) }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(TLSHandshakeError(reason: "the connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    private func fail(_ error: TLSHandshakeError) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        promise.fail(error)
    }
}
