import Logging
import RelayRedis
import Synchronization

extension Worker {
    /// Renews the locks of every held job in one call, every ``WorkerOptions/renewInterval``.
    func renewLocksPeriodically() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: options.renewInterval)
            } catch {
                return
            }
            let held = state.withLock { $0.held.map { ($0.key, $0.value.token) } }
            guard !held.isEmpty else { continue }
            do {
                let lost = try await queue.redis.evaluate(
                    queue.scripts.extendLocks,
                    keys: [queue.keys.stalled],
                    arguments: [queue.keys.base, options.lockDuration.milliseconds] + held.flatMap { [$0.0, $0.1] }
                )
                let parts = lost.array ?? []
                for jobId in parts.first?.array?.compactMap(\.string) ?? [] {
                    logger.warning("lock renewal failed", metadata: ["queue": "\(queue.name)", "job": "\(jobId)"])
                    eventSink.yield(.lockLost(jobId: jobId))
                }
                for jobId in parts.last?.array?.compactMap(\.string) ?? [] where parts.count == 2 {
                    await cancelHeldJob(jobId)
                }
            } catch {
                eventSink.yield(.error("renewing locks failed: \(error)"))
            }
        }
    }

    /// Stops the processor of a held job that ``Queue/cancel(jobId:reason:)`` cancelled.
    func cancelHeldJob(_ jobId: String) async {
        guard let held = state.withLock({ $0.held[jobId] }) else { return }
        let reason = (try? await queue.redis.send("HGET", queue.keys.job(jobId), "cxl").string) ?? "cancelled"
        logger.info("cancelling job", metadata: ["queue": "\(queue.name)", "job": "\(jobId)"])
        held.cancel(reason)
    }

    /// Hears cancellations published by ``Queue/cancel(jobId:reason:)`` from any process.
    func listenForCancellations(_ subscription: RedisSubscription) async {
        do {
            for try await message in subscription {
                await cancelHeldJob(message.text)
            }
        } catch {
            return
        }
    }

    /// Runs the stalled-job check at start and then every ``WorkerOptions/stalledInterval``.
    func checkStalledPeriodically() async {
        while !Task.isCancelled {
            do {
                let keys = queue.keys
                let recovered = try await queue.redis.evaluate(
                    queue.scripts.moveStalledJobsToWait,
                    keys: [keys.stalled, keys.wait, keys.active, keys.stalledCheck, keys.meta, keys.events, keys.marker],
                    arguments: [keys.base, options.maxStalledCount, QueueClock.now(), options.stalledInterval.milliseconds]
                ).array?.compactMap(\.string) ?? []
                if !recovered.isEmpty {
                    logger.info("stalled jobs moved back to waiting", metadata: ["queue": "\(queue.name)", "jobs": "\(recovered)"])
                    eventSink.yield(.stalled(recovered))
                }
            } catch {
                eventSink.yield(.error("the stalled-job check failed: \(error)"))
            }
            do {
                try await Task.sleep(for: options.stalledInterval)
            } catch {
                return
            }
        }
    }

    /// How often held jobs are checked against their timeouts: one watcher for all of them instead of a timer
    /// task per job.
    static let timeoutResolution = Duration.milliseconds(20)

    /// Stops the processor of every held job whose timeout has passed.
    func enforceTimeouts() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.timeoutResolution)
            let now = ContinuousClock.now
            let expired = state.withLock { state -> [HeldJob] in
                var expired: [HeldJob] = []
                for (id, held) in state.held {
                    guard let deadline = held.deadline, deadline <= now else { continue }
                    state.held[id]?.deadline = nil
                    expired.append(held)
                }
                return expired
            }
            for held in expired { held.cancel("timeout") }
        }
    }
}
