import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOHTTP1

/// Finds and verifies the bearer token of a request.
struct Authenticator: Sendable {
    let authority: TokenAuthority

    /// The identity of an HTTP request's token: `Authorization: Bearer` or `x-api-key`.
    func identity(of request: Request) async throws -> Identity {
        try await identity(
            ofToken: TokenAuthority.token(
                authorization: request.headers[.authorization], apiKey: request.headers[Self.apiKey], query: nil
            )
        )
    }

    /// The identity of a WebSocket upgrade's token: `Authorization: Bearer`, `x-api-key` or `?token=`.
    func identity(ofUpgrade head: HTTPRequestHead) async throws -> Identity {
        try await identity(
            ofToken: TokenAuthority.token(
                authorization: head.headers.first(name: "authorization"), apiKey: head.headers.first(name: "x-api-key"),
                query: URI(head.uri).queryParameters.get("token")
            )
        )
    }

    private func identity(ofToken token: String?) async throws -> Identity {
        guard let token else { throw IngressError(.unauthorized, "a bearer token is required") }
        return try await authority.verify(token)
    }

    static let apiKey = HTTPField.Name("x-api-key")!
}
