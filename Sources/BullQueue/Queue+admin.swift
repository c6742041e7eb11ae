import RelayRedis

extension Queue {
    /// Pauses the queue (v6: jobs stay in `wait`, workers stop taking them).
    public func pause() async throws {
        try await redis.evaluate(scripts.pause, keys: pauseKeys, arguments: ["paused"])
    }

    public func resume() async throws {
        try await redis.evaluate(scripts.pause, keys: pauseKeys, arguments: ["resumed"])
    }

    private var pauseKeys: [any RedisArgumentConvertible] {
        [keys.meta, keys.events, keys.marker, keys.wait, keys.prioritized, keys.delayed, keys.paused, keys.groupRing]
    }

    /// Removes waiting and prioritized jobs, and delayed ones when `delayed`; returns how many.
    @discardableResult
    public func drain(delayed: Bool = false) async throws -> Int {
        try await redis.evaluate(
            scripts.drain,
            keys: [keys.wait, keys.prioritized, keys.delayed, keys.pc, keys.paused],
            arguments: [keys.base, delayed ? "1" : "0"]
        ).int ?? 0
    }

    /// Removes jobs of `state` older than `grace` ms (finishedOn for finished jobs, else timestamp), at most `limit`
    /// (0 = all); returns their ids.
    @discardableResult
    public func clean(grace: Int, limit: Int = 0, state: JobState = .completed) async throws -> [String] {
        guard let suffix = state.keySuffix else { throw QueueError(.invalidOptions, "cannot clean state \(state)") }
        let reply = try await redis.evaluate(
            scripts.cleanJobsInSet,
            keys: [keys.key(suffix), keys.events, keys.meta],
            arguments: [keys.base, QueueClock.now() - grace, limit, state.rawValue]
        )
        return reply.array?.compactMap(\.string) ?? []
    }

    /// Deletes the queue and all its jobs. The queue is paused first; with active jobs it throws unless `force`.
    public func obliterate(force: Bool = false, batch: Int = 1000) async throws {
        try await pause()
        while true {
            let code = try await redis.evaluate(
                scripts.obliterate,
                keys: [keys.meta, keys.active],
                arguments: [keys.base, batch, force ? "1" : "0"]
            ).int ?? 0
            switch code {
            case 0: return
            case 1: continue
            case -1: throw QueueError(.notPaused, "the queue must be paused to obliterate it")
            default: throw QueueError(.activeJobs, "the queue has active jobs; obliterate with force to delete them")
            }
        }
    }

    /// Moves failed (or completed) jobs that finished before `finishedBefore` back to waiting, in batches.
    public func retryJobs(state: JobState = .failed, count: Int = 1000, finishedBefore: Int? = nil) async throws {
        guard state == .failed || state == .completed else {
            throw QueueError(.invalidOptions, "only failed or completed jobs can be retried")
        }
        try await moveJobsToWait(from: state, count: count, finishedBefore: finishedBefore ?? QueueClock.now())
    }

    /// Makes every delayed job ready now, in batches of `count`.
    public func promoteJobs(count: Int = 1000) async throws {
        try await moveJobsToWait(from: .delayed, count: count, finishedBefore: 0)
    }

    private func moveJobsToWait(from state: JobState, count: Int, finishedBefore: Int) async throws {
        guard count > 0 else { throw QueueError(.invalidOptions, "count must be positive") }
        while try await redis.evaluate(
            scripts.moveJobsToWait,
            keys: [keys.key(state.keySuffix!), keys.wait, keys.events, keys.meta, keys.marker, keys.active],
            arguments: [keys.base, count, finishedBefore, state.rawValue]
        ).int == 1 {}
    }

    /// Makes one delayed job ready now.
    public func promote(jobId: String) async throws {
        let code = try await redis.evaluate(
            scripts.promote,
            keys: [keys.delayed, keys.wait, keys.prioritized, keys.pc, keys.events, keys.meta, keys.marker, keys.active],
            arguments: [keys.base, jobId]
        ).int ?? 0
        if code < 0 { throw QueueError.scriptCode(code, jobId: jobId, operation: "promote") }
    }

    /// Removes a job no worker holds. Returns false when a worker holds it; throws when it does not exist.
    @discardableResult
    public func remove(jobId: String) async throws -> Bool {
        let code = try await redis.evaluate(
            scripts.removeJob,
            keys: [keys.wait, keys.active, keys.prioritized, keys.delayed, keys.completed, keys.failed,
                   keys.waitingChildren, keys.paused, keys.events, keys.meta],
            arguments: [keys.base, jobId]
        ).int ?? 0
        if code < 0 { throw QueueError.scriptCode(code, jobId: jobId, operation: "remove") }
        return code == 1
    }

    /// Caps how many jobs of this queue are active at once across all workers; nil removes the cap.
    public func setGlobalConcurrency(_ concurrency: Int?) async throws {
        if let concurrency {
            guard concurrency > 0 else { throw QueueError(.invalidOptions, "concurrency must be positive") }
            try await redis.send("HSET", keys.meta, "concurrency", concurrency)
        } else {
            try await redis.send("HDEL", keys.meta, "concurrency")
        }
    }

    public func globalConcurrency() async throws -> Int? {
        try await redis.send("HGET", keys.meta, "concurrency").int
    }

    /// At most `max` jobs start per `duration` ms across all workers.
    public func setGlobalRateLimit(max: Int, duration: Int) async throws {
        guard max > 0, duration > 0 else { throw QueueError(.invalidOptions, "max and duration must be positive") }
        try await redis.send("HSET", keys.meta, "max", max, "duration", duration)
    }

    public func removeGlobalRateLimit() async throws {
        try await redis.send("HDEL", keys.meta, "max", "duration")
    }

    /// Stops every worker from taking jobs for `milliseconds` (manual rate limit).
    public func rateLimit(milliseconds: Int) async throws {
        guard milliseconds > 0 else { throw QueueError(.invalidOptions, "the rate limit must be positive") }
        try await redis.send("SET", keys.limiter, 9_007_199_254_740_991, "PX", milliseconds)
    }

    /// Milliseconds left of the current rate limit, 0 when none.
    public func rateLimitTTL() async throws -> Int {
        max(0, try await redis.send("PTTL", keys.limiter).int ?? 0)
    }
}

/// What ``Queue/cancel(jobId:reason:)`` did.
public enum CancelOutcome: Sendable, Equatable {
    /// The job had not started; it is now failed.
    case failedBeforeStart
    /// The job is running; the Relay worker holding it was told to stop it.
    case signalled
    /// The job had already finished.
    case alreadyFinished
}

extension Queue {
    /// Cancels a job from any process: one not started fails at once, a running one is stopped by its Relay worker
    /// and failed without retries. BullMQ workers are unaffected and finish their jobs as usual.
    @discardableResult
    public func cancel(jobId: String, reason: String = "cancelled by request") async throws -> CancelOutcome {
        let code = try await redis.evaluate(
            scripts.cancelJob,
            keys: [keys.wait, keys.active, keys.prioritized, keys.delayed, keys.failed, keys.events, keys.meta, keys.paused],
            arguments: [keys.base, jobId, reason, QueueClock.now(), keys.cancelChannel]
        ).int ?? 0
        switch code {
        case 2: return .failedBeforeStart
        case 1: return .signalled
        case 0: return .alreadyFinished
        default: throw QueueError.scriptCode(code, jobId: jobId, operation: "cancel")
        }
    }
}
