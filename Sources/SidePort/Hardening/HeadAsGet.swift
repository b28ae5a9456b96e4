import Hummingbird

/// `HEAD` wherever `GET` is: Hummingbird's router picks routes by method before any middleware runs, so
/// a `HEAD` request is answered here, before routing, by the `GET` route with its body dropped.
public struct HeadAsGetRouter<Builder: HTTPResponderBuilder>: HTTPResponderBuilder {
    let router: Builder

    public init(_ router: Builder) { self.router = router }

    public func buildResponder() -> HeadAsGetResponder<Builder.Responder> {
        HeadAsGetResponder(inner: router.buildResponder())
    }
}

public struct HeadAsGetResponder<Inner: HTTPResponder>: HTTPResponder {
    let inner: Inner

    public func respond(to request: Request, context: Inner.Context) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        response.body = .init()
        return response
    }
}
