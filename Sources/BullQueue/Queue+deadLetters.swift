import RelayRedis

/// How a claimed dead letter ends (see ``Queue/claimDeadLetters(finishedBefore:limit:lease:)``).
public enum DeadLetterSettlement: String, Sendable, CaseIterable {
    /// Ready again (in its group's queue when it has one), its attempts reset; event `waiting` prev `failed`.
    case retry
    /// Removed with all its keys; event `removed` prev `failed`.
    case delete
    /// Back in `failed`, untouched.
    case release
}

/// Dead letters: jobs in `failed`, i.e. failed for good (attempts exhausted, unrecoverable, cancelled).
/// Claiming moves them to `<base>dlq` so that concurrent runs never take the same job.
extension Queue {
    /// Failed jobs that finished at or before `finishedBefore` (ms), oldest first, without claiming them.
    public func deadLetters(finishedBefore: Int = Int(Int32.max) * 1000, limit: Int = 100) async throws -> [Job] {
        let ids = try await redis.send("ZRANGEBYSCORE", keys.failed, 0, finishedBefore, "LIMIT", 0, limit)
            .array?.compactMap(\.string) ?? []
        let replies = try await redis.pipeline(ids.map { RedisCommand("HGETALL", keys.job($0)) })
        return zip(ids, replies).compactMap { Job(id: $0, flatFields: $1.array?.compactMap(\.string) ?? []) }
    }

    /// How many failed jobs finished at or before `finishedBefore`, and how many are claimed by a run right now.
    public func deadLetterCounts(finishedBefore: Int = Int(Int32.max) * 1000) async throws -> (failed: Int, claimed: Int) {
        let replies = try await redis.pipeline([
            RedisCommand("ZCOUNT", keys.failed, 0, finishedBefore), RedisCommand("ZCARD", keys.deadLetterClaims),
        ])
        return (replies[0].int ?? 0, replies[1].int ?? 0)
    }

    /// Claims up to `limit` dead letters that finished at or before `finishedBefore`, oldest first, plus claims
    /// older than `lease` ms (a run that died); only `jobIds` when given. No other run gets them until they are
    /// settled or the lease passes.
    public func claimDeadLetters(
        finishedBefore: Int, limit: Int, lease: Int = 600_000, jobIds: [String] = []
    ) async throws -> [String] {
        guard limit > 0 else { return [] }
        let reply = try await redis.evaluate(
            scripts.claimDeadLetters,
            keys: [keys.failed, keys.deadLetterClaims],
            arguments: [finishedBefore, limit, QueueClock.now(), lease] + jobIds
        )
        return reply.array?.compactMap(\.string) ?? []
    }

    /// Ends a claim; false when the job was not claimed (another run settled it).
    @discardableResult
    public func settleDeadLetter(jobId: String, _ settlement: DeadLetterSettlement) async throws -> Bool {
        let reply = try await redis.evaluate(
            scripts.settleDeadLetter,
            keys: [keys.deadLetterClaims, keys.failed, keys.wait, keys.prioritized, keys.pc, keys.events, keys.meta,
                   keys.marker, keys.active],
            arguments: [keys.base, jobId, settlement.rawValue]
        )
        return reply.int == 1
    }

    /// A job's hash as field → value (for archiving it whole).
    public func jobFields(_ id: String) async throws -> [String: String] {
        let flat = try await redis.send("HGETALL", keys.job(id)).array?.compactMap(\.string) ?? []
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            fields[flat[index]] = flat[index + 1]
            index += 2
        }
        return fields
    }
}
