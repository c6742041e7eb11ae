import Hummingbird
import RelayJSON

/// What Relay's own JSON APIs (`/api/…`) share: their error shape and the admin checks.
protocol RelayJSONAPI: HTTPAPI {
    var authenticator: Authenticator { get }
}

extension RelayJSONAPI {
    /// `{"error": {"code", "message"}}` with the WebSocket protocol's codes.
    func errorResponse(_ error: IngressError) -> Response {
        json(
            ["error": ["code": .string(error.code.rawValue), "message": .string(error.message)]],
            status: .init(code: error.httpStatus), headers: errorHeaders(error)
        )
    }

    /// FORBIDDEN unless the request's token has the admin role.
    func requireAdmin(_ request: Request) async throws {
        guard try await authenticator.identity(of: request).isAdmin else {
            throw IngressError(.forbidden, "this needs the admin role")
        }
    }

    /// The `{user}` of an admin route, after checking the admin role.
    func adminTarget(_ request: Request, _ context: RelayRequestContext) async throws -> String {
        try await requireAdmin(request)
        guard let user = context.parameters.get("user"), !user.isEmpty else {
            throw IngressError(.invalidRequest, "a user id is required")
        }
        return user
    }
}
