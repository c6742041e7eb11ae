import Foundation
import Logging
import RelayRedis
import Synchronization

/// Processes a queue's jobs, as a BullMQ worker does: blocks on the marker instead of polling, fetches the next job in
/// the call that finishes the last, renews locks in batches, recovers stalled jobs, retries with backoff.
///
/// Beyond BullMQ: a per-job timeout (`timeout` in the job's options, or ``WorkerOptions/defaultTimeout``), and
/// cancellation from any process with ``Queue/cancel(jobId:reason:)``.
///
/// ```swift
/// let worker = Worker(queue: queue, options: .init(concurrency: 10)) { context in
///     .object(["echo": context.job.data])
/// }
/// try await worker.run()   // until shutdown()
/// ```
public final class Worker: Sendable {
    public let queue: Queue
    public let options: WorkerOptions
    /// What happens to jobs; buffers the newest 4,096 events when nobody reads.
    public let events: AsyncStream<WorkerEvent>

    let processor: JobProcessor
    let logger: Logger
    let eventSink: AsyncStream<WorkerEvent>.Continuation
    let state = Mutex(State())
    private let workerID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    private let tokenCounter = Atomic<Int>(0)

    struct HeldJob: Sendable {
        var token: String
        var cancel: @Sendable (String) -> Void
        /// When the job times out; nil without a timeout, or once it has been stopped for it.
        var deadline: ContinuousClock.Instant?
    }

    struct State: Sendable {
        var held: [String: HeldJob] = [:]
        var running = 0
        var stopping = false
        var blocking: RedisConnection?
        var slotWaiter: CheckedContinuation<Void, Never>?
    }

    public init(
        queue: Queue,
        options: WorkerOptions = WorkerOptions(),
        logger: Logger = Logger(label: "relay.worker"),
        processor: @escaping JobProcessor
    ) {
        self.queue = queue
        self.options = options
        self.processor = processor
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: WorkerEvent.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// Runs until ``shutdown()`` (jobs in progress finish first) or until the task is cancelled.
    public func run() async throws {
        defer { eventSink.finish() }
        try await queue.prepare()
        if let groupConcurrency = options.groupConcurrency {
            try await queue.setDefaultGroupConcurrency(groupConcurrency)
        }
        let cancellations = try await queue.redis.subscribe(to: [queue.keys.cancelChannel])
        defer { cancellations.unsubscribe() }
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.listenForCancellations(cancellations) }
            background.addTask { await self.renewLocksPeriodically() }
            background.addTask { await self.checkStalledPeriodically() }
            background.addTask { await self.enforceTimeouts() }
            await withDiscardingTaskGroup { jobs in
                await self.fetchLoop(&jobs)
            }
            background.cancelAll()
        }
    }

    /// Stops taking jobs; ``run()`` returns once the jobs in progress have finished.
    public func shutdown() {
        let (connection, waiter) = state.withLock { state in
            state.stopping = true
            defer { state.slotWaiter = nil }
            return (state.blocking, state.slotWaiter)
        }
        waiter?.resume()
        if let connection { Task { await connection.close() } }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func nextToken() -> String {
        "\(workerID):\(tokenCounter.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    // MARK: Taking jobs

    private func fetchLoop(_ jobs: inout DiscardingTaskGroup) async {
        var failures = 0
        // After taking the last ready job, the next slot waits for the marker at once instead of a fetch that
        // would find nothing (a job added meanwhile sets the marker, so the wait returns).
        var waitFirst: Int?
        while !Task.isCancelled, await acquireSlot() {
            do {
                if let nextDue = waitFirst {
                    waitFirst = nil
                    try await waitForWork(nextDue: nextDue)
                    if isStopping {
                        releaseSlot()
                        break
                    }
                }
                switch try await fetch(token: nextToken()) {
                case .job(let job, let token, let more, let nextDue):
                    jobs.addTask { await self.handle(job, token: token) }
                    if !more { waitFirst = nextDue }
                case .rateLimited(let milliseconds):
                    releaseSlot()
                    try? await Task.sleep(for: .milliseconds(min(milliseconds, 30_000)))
                case .empty(let nextDue):
                    releaseSlot()
                    try await waitForWork(nextDue: nextDue)
                }
                failures = 0
            } catch {
                releaseSlot()
                if isStopping || Task.isCancelled { break }
                failures += 1
                eventSink.yield(.error("fetching a job failed: \(error)"))
                logger.warning("fetching a job failed", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(5_000, 50 << min(failures, 7))))
            }
        }
    }

    /// Takes a slot for a job; false once the worker is stopping.
    private func acquireSlot() async -> Bool {
        while true {
            let acquired = state.withLock { state -> Bool? in
                if state.stopping { return false }
                if state.running < options.concurrency {
                    state.running += 1
                    return true
                }
                return nil
            }
            if let acquired { return acquired }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.stopping || state.running < options.concurrency { return true }
                    state.slotWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    func releaseSlot() {
        let waiter = state.withLock { state in
            state.running -= 1
            defer { state.slotWaiter = nil }
            return state.slotWaiter
        }
        waiter?.resume()
    }

    /// Blocks on the marker until work may be there: a job added, or the next delayed job due.
    ///
    /// Redis checks blocking timeouts only about every 100 ms, so a delayed job's due time is kept by a local timer
    /// that ends the wait with CLIENT UNBLOCK instead.
    private func waitForWork(nextDue: Int) async throws {
        let drainDelay = options.drainDelay.milliseconds
        let untilDue = nextDue > 0 ? max(1, nextDue - QueueClock.now()) : Int.max
        let seconds = String(format: "%.3f", Double(max(1, drainDelay)) / 1000)
        let redis = queue.redis
        try await redis.withDedicatedConnection { connection in
            let proceed = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.blocking = connection
                return true
            }
            guard proceed else { return }
            defer { state.withLock { $0.blocking = nil } }
            var timer: Task<Void, Never>?
            if untilDue < drainDelay {
                let clientID = try await connection.send(RedisCommand("CLIENT", "ID")).int ?? 0
                timer = Task {
                    try? await Task.sleep(for: .milliseconds(untilDue))
                    guard !Task.isCancelled else { return }
                    _ = try? await redis.send("CLIENT", "UNBLOCK", clientID)
                }
            }
            defer { timer?.cancel() }
            _ = try await connection.send(RedisCommand("BZPOPMIN", queue.keys.marker, seconds))
        }
    }

    /// Takes the next job and locks it with `token` without processing it (BullMQ's `getNextJob`); nil when none
    /// is ready. Nothing renews its lock: finish it, or let the stalled check recover it.
    public func takeNextJob(token: String) async throws -> Job? {
        try await queue.prepare()
        if case .job(let job, _, _, _) = try await fetch(token: token) { return job }
        return nil
    }

    enum FetchResult {
        /// `more`: another job was ready when this one was taken; else `nextDue`: the next delayed job's due time.
        case job(Job, token: String, more: Bool, nextDue: Int)
        case rateLimited(Int)
        case empty(nextDue: Int)
    }

    private func fetch(token: String) async throws -> FetchResult {
        let keys = queue.keys
        let reply = try await queue.redis.evaluate(
            queue.scripts.moveToActive,
            keys: [keys.wait, keys.active, keys.prioritized, keys.delayed, keys.events, keys.meta, keys.limiter,
                   keys.marker, keys.pc],
            arguments: [keys.base, token, options.lockDuration.milliseconds, QueueClock.now()] + limiterArguments
        )
        return Self.fetchResult(reply, token: token)
    }

    var limiterArguments: [any RedisArgumentConvertible] {
        [options.limiter.map { String($0.max) } ?? "", options.limiter.map { String($0.duration.milliseconds) } ?? "",
         options.name ?? ""]
    }

    static func fetchResult(_ reply: RedisValue, token: String) -> FetchResult {
        guard let parts = reply.array, parts.count >= 4 else { return .empty(nextDue: 0) }
        if let fields = parts[0].array, let id = parts[1].string,
            let job = Job(id: id, flatFields: fields.compactMap(\.string))
        {
            return .job(job, token: token, more: parts.count < 5 || parts[4].int != 0, nextDue: parts[3].int ?? 0)
        }
        if let ttl = parts[2].int, ttl > 0 { return .rateLimited(ttl) }
        return .empty(nextDue: parts[3].int ?? 0)
    }
}
