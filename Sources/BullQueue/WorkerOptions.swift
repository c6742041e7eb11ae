/// How a ``Worker`` takes and holds jobs; the defaults are BullMQ's.
public struct WorkerOptions: Sendable {
    /// Jobs processed at once by this worker.
    public var concurrency: Int
    /// How long a job's lock lasts without renewal.
    public var lockDuration: Duration
    /// How often held locks are renewed; `lockDuration / 4` by default (BullMQ: half of lockRenewTime).
    public var lockRenewInterval: Duration?
    /// How often the stalled-job check runs.
    public var stalledInterval: Duration
    /// Stalls a job may survive before it is failed.
    public var maxStalledCount: Int
    /// The longest the worker blocks waiting for work before checking again.
    public var drainDelay: Duration
    /// A rate limit shared with every worker of the queue: at most `max` jobs per `duration`.
    public var limiter: (max: Int, duration: Duration)?
    /// Applied when a job's own options do not say.
    public var removeOnComplete: KeepJobs?
    public var removeOnFail: KeepJobs?
    /// Relay's per-job timeout when the job's options do not set `timeout`; nil for none.
    public var defaultTimeout: Duration?
    /// Written to the job's `pb` field.
    public var name: String?
    /// When set, ``Worker/run()`` makes it the queue's default concurrency per group (Relay: per user) — see
    /// ``Queue/setDefaultGroupConcurrency(_:)``.
    public var groupConcurrency: Int?

    public init(
        concurrency: Int = 1,
        lockDuration: Duration = .seconds(30),
        lockRenewInterval: Duration? = nil,
        stalledInterval: Duration = .seconds(30),
        maxStalledCount: Int = 1,
        drainDelay: Duration = .seconds(5),
        limiter: (max: Int, duration: Duration)? = nil,
        removeOnComplete: KeepJobs? = nil,
        removeOnFail: KeepJobs? = nil,
        defaultTimeout: Duration? = nil,
        name: String? = nil,
        groupConcurrency: Int? = nil
    ) {
        self.concurrency = max(1, concurrency)
        self.lockDuration = lockDuration
        self.lockRenewInterval = lockRenewInterval
        self.stalledInterval = stalledInterval
        self.maxStalledCount = maxStalledCount
        self.drainDelay = drainDelay
        self.limiter = limiter
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
        self.defaultTimeout = defaultTimeout
        self.name = name
        self.groupConcurrency = groupConcurrency
    }

    var renewInterval: Duration { lockRenewInterval ?? lockDuration / 4 }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
