import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOHTTP1

/// Finds and verifies the bearer token of a request.
struct Authenticator: Sendable {
    let authority: TokenAuthority

    /// The identity of a request's token: `Authorization: Bearer`, `x-api-key`, or (when `allowQuery`) `?token=`.
    func identity(of request: Request, allowQuery: Bool = false) async throws -> Identity {
        let token = TokenAuthority.token(
            authorization: request.headers[.authorization],
            apiKey: request.headers[Self.apiKey],
            query: allowQuery ? request.uri.queryParameters.get("token") : nil
        )
        guard let token else { throw IngressError(.unauthorized, "a bearer token is required") }
        return try await authority.verify(token)
    }

    static let apiKey = HTTPField.Name("x-api-key")!
}

extension Authenticator {
    /// The identity of a WebSocket upgrade's token: `Authorization: Bearer`, `x-api-key` or `?token=`.
    func identity(ofUpgrade head: HTTPRequestHead) async throws -> Identity {
        let token = TokenAuthority.token(
            authorization: head.headers.first(name: "authorization"),
            apiKey: head.headers.first(name: "x-api-key"),
            query: URI(head.uri).queryParameters.get("token")
        )
        guard let token else { throw IngressError(.unauthorized, "a bearer token is required") }
        return try await authority.verify(token)
    }
}
