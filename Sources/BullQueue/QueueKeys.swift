import RelayRedis

/// The Redis keys of one queue in BullMQ v6's layout: `<prefix>:<queue>:<suffix>`.
///
/// The queue implementation arrives with the queue issue; this target depends on ``RelayRedis`` only.
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

    /// The hash that holds a job.
    public func job(_ id: String) -> String { key(id) }
}
