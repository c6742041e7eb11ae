import RelayRedis

extension Queue {
    /// The states `getJobCounts()` reports by default, as BullMQ v6 does.
    public static let countedStates: [JobState] = [
        .active, .completed, .delayed, .failed, .prioritized, .waiting, .waitingChildren,
    ]

    /// Jobs per state (LLEN for lists, ZCARD for sorted sets), read in one pipeline. `waiting` also counts the
    /// grouped jobs queued in their groups (BullMQ clients, which do not know groups, count only `wait`).
    public func getJobCounts(_ states: [JobState] = Queue.countedStates) async throws -> [JobState: Int] {
        let counted = states.filter { $0.keySuffix != nil }
        let replies = try await redis.pipeline(counted.map { state in
            RedisCommand(state.isList ? "LLEN" : "ZCARD", keys.key(state.keySuffix!))
        } + [RedisCommand("SMEMBERS", keys.groupsWaiting)])
        var counts: [JobState: Int] = [:]
        for (state, reply) in zip(counted, replies) { counts[state] = reply.int ?? 0 }
        let groups = replies.last?.array?.compactMap(\.string) ?? []
        if counts[.waiting] != nil {
            for start in stride(from: 0, to: groups.count, by: 500) {
                let queued = try await redis.pipeline(groups[start..<min(groups.count, start + 500)].flatMap {
                    [RedisCommand("LLEN", keys.groupWait($0)), RedisCommand("ZCARD", keys.groupPrioritized($0))]
                })
                counts[.waiting, default: 0] += queued.reduce(0) { $0 + ($1.int ?? 0) }
            }
        }
        return counts
    }

    /// A job, or nil when it does not exist.
    public func getJob(_ id: String) async throws -> Job? {
        let reply = try await redis.send("HGETALL", keys.job(id))
        return Job(id: id, flatFields: reply.array?.compactMap(\.string) ?? [])
    }

    /// The state of a job, `.unknown` when it is in none; a grouped job queued in its group is `.waiting`.
    public func getJobState(_ id: String) async throws -> JobState {
        let reply = try await redis.evaluate(
            scripts.getState,
            keys: [keys.completed, keys.failed, keys.delayed, keys.prioritized, keys.active, keys.wait,
                   keys.waitingChildren, keys.paused],
            arguments: [id, keys.base]
        )
        return reply.string.flatMap(JobState.init(rawValue:)) ?? .unknown
    }

    /// Jobs in the given states, newest first unless `ascending`, from `start` to `end` (inclusive) per state.
    public func getJobs(_ states: [JobState], start: Int = 0, end: Int = -1, ascending: Bool = false) async throws -> [Job] {
        var ids: [String] = []
        for state in states {
            guard let suffix = state.keySuffix else { continue }
            let key = keys.key(suffix)
            let reply: RedisValue
            if state.isList {
                // Lists hold the newest job on the left.
                if ascending {
                    let length = try await redis.send("LLEN", key).int ?? 0
                    let from = end < 0 ? 0 : max(0, length - 1 - end)
                    let to = length - 1 - start
                    reply = try await redis.send("LRANGE", key, from, to)
                    ids += (reply.array?.compactMap(\.string) ?? []).reversed()
                    continue
                }
                reply = try await redis.send("LRANGE", key, start, end)
            } else {
                reply = try await redis.send(ascending ? "ZRANGE" : "ZREVRANGE", key, start, end)
            }
            ids += reply.array?.compactMap(\.string) ?? []
        }
        let replies = try await redis.pipeline(ids.map { RedisCommand("HGETALL", keys.job($0)) })
        return zip(ids, replies).compactMap { id, reply in
            Job(id: id, flatFields: reply.array?.compactMap(\.string) ?? [])
        }
    }

    /// A job's log lines and how many there are.
    public func getJobLogs(_ id: String, start: Int = 0, end: Int = -1) async throws -> (logs: [String], count: Int) {
        let replies = try await redis.pipeline([
            RedisCommand("LRANGE", keys.job(id) + ":logs", start, end),
            RedisCommand("LLEN", keys.job(id) + ":logs"),
        ])
        return (replies[0].array?.compactMap(\.string) ?? [], replies[1].int ?? 0)
    }

    public func isPaused() async throws -> Bool {
        try await redis.send("HEXISTS", keys.meta, "paused").int == 1
    }
}
