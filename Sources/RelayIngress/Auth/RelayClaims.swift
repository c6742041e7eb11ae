import Foundation
import JWTKit

/// The claims of a Relay token: `sub` is the user id; `roles` and `permissions` grant access.
///
/// `scope` (a space-separated string, as OAuth servers issue it) is read as more permissions.
public struct RelayClaims: JWTPayload, Sendable {
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim?
    public var roles: [String]?
    public var permissions: [String]?
    public var scope: String?

    public init(userId: String, roles: [String], permissions: [String], expires: Date, issued: Date = Date()) {
        sub = SubjectClaim(value: userId)
        exp = ExpirationClaim(value: expires)
        iat = IssuedAtClaim(value: issued)
        self.roles = roles
        self.permissions = permissions
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard !sub.value.isEmpty else { throw JWTError.claimVerificationFailure(failedClaim: sub, reason: "empty subject") }
    }

    var identity: Identity {
        let scopes = scope.map { $0.split(separator: " ").map(String.init) } ?? []
        return Identity(userId: sub.value, roles: roles ?? [], permissions: (permissions ?? []) + scopes)
    }
}
