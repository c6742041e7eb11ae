/// Who a verified token speaks for: the user id (`sub`), roles and permissions from its claims.
public struct Identity: Sendable, Hashable {
    public static let submitPermission = "services:use"
    public static let adminRole = "admin"

    public var userId: String
    public var roles: [String]
    public var permissions: [String]

    public init(userId: String, roles: [String] = [], permissions: [String] = []) {
        self.userId = userId
        self.roles = roles
        self.permissions = permissions
    }

    public var isAdmin: Bool { roles.contains(Self.adminRole) }

    /// Whether the identity may submit requests: `services:use`, or the admin role.
    public var maySubmit: Bool { isAdmin || permissions.contains(Self.submitPermission) }

    /// Throws FORBIDDEN unless the identity may submit requests.
    public func requireSubmit() throws {
        guard maySubmit else {
            throw IngressError(.forbidden, "the token lacks the '\(Self.submitPermission)' permission")
        }
    }
}
