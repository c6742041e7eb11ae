import Foundation
import JWTKit
import RelayIngress
import Testing

@Suite("Tokens signed by an identity provider's key")
struct PublicKeyTokenTests {
    static func sign(_ claims: RelayClaims, with key: ES256PrivateKey, kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: kid.map { JWKIdentifier(string: $0) })
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    static func claims(user: String = "carol") -> RelayClaims {
        RelayClaims(userId: user, roles: ["user"], permissions: ["services:use"], expires: Date().addingTimeInterval(60))
    }

    @Test("an ES256 token verifies with the provider's PEM public key; another key's does not")
    func pemPublicKey() async throws {
        let key = ES256PrivateKey()
        let authority = try await TokenAuthority(configuration: .init(publicKeyPEM: key.publicKey.pemRepresentation))
        let identity = try await authority.verify(try await Self.sign(Self.claims(), with: key))
        #expect(identity.userId == "carol" && identity.maySubmit)
        let stranger = try await Self.sign(Self.claims(user: "mallory"), with: ES256PrivateKey())
        await #expect { _ = try await authority.verify(stranger) } throws: { ($0 as? IngressError)?.code == .unauthorized }
        #expect(TokenAuthority.Configuration(publicKeyPEM: key.publicKey.pemRepresentation).secretWeakness == nil)
    }

    @Test("a token verifies with a JWKS file's key, chosen by kid")
    func jwks() async throws {
        let key = ES256PrivateKey()
        guard let parameters = key.publicKey.parameters else { Issue.record("no key parameters"); return }
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"idp-1","x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
        let authority = try await TokenAuthority(configuration: .init(jwksJSON: jwks))
        let identity = try await authority.verify(try await Self.sign(Self.claims(), with: key, kid: "idp-1"))
        #expect(identity.userId == "carol")
        await #expect(throws: IngressError.self) { try await TokenAuthority(configuration: .init(jwksJSON: "{not json")) }
    }
}
