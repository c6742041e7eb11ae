import Foundation

/// A job's options, read with BullMQ's JSON names and stored in the job hash with its short keys
/// (`deduplication` → `de`, `keepLogs` → `kl`), so BullMQ clients read them back unchanged.
public struct JobOptions: Sendable, Hashable {
    public var jobId: String?
    /// 1 (highest) … 2,097,151; nil or 0 for none.
    public var priority: Int?
    /// Milliseconds before the job may run.
    public var delay: Int?
    /// Put the job at the head of the waiting list.
    public var lifo: Bool?
    /// How many times the job is tried (default 1).
    public var attempts: Int?
    public var backoff: Backoff?
    public var removeOnComplete: KeepJobs?
    public var removeOnFail: KeepJobs?
    public var deduplication: Deduplication?
    /// Creation time in ms; now when nil.
    public var timestamp: Int?
    public var stackTraceLimit: Int?
    public var keepLogs: Int?
    /// Relay's own option, ignored by BullMQ workers: the longest a processor may run, in ms.
    public var timeout: Int?
    /// Relay's option, ignored by BullMQ clients: the group (Relay: the user id) whose concurrency limit and
    /// round-robin turn the job takes; stored as `gid`.
    public var group: String?
    /// The parent of a flow child: its id and queue key (`<prefix>:<queue>`); set by ``FlowProducer``.
    public var parent: ParentReference?
    /// What the parent does when this child fails for good.
    public var parentFailurePolicy: ParentFailurePolicy?
    /// Options this type does not model, kept as they came.
    public var extra: [String: JSONValue]

    public init(
        jobId: String? = nil, priority: Int? = nil, delay: Int? = nil, lifo: Bool? = nil, attempts: Int? = nil,
        backoff: Backoff? = nil, removeOnComplete: KeepJobs? = nil, removeOnFail: KeepJobs? = nil,
        deduplication: Deduplication? = nil, timestamp: Int? = nil, stackTraceLimit: Int? = nil,
        keepLogs: Int? = nil, timeout: Int? = nil, group: String? = nil, parent: ParentReference? = nil,
        parentFailurePolicy: ParentFailurePolicy? = nil, extra: [String: JSONValue] = [:]
    ) {
        self.jobId = jobId
        self.priority = priority
        self.delay = delay
        self.lifo = lifo
        self.attempts = attempts
        self.backoff = backoff
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
        self.deduplication = deduplication
        self.timestamp = timestamp
        self.stackTraceLimit = stackTraceLimit
        self.keepLogs = keepLogs
        self.timeout = timeout
        self.group = group
        self.parent = parent
        self.parentFailurePolicy = parentFailurePolicy
        self.extra = extra
    }

    private static let modelled = Set(
        [
            "jobId", "priority", "delay", "lifo", "attempts", "backoff", "removeOnComplete", "removeOnFail",
            "deduplication", "de", "timestamp", "stackTraceLimit", "keepLogs", "kl", "timeout", "parent", "group", "gid",
        ] + ParentFailurePolicy.allCases.flatMap { [$0.rawValue, $0.shortKey] }
    )

    /// Reads options from a JSON object with BullMQ's long or short names; throws ``QueueError`` on bad input.
    public init(json value: JSONValue) throws {
        guard case .object(let object) = value else {
            throw QueueError(.invalidOptions, "job options must be a JSON object")
        }
        func int(_ key: String) throws -> Int? {
            guard let raw = object[key], raw != .null else { return nil }
            guard let number = raw.intValue else { throw QueueError(.invalidOptions, "'\(key)' must be an integer") }
            return number
        }
        self.init()
        if let raw = object["jobId"], raw != .null {
            switch raw {
            case .string(let id): jobId = id
            case .int(let id): jobId = String(id)
            default: throw QueueError(.invalidOptions, "'jobId' must be a string")
            }
        }
        priority = try int("priority")
        delay = try int("delay")
        attempts = try int("attempts")
        timestamp = try int("timestamp")
        stackTraceLimit = try int("stackTraceLimit")
        keepLogs = try int("keepLogs") ?? int("kl")
        timeout = try int("timeout")
        if let raw = object["gid"] ?? object["group"], raw != .null {
            guard let id = raw.stringValue ?? raw["id"]?.stringValue else {
                throw QueueError(.invalidOptions, "'group' is a string or {\"id\"}")
            }
            group = id
        }
        if let raw = object["lifo"], raw != .null {
            guard let flag = raw.boolValue else { throw QueueError(.invalidOptions, "'lifo' must be true or false") }
            lifo = flag
        }
        backoff = try object["backoff"].flatMap { $0 == .null ? nil : try Backoff(json: $0) }
        removeOnComplete = try object["removeOnComplete"].flatMap { try KeepJobs(json: $0, key: "removeOnComplete") }
        removeOnFail = try object["removeOnFail"].flatMap { try KeepJobs(json: $0, key: "removeOnFail") }
        deduplication = try (object["deduplication"] ?? object["de"]).flatMap {
            $0 == .null ? nil : try Deduplication(json: $0)
        }
        if let raw = object["parent"], raw != .null {
            guard let id = raw["id"]?.stringValue, let queue = raw["queue"]?.stringValue else {
                throw QueueError(.invalidOptions, "'parent' is {\"id\", \"queue\"}")
            }
            parent = ParentReference(id: id, queueKey: queue)
        }
        let policies = ParentFailurePolicy.allCases.filter {
            (object[$0.rawValue] ?? object[$0.shortKey])?.boolValue == true
        }
        guard policies.count <= 1 else {
            throw QueueError(.invalidOptions, "the parent failure options are mutually exclusive")
        }
        parentFailurePolicy = policies.first
        extra = object.filter { !Self.modelled.contains($0.key) }
        try validate()
    }

    /// Checks ranges as BullMQ does before adding.
    public func validate() throws {
        if let priority, !(0...2_097_151).contains(priority) {
            throw QueueError(.invalidOptions, "'priority' must be between 0 and 2097151")
        }
        if let delay, delay < 0 { throw QueueError(.invalidOptions, "'delay' must not be negative") }
        if let attempts, attempts < 0 { throw QueueError(.invalidOptions, "'attempts' must not be negative") }
        if let timeout, timeout <= 0 { throw QueueError(.invalidOptions, "'timeout' must be positive") }
        if let group, group.isEmpty { throw QueueError(.invalidOptions, "'group' must not be empty") }
        if let jobId {
            if jobId.isEmpty { throw QueueError(.invalidOptions, "'jobId' must not be empty") }
            if Int(jobId) != nil { throw QueueError(.invalidOptions, "a custom 'jobId' cannot be an integer") }
            if jobId.contains(":") { throw QueueError(.invalidOptions, "a custom 'jobId' cannot contain ':'") }
        }
    }

    /// The options as stored in the job hash: BullMQ's names, short keys, `attempts` and `delay` always present.
    public var stored: JSONValue {
        var object = extra
        object["attempts"] = .int(attempts ?? 0)
        object["delay"] = .int(delay ?? 0)
        if let jobId { object["jobId"] = .string(jobId) }
        if let priority { object["priority"] = .int(priority) }
        if let lifo { object["lifo"] = .bool(lifo) }
        if let backoff { object["backoff"] = backoff.json }
        if let removeOnComplete { object["removeOnComplete"] = removeOnComplete.json }
        if let removeOnFail { object["removeOnFail"] = removeOnFail.json }
        if let deduplication { object["de"] = deduplication.json }
        if let timestamp { object["timestamp"] = .int(timestamp) }
        if let stackTraceLimit { object["stackTraceLimit"] = .int(stackTraceLimit) }
        if let keepLogs { object["kl"] = .int(keepLogs) }
        if let timeout { object["timeout"] = .int(timeout) }
        if let group { object["gid"] = .string(group) }
        if let parent { object["parent"] = ["id": .string(parent.id), "queue": .string(parent.queueKey)] }
        if let parentFailurePolicy { object[parentFailurePolicy.shortKey] = true }
        return .object(object)
    }
}
