import RelayRedis

/// Relay's groups: a job added with ``JobOptions/group`` waits in its group's queue; groups with ready jobs and a
/// free slot are served round-robin, and a group never has more jobs active than its limit, across every worker.
/// See `Scripts/includes/groups.lua` for the keys.
extension Queue {
    /// Sets (or clears, with nil) one group's concurrency; effective at once and kept in Redis (`gc`).
    public func setGroupConcurrency(_ limit: Int?, group: String) async throws {
        guard !group.isEmpty else { throw QueueError(.invalidOptions, "the group must not be empty") }
        try await setGroupLimit(limit, group: group)
    }

    /// Sets (or clears, with nil: unlimited) the default concurrency per group (the field "" of `gc`,
    /// which no group id can be).
    public func setDefaultGroupConcurrency(_ limit: Int?) async throws {
        try await setGroupLimit(limit, group: "")
    }

    private func setGroupLimit(_ limit: Int?, group: String) async throws {
        if let limit, limit < 1 { throw QueueError(.invalidOptions, "a group's concurrency must be positive") }
        try await redis.evaluate(
            scripts.setGroupConcurrency,
            keys: [keys.groupConcurrency, keys.meta, keys.marker, keys.active, keys.groupQueued],
            arguments: [keys.base, group, limit.map(String.init) ?? ""]
        )
    }

    /// The default concurrency per group; nil for unlimited.
    public func defaultGroupConcurrency() async throws -> Int? {
        try await redis.send("HGET", keys.groupConcurrency, "").string.flatMap { Int($0) }
    }

    /// Every group with jobs active or queued, or an override, sorted by name.
    public func groupStats() async throws -> [GroupStats] {
        let replies = try await redis.pipeline([
            RedisCommand("HGETALL", keys.groupActive), RedisCommand("HGETALL", keys.groupQueued),
            RedisCommand("HGETALL", keys.groupConcurrency), RedisCommand("HGET", keys.groupConcurrency, ""),
        ])
        let active = Self.counts(replies[0]), queued = Self.counts(replies[1])
        let overrides = Self.counts(replies[2]).filter { !$0.key.isEmpty }
        let defaultLimit = replies[3].string.flatMap { Int($0) }
        let groups = Set(active.keys).union(queued.keys).union(overrides.keys).sorted()
        return groups.map {
            GroupStats(group: $0, active: active[$0] ?? 0, queued: queued[$0] ?? 0, override: overrides[$0],
                       defaultLimit: defaultLimit)
        }
    }

    /// One group's figures (zeros for a group the queue has not seen).
    public func groupStats(group: String) async throws -> GroupStats {
        let replies = try await redis.pipeline([
            RedisCommand("HGET", keys.groupActive, group), RedisCommand("HGET", keys.groupQueued, group),
            RedisCommand("HGET", keys.groupConcurrency, group), RedisCommand("HGET", keys.groupConcurrency, ""),
        ])
        func int(_ index: Int) -> Int? { replies[index].string.flatMap { Int($0) } }
        return GroupStats(group: group, active: int(0) ?? 0, queued: int(1) ?? 0, override: int(2), defaultLimit: int(3))
    }

    private static func counts(_ reply: RedisValue) -> [String: Int] {
        let flat = reply.array?.compactMap(\.string) ?? []
        var result: [String: Int] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let value = Int(flat[index + 1]) { result[flat[index]] = value }
            index += 2
        }
        return result
    }
}
