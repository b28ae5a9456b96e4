import Hummingbird

/// Browser safety on every side port and the dashboard, before any route runs:
/// - `Host` must be allowed (`HostAllowList`), or 421 Misdirected Request — DNS rebinding cannot reach a
///   route;
/// - `Expect` is refused with 417 (nothing here needs a body announced before it is sent);
/// - CORS only for the origins given (`--allow-origin`): those get `Access-Control-Allow-Origin` with their
///   own origin (never `*`), preflights included; others get no CORS headers, so browsers keep the answers
///   from their pages.
public struct BrowserSafetyMiddleware<Context: RequestContext>: RouterMiddleware {
    let hosts: HostAllowList
    let origins: Set<String>

    public init(hosts: HostAllowList, allowedOrigins: [String]) {
        self.hosts = hosts
        self.origins = Set(allowedOrigins)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard hosts.allows(request.head.authority) else {
            return SidePortAPI.problem(
                .misdirectedRequest, "this server does not answer to that Host name (start it with --allowed-host NAME)"
            )
        }
        if request.headers[.expect] != nil {
            return SidePortAPI.problem(.expectationFailed, "Expect is not supported: send the body with the request")
        }
        let origin = request.headers[.origin]
        let allowed = origin.map { origins.contains($0) } ?? false
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed, let origin else { return Response(status: .forbidden) }
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowMethods] = "GET, HEAD, PUT, POST, DELETE"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, If-Match"
            response.headers[.accessControlMaxAge] = "600"
            response.headers[.vary] = "Origin"
            return response
        }
        var response = try await next(request, context)
        if allowed, let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "ETag"
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
