import Foundation
import RelayIngress
import Testing

@Suite("Tokens")
struct TokenAuthorityTests {
    static let secret = "a-test-secret-that-is-long-enough-0123456789"

    func authority(_ secret: String = secret) async throws -> TokenAuthority {
        try await TokenAuthority(configuration: .init(secret: secret))
    }

    @Test("a signed token verifies to its user, roles and permissions")
    func roundTrip() async throws {
        let authority = try await authority()
        let token = try await authority.sign(Identity(userId: "alice", roles: ["user"], permissions: ["services:use"]), ttl: .seconds(60))
        let identity = try await authority.verify(token)
        #expect(identity == Identity(userId: "alice", roles: ["user"], permissions: ["services:use"]))
        #expect(identity.maySubmit && !identity.isAdmin)
    }

    @Test("expired, foreign-signed and malformed tokens are UNAUTHORIZED")
    func refusals() async throws {
        let authority = try await authority()
        let expired = try await authority.sign(Identity(userId: "alice", permissions: ["services:use"]), ttl: .seconds(-10))
        let foreign = try await self.authority("another-secret-that-is-long-enough-987654321")
            .sign(Identity(userId: "mallory", roles: ["admin"]), ttl: .seconds(60))
        for token in [expired, foreign, "not.a.token", "", String(repeating: "x", count: 10_000)] {
            await #expect {
                _ = try await authority.verify(token)
            } throws: { error in
                (error as? IngressError)?.code == .unauthorized
            }
        }
    }

    @Test("submitting needs services:use or the admin role")
    func permissions() throws {
        #expect(Identity(userId: "a", roles: ["admin"]).maySubmit)
        #expect(!Identity(userId: "a", roles: ["user"], permissions: ["usage:read"]).maySubmit)
        #expect(throws: IngressError.self) { try Identity(userId: "a").requireSubmit() }
    }

    @Test("weak or missing secrets are named; a random 32-byte one is fine")
    func weakSecrets() {
        #expect(TokenAuthority.Configuration(secret: nil).secretWeakness != nil)
        #expect(TokenAuthority.Configuration(secret: "short").secretWeakness != nil)
        #expect(TokenAuthority.Configuration(secret: String(repeating: "ab", count: 20)).secretWeakness != nil)
        #expect(TokenAuthority.Configuration(secret: Self.secret).secretWeakness == nil)
    }

    @Test("the token comes from Authorization: Bearer, then x-api-key, then the query")
    func tokenSources() {
        #expect(TokenAuthority.token(authorization: "Bearer abc", apiKey: "k", query: "q") == "abc")
        #expect(TokenAuthority.token(authorization: "bearer  abc ", apiKey: nil, query: nil) == "abc")
        #expect(TokenAuthority.token(authorization: "Basic xyz", apiKey: "k", query: nil) == "k")
        #expect(TokenAuthority.token(authorization: nil, apiKey: nil, query: "q") == "q")
        #expect(TokenAuthority.token(authorization: nil, apiKey: "", query: nil) == nil)
    }
}
