/// The Redis keys of one queue in BullMQ v6's layout: `<prefix>:<queue>:<suffix>`.
public struct QueueKeys: Sendable, Hashable {
    public let prefix: String
    public let queue: String

    public init(prefix: String = "bull", queue: String) {
        self.prefix = prefix
        self.queue = queue
    }

    /// `<prefix>:<queue>:`, the start of every key of the queue.
    public var base: String { "\(prefix):\(queue):" }

    public func key(_ suffix: String) -> String { base + suffix }

    public var wait: String { key("wait") }
    public var paused: String { key("paused") }
    public var active: String { key("active") }
    public var prioritized: String { key("prioritized") }
    public var delayed: String { key("delayed") }
    public var completed: String { key("completed") }
    public var failed: String { key("failed") }
    public var marker: String { key("marker") }
    public var meta: String { key("meta") }
    public var events: String { key("events") }
    public var id: String { key("id") }
    public var pc: String { key("pc") }
    public var limiter: String { key("limiter") }
    public var stalled: String { key("stalled") }
    public var stalledCheck: String { key("stalled-check") }
    public var waitingChildren: String { key("waiting-children") }

    /// Relay's groups (includes/groups.lua): the ring of groups whose turn is coming, the groups with queued jobs,
    /// concurrency overrides, and one group's ready jobs (without and with a priority) and count of active ones.
    public var groupRing: String { key("grl") }
    public var groupsWaiting: String { key("gw") }
    public var groupConcurrency: String { key("gc") }
    public func groupWait(_ group: String) -> String { key("g:\(group):wait") }
    public func groupPrioritized(_ group: String) -> String { key("g:\(group):prio") }
    public func groupActive(_ group: String) -> String { key("g:\(group):active") }
    /// Dead letters claimed by a `relay dlq` run (claimDeadLetters.lua).
    public var deadLetterClaims: String { key("dlq") }

    /// The pub/sub channel on which Relay workers hear of cancelled jobs (not a key; BullMQ ignores it).
    public var cancelChannel: String { key("cancel") }

    /// The hash that holds a job.
    public func job(_ id: String) -> String { key(id) }
}
