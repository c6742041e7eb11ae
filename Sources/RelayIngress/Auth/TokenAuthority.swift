import Foundation
import JWTKit

/// Verifies bearer tokens (and mints development ones) with the configured keys.
///
/// HS256 with a shared secret by default; RS256 or ES256 public keys (PEM) and a JWKS file may be added.
public struct TokenAuthority: Sendable {
    /// Where the keys come from.
    public struct Configuration: Sendable {
        /// The HS256 secret (`RELAY_JWT_SECRET`).
        public var secret: String?
        /// PEM of an RSA (RS256) or EC P-256 (ES256) public key (`RELAY_JWT_PUBLIC_KEY_FILE`).
        public var publicKeyPEM: String?
        /// A JWKS document (`RELAY_JWKS_FILE`).
        public var jwksJSON: String?

        public init(secret: String? = nil, publicKeyPEM: String? = nil, jwksJSON: String? = nil) {
            self.secret = secret
            self.publicKeyPEM = publicKeyPEM
            self.jwksJSON = jwksJSON
        }

        /// The shortest HS256 secret accepted outside development.
        public static let minimumSecretLength = 32

        /// Why the secret is too weak to run in production, or nil when it is fine.
        public var secretWeakness: String? {
            guard let secret, !secret.isEmpty else {
                return publicKeyPEM == nil && jwksJSON == nil ? "RELAY_JWT_SECRET is not set" : nil
            }
            if secret.utf8.count < Self.minimumSecretLength {
                return "RELAY_JWT_SECRET has fewer than \(Self.minimumSecretLength) bytes"
            }
            if Set(secret).count < 8 { return "RELAY_JWT_SECRET repeats too few characters" }
            return nil
        }
    }

    let keys: JWTKeyCollection
    public let canSign: Bool

    public init(configuration: Configuration) async throws {
        let keys = JWTKeyCollection()
        var canSign = false
        if let secret = configuration.secret, !secret.isEmpty {
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            canSign = true
        }
        if let pem = configuration.publicKeyPEM {
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                await keys.add(rsa: rsa, digestAlgorithm: .sha256, kid: "relay-rs256")
            } else if let ecdsa = try? ES256PublicKey(pem: pem) {
                await keys.add(ecdsa: ecdsa, kid: "relay-es256")
            } else {
                throw IngressError(.invalidRequest, "the JWT public key is neither an RSA nor a P-256 PEM public key")
            }
        }
        if let jwks = configuration.jwksJSON {
            do {
                try await keys.add(jwksJSON: jwks)
            } catch {
                throw IngressError(.invalidRequest, "the JWKS file is not a valid JWKS document")
            }
        }
        self.keys = keys
        self.canSign = canSign
    }

    /// The identity a token speaks for; UNAUTHORIZED when it is malformed, badly signed or expired.
    public func verify(_ token: String) async throws -> Identity {
        guard !token.isEmpty, token.utf8.count <= 8192 else {
            throw IngressError(.unauthorized, "a bearer token is required")
        }
        let claims: RelayClaims
        do {
            claims = try await keys.verify(token, as: RelayClaims.self, iteratingKeys: true)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw IngressError(.unauthorized, "the token has expired or its claims are invalid")
        } catch {
            throw IngressError(.unauthorized, "the token is invalid")
        }
        return claims.identity
    }

    /// Mints an HS256 token (for `relay token` and tests).
    public func sign(_ identity: Identity, ttl: Duration) async throws -> String {
        guard canSign else { throw IngressError(.invalidRequest, "no HS256 secret is configured to sign with") }
        let seconds = Double(ttl.components.seconds)
        let claims = RelayClaims(
            userId: identity.userId, roles: identity.roles, permissions: identity.permissions,
            expires: Date().addingTimeInterval(seconds)
        )
        return try await keys.sign(claims)
    }

    /// The bearer token of a request: `Authorization: Bearer`, `x-api-key`, or (WebSocket) `?token=`.
    public static func token(authorization: String?, apiKey: String?, query: String?) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        if let apiKey, !apiKey.isEmpty { return apiKey }
        if let query, !query.isEmpty { return query }
        return nil
    }
}
