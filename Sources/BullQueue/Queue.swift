import Logging
import RelayRedis

/// A BullMQ v6-compatible queue: adds jobs and administers them; BullMQ clients share it both ways.
///
/// ```swift
/// let queue = try Queue(name: "llm", redis: redis)
/// let id = try await queue.add("chat", data: .object(["prompt": .string("hi")]), options: .init(priority: 3))
/// ```
public final class Queue: Sendable {
    public let name: String
    public let keys: QueueKeys
    public let redis: RedisClient
    let scripts = QueueScripts.shared

    /// - Throws: ``QueueError`` when the name is empty or contains `:`.
    public init(name: String, prefix: String = "bull", redis: RedisClient) throws {
        guard !name.isEmpty, !name.contains(":") else {
            throw QueueError(.invalidQueueName, "a queue name is non-empty and has no ':'")
        }
        guard !prefix.isEmpty else { throw QueueError(.invalidQueueName, "the prefix must not be empty") }
        self.name = name
        self.keys = QueueKeys(prefix: prefix, queue: name)
        self.redis = redis
    }

    /// Loads every script into Redis, so the first jobs do not pay for it, and moves the group counts and ring of
    /// earlier versions (`ga`, `gq`, `gr`) into the current keys.
    public func prepare() async throws {
        for script in scripts.all { _ = try await redis.sha(of: script) }
        // Queues grouped by an earlier version keep their counts and their ring's turns (no-ops once done).
        try await redis.evaluate(
            scripts.migrateGroupLayout, keys: [keys.key("ga"), keys.key("gq"), keys.groupsWaiting],
            arguments: [keys.base]
        )
        try await redis.evaluate(
            scripts.migrateGroupRing, keys: [keys.key("gr"), keys.groupRing, keys.groupsWaiting], arguments: [keys.base]
        )
    }

    // MARK: Adding

    /// Adds a job and returns its id (for a duplicate custom id or deduplicated add, the existing job's id).
    @discardableResult
    public func add(_ name: String, data: JSONValue = .object([:]), options: JobOptions = JobOptions()) async throws -> String {
        let (keys, arguments) = try addArguments(name, data: data, options: options)
        return try Self.addedID(try await redis.evaluate(scripts.addJob, keys: keys, arguments: arguments))
    }

    /// Adds jobs in one MULTI/EXEC round trip and returns their ids in order.
    public func addBulk(_ jobs: [(name: String, data: JSONValue, options: JobOptions)]) async throws -> [String] {
        guard !jobs.isEmpty else { return [] }
        let sha = try await redis.sha(of: scripts.addJob)
        let prepared = try jobs.map { try addArguments($0.name, data: $0.data, options: $0.options) }
        var replies = try await redis.transaction(prepared.map { RedisCommand.evalsha(sha, keys: $0.0, arguments: $0.1) })
        for index in replies.indices where replies[index].error?.code == "NOSCRIPT" {
            replies[index] = try await redis.evaluate(scripts.addJob, keys: prepared[index].0, arguments: prepared[index].1)
        }
        return try replies.map(Self.addedID)
    }

    /// How many keys and arguments addJob.lua takes (``addArguments(_:data:options:waitForChildren:)``).
    static let addKeyCount = 9
    static let addArgumentCount = 16

    func addArguments(
        _ name: String,
        data: JSONValue,
        options: JobOptions,
        waitForChildren: Bool = false
    ) throws -> ([any RedisArgumentConvertible], [any RedisArgumentConvertible]) {
        try options.validate()
        let timestamp = options.timestamp ?? QueueClock.now()
        let keys: [any RedisArgumentConvertible] = [
            self.keys.wait, self.keys.prioritized, self.keys.delayed, self.keys.meta, self.keys.id, self.keys.events,
            self.keys.marker, self.keys.pc, self.keys.active,
        ]
        let arguments: [any RedisArgumentConvertible] = [
            self.keys.base, options.jobId ?? "", name, data.json, options.stored.json, timestamp,
            options.delay ?? 0, options.priority ?? 0, options.lifo == true ? "1" : "0",
            options.deduplication?.id ?? "", options.deduplication?.ttl ?? 0,
            options.deduplication?.extend == true ? "1" : "0",
            options.parent?.jobKey ?? "", parentField(options), waitForChildren ? "1" : "0", options.group ?? "",
        ]
        return (keys, arguments)
    }

    /// The child's `parent` field: `{"id", "queueKey"}` and the failure policy's flag.
    private func parentField(_ options: JobOptions) -> String {
        guard let parent = options.parent else { return "" }
        var object: [String: JSONValue] = ["id": .string(parent.id), "queueKey": .string(parent.queueKey)]
        if let policy = options.parentFailurePolicy { object[policy.shortKey] = true }
        return JSONValue.object(object).json
    }

    static func addedID(_ reply: RedisValue) throws -> String {
        if let error = reply.error { throw error }
        if case .integer(-5) = reply { throw QueueError(.jobNotFound, "the parent job does not exist") }
        guard case .bulkString = reply, let id = reply.string else {
            throw QueueError(.unexpectedReply, "addJob returned no id")
        }
        return id
    }

    // MARK: Job updates

    /// Stores a job's progress and emits a `progress` event.
    public func updateProgress(jobId: String, progress: JSONValue) async throws {
        let reply = try await redis.evaluate(
            scripts.updateProgress,
            keys: [keys.job(jobId), keys.events, keys.meta],
            arguments: [jobId, progress.json]
        )
        if let code = reply.int, code < 0 { throw QueueError.scriptCode(code, jobId: jobId, operation: "updateProgress") }
    }

    /// Appends a line to a job's log; returns the number of lines kept.
    @discardableResult
    public func addLog(jobId: String, line: String, keepLogs: Int? = nil) async throws -> Int {
        let reply = try await redis.evaluate(
            scripts.addLog,
            keys: [keys.job(jobId), keys.job(jobId) + ":logs"],
            arguments: [line, keepLogs.map(String.init) ?? ""]
        )
        let count = reply.int ?? -1
        if count < 0 { throw QueueError.scriptCode(count, jobId: jobId, operation: "addLog") }
        return count
    }
}
