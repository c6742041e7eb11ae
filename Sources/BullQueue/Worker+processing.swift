import Logging
import RelayRedis
import Synchronization

extension Worker {
    enum Outcome {
        case completed(JSONValue)
        case failed(String, retryable: Bool)
    }

    /// Processes a job, then every job the finishing calls hand over, then frees the slot.
    func handle(_ job: Job, token: String) async {
        var next: (Job, String)? = (job, token)
        while let (job, token) = next {
            next = await process(job, token: token)
        }
        releaseSlot()
    }

    private func process(_ job: Job, token: String) async -> (Job, String)? {
        let outcome = await execute(job, token: token)
        state.withLock { _ = $0.held.removeValue(forKey: job.id) }
        do {
            switch outcome {
            case .completed(let value):
                let reply = try await finish(job, token: token, completed: true, value: value.json, stacktrace: nil)
                eventSink.yield(.completed(job, returnValue: value))
                return nextJob(from: reply, token: token)
            case .failed(let reason, let retryable):
                let attemptsMade = job.attemptsMade + 1
                var stacktrace = job.stacktrace + [reason]
                if let limit = job.options.stackTraceLimit, stacktrace.count > limit {
                    stacktrace.removeFirst(stacktrace.count - limit)
                }
                let stack = JSONValue.array(stacktrace.map(JSONValue.string)).json
                if retryable && attemptsMade < job.attemptsAllowed {
                    try await retry(job, token: token, reason: reason, stacktrace: stack, attemptsMade: attemptsMade)
                    eventSink.yield(.failed(job, reason: reason, willRetry: true))
                    return nil
                }
                let reply = try await finish(job, token: token, completed: false, value: reason, stacktrace: stack)
                eventSink.yield(.failed(job, reason: reason, willRetry: false))
                return nextJob(from: reply, token: token)
            }
        } catch {
            eventSink.yield(.error("finishing job \(job.id) failed: \(error)"))
            logger.warning("finishing a job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return nil
        }
    }

    /// Runs the processor, honouring the job's timeout and cancellation; a deferred failure skips it.
    private func execute(_ job: Job, token: String) async -> Outcome {
        if let deferred = job.deferredFailure { return .failed(deferred, retryable: false) }
        if let reason = job.cancelReason { return .failed("cancelled: \(reason)", retryable: false) }
        let context = JobContext(job: job, token: token, queue: queue)
        let processor = self.processor
        let stopReason = Mutex<String?>(nil)
        let task = Task { try await processor(context) }
        let cancel: @Sendable (String) -> Void = { reason in
            stopReason.withLock { if $0 == nil { $0 = reason } }
            task.cancel()
        }
        let timeout = job.options.timeout.map { Duration.milliseconds($0) } ?? options.defaultTimeout
        let deadline = timeout.map { ContinuousClock.now + $0 }
        state.withLock { $0.held[job.id] = HeldJob(token: token, cancel: cancel, deadline: deadline) }
        do {
            let value = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            return .completed(value)
        } catch let error as UnrecoverableError {
            return .failed(error.message, retryable: false)
        } catch {
            switch stopReason.withLock({ $0 }) {
            case "timeout"?:
                return .failed("job timed out after \(timeout?.milliseconds ?? 0) ms", retryable: true)
            case let reason?:
                return .failed("cancelled: \(reason)", retryable: false)
            case nil:
                return .failed(String(describing: error), retryable: true)
            }
        }
    }

    private func finish(_ job: Job, token: String, completed: Bool, value: String, stacktrace: String?) async throws -> RedisValue {
        let keys = queue.keys
        let keep = (completed ? job.options.removeOnComplete ?? options.removeOnComplete
            : job.options.removeOnFail ?? options.removeOnFail) ?? .keepAll
        let reply = try await queue.redis.evaluate(
            queue.scripts.moveToFinished,
            keys: [keys.wait, keys.active, keys.prioritized, keys.delayed, keys.events, keys.meta, keys.limiter,
                   keys.marker, keys.pc, keys.stalled, completed ? keys.completed : keys.failed],
            arguments: [
                keys.base, job.id, token, QueueClock.now(), completed ? "completed" : "failed", value,
                stacktrace ?? "", job.attemptsAllowed, keep.count, keep.age.map(String.init) ?? "", keep.limit ?? 1000,
                isStopping ? "0" : "1", options.lockDuration.milliseconds,
            ] + limiterArguments
        )
        if let code = reply.int, code < 0 {
            throw QueueError.scriptCode(code, jobId: job.id, operation: "moveToFinished")
        }
        return reply
    }

    private func retry(_ job: Job, token: String, reason: String, stacktrace: String, attemptsMade: Int) async throws {
        let keys = queue.keys
        let delay = job.options.backoff?.delay(afterAttempts: attemptsMade) ?? 0
        let reply: RedisValue
        if delay > 0 {
            reply = try await queue.redis.evaluate(
                queue.scripts.moveToDelayed,
                keys: [keys.active, keys.delayed, keys.events, keys.meta, keys.marker, keys.stalled],
                arguments: [keys.base, job.id, token, delay, reason, stacktrace]
            )
        } else {
            reply = try await queue.redis.evaluate(
                queue.scripts.retryJob,
                keys: [keys.active, keys.wait, keys.prioritized, keys.pc, keys.events, keys.meta, keys.marker,
                       keys.stalled],
                arguments: [keys.base, job.id, token, reason, stacktrace]
            )
        }
        if let code = reply.int, code < 0 { throw QueueError.scriptCode(code, jobId: job.id, operation: "retry") }
    }

    /// The job a finishing call fetched, if any; the script locked it with the finishing job's token.
    private func nextJob(from reply: RedisValue, token: String) -> (Job, String)? {
        if case .job(let job, let token, _, _) = Self.fetchResult(reply, token: token) { return (job, token) }
        return nil
    }
}
