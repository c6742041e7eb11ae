import ArgumentParser
import Foundation
import RelayIngress

/// `relay token`: mints a development token with the configured secret.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint an HS256 token for a user (with $RELAY_JWT_SECRET, else the development secret).",
        discussion: "The token alone goes to standard output: curl -H \"Authorization: Bearer $(relay token --user alice)\" …"
    )

    @Option(help: "The user id (the token's sub).")
    var user: String

    @Option(name: .customLong("role"), help: "A role; repeat for several (admin grants everything).")
    var roles: [String] = []

    @Option(name: .customLong("permission"), help: "A permission; repeat for several (default: services:use).")
    var permissions: [String] = []

    @Option(help: "Seconds until the token expires.")
    var ttl: Int = 86_400

    @OptionGroup var auth: AuthOptions

    func run() async throws {
        try validateUser(user)
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        let configuration = try auth.configuration(development: true)
        if configuration.secret == AuthOptions.developmentSecret {
            FileHandle.standardError.write(Data("note: RELAY_JWT_SECRET is not set; the token is signed with the development secret\n".utf8))
        }
        let authority = try await TokenAuthority(configuration: configuration)
        let identity = Identity(
            userId: user, roles: roles, permissions: permissions.isEmpty ? [Identity.submitPermission] : permissions
        )
        print(try await authority.sign(identity, ttl: .seconds(ttl)))
    }
}
