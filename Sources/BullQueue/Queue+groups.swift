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
            keys: [keys.groupConcurrency, keys.meta, keys.marker, keys.active, keys.groupsWaiting],
            arguments: [keys.base, group, limit.map(String.init) ?? ""]
        )
    }

    /// The default concurrency per group; nil for unlimited.
    public func defaultGroupConcurrency() async throws -> Int? {
        try await redis.send("HGET", keys.groupConcurrency, "").string.flatMap { Int($0) }
    }

    /// Every group with jobs active or queued, or an override, sorted by name. Groups with active jobs are found
    /// through the jobs in `active` (Relay keeps no list of them on the hot path), so this reads every active job.
    public func groupStats() async throws -> [GroupStats] {
        let replies = try await redis.pipeline([
            RedisCommand("SMEMBERS", keys.groupsWaiting), RedisCommand("HGETALL", keys.groupConcurrency),
            RedisCommand("LRANGE", keys.active, 0, -1),
        ])
        let overrides = Self.counts(replies[1])
        var groups = Set(replies[0].array?.compactMap(\.string) ?? []).union(overrides.keys.filter { !$0.isEmpty })
        let activeIDs = replies[2].array?.compactMap(\.string) ?? []
        for start in stride(from: 0, to: activeIDs.count, by: 1000) {
            let holders = try await redis.pipeline(activeIDs[start..<min(activeIDs.count, start + 1000)].map {
                RedisCommand("HMGET", keys.job($0), "gid", "gact")
            })
            for fields in holders {
                if let pair = fields.array, pair.count == 2, let group = pair[0].string, pair[1].string != nil {
                    groups.insert(group)
                }
            }
        }
        let sorted = groups.sorted()
        var stats: [GroupStats] = []
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let batch = sorted[start..<min(sorted.count, start + 500)]
            let counts = try await redis.pipeline(batch.flatMap {
                [RedisCommand("GET", keys.groupActive($0)), RedisCommand("LLEN", keys.groupWait($0)),
                 RedisCommand("ZCARD", keys.groupPrioritized($0))]
            })
            for (offset, group) in batch.enumerated() {
                stats.append(GroupStats(
                    group: group, active: counts[3 * offset].string.flatMap { Int($0) } ?? 0,
                    queued: (counts[3 * offset + 1].int ?? 0) + (counts[3 * offset + 2].int ?? 0),
                    override: overrides[group], defaultLimit: overrides[""]
                ))
            }
        }
        return stats
    }

    /// One group's figures (zeros for a group the queue has not seen).
    public func groupStats(group: String) async throws -> GroupStats {
        let replies = try await redis.pipeline([
            RedisCommand("GET", keys.groupActive(group)), RedisCommand("LLEN", keys.groupWait(group)),
            RedisCommand("ZCARD", keys.groupPrioritized(group)), RedisCommand("HGET", keys.groupConcurrency, group),
            RedisCommand("HGET", keys.groupConcurrency, ""),
        ])
        func int(_ index: Int) -> Int? { replies[index].string.flatMap { Int($0) } }
        return GroupStats(
            group: group, active: int(0) ?? 0, queued: (replies[1].int ?? 0) + (replies[2].int ?? 0),
            override: int(3), defaultLimit: int(4)
        )
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
