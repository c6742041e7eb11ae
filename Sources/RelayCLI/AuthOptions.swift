import ArgumentParser
import Foundation
import RelayIngress

/// Where the ingress's token keys come from: `RELAY_JWT_SECRET` (HS256), optionally `RELAY_JWT_PUBLIC_KEY_FILE`
/// (RS256/ES256 PEM) and `RELAY_JWKS_FILE`; flags override them.
struct AuthOptions: ParsableArguments {
    @Option(name: .customLong("jwt-secret"), help: "HS256 secret (default: $RELAY_JWT_SECRET).")
    var secret: String?

    @Option(name: .customLong("jwt-public-key"), help: "PEM file of an RS256 or ES256 public key (default: $RELAY_JWT_PUBLIC_KEY_FILE).")
    var publicKeyFile: String?

    @Option(name: .customLong("jwks"), help: "JWKS file (default: $RELAY_JWKS_FILE).")
    var jwksFile: String?

    /// The secret `relay dev` and `relay token` fall back to when none is set. A server outside development mode
    /// refuses to start without a strong secret, so tokens signed with this one work only in development.
    static let developmentSecret = "relay-development-secret-never-use-in-production"

    func configuration(development: Bool) throws -> TokenAuthority.Configuration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = TokenAuthority.Configuration(secret: secret ?? environment["RELAY_JWT_SECRET"])
        if let path = publicKeyFile ?? environment["RELAY_JWT_PUBLIC_KEY_FILE"] {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the JWT public key file \(path)")
            }
            configuration.publicKeyPEM = pem
        }
        if let path = jwksFile ?? environment["RELAY_JWKS_FILE"] {
            guard let jwks = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the JWKS file \(path)")
            }
            configuration.jwksJSON = jwks
        }
        if let weakness = configuration.secretWeakness {
            guard development else {
                throw ValidationError("\(weakness): outside development Relay needs a random secret of at least \(TokenAuthority.Configuration.minimumSecretLength) bytes (or a public key)")
            }
            if configuration.secret?.isEmpty ?? true { configuration.secret = Self.developmentSecret }
        }
        return configuration
    }
}

/// Whether this process runs in development mode: `relay dev`, or `RELAY_ENV=development`.
func isDevelopment(_ command: String) -> Bool {
    command == "dev" || ProcessInfo.processInfo.environment["RELAY_ENV"] == "development"
}
