import Hummingbird

/// The side port's one authentication rule: a request that changes something (any method but GET, HEAD and
/// OPTIONS) must carry `Authorization: Bearer TOKEN`; reading needs nothing. Without a token configured,
/// changes are refused altogether.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    public init(token: String?) { self.token = token }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if [.get, .head, .options].contains(request.method) { return try await next(request, context) }
        guard let token, !token.isEmpty else {
            return SidePortAPI.problem(.unauthorized, "changes are disabled: start the daemon with --http-token")
        }
        guard Self.constantTimeEqual(Self.credentials(request.headers[.authorization]), token) else {
            var response = SidePortAPI.problem(.unauthorized, "missing or wrong bearer token (Authorization: Bearer …)")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"semcom\""
            return response
        }
        return try await next(request, context)
    }

    /// The credentials of an `Authorization: Bearer …` header; the scheme's case does not matter (RFC 7235).
    static func credentials(_ header: String?) -> String {
        guard let header, let space = header.firstIndex(of: " ") else { return "" }
        guard header[..<space].lowercased() == "bearer" else { return "" }
        return String(header[header.index(after: space)...].drop(while: { $0 == " " }))
    }

    /// Compares without stopping at the first difference, so timing does not reveal the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
