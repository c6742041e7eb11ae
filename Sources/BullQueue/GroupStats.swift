/// One group's (Relay: one user's) share of a queue: jobs running, jobs queued, and its concurrency.
public struct GroupStats: Sendable, Hashable {
    public let group: String
    /// Jobs holding one of the group's slots (active, or stalled and not yet recovered).
    public let active: Int
    /// Ready jobs queued in the group, waiting for their turn and a free slot.
    public let queued: Int
    /// The group's own limit, set with ``Queue/setGroupConcurrency(_:group:)``; nil when it follows the default.
    public let override: Int?
    /// The queue's default per group; nil for unlimited.
    public let defaultLimit: Int?

    public init(group: String, active: Int, queued: Int, override: Int?, defaultLimit: Int?) {
        self.group = group
        self.active = active
        self.queued = queued
        self.override = override
        self.defaultLimit = defaultLimit
    }

    /// The limit in force: the override, else the default; nil for unlimited.
    public var limit: Int? { override ?? defaultLimit }
}
