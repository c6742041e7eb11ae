import Foundation
import RelayRedis

/// A job of a flow: a parent runs only once its children, on any queue of the same prefix, have finished.
public struct FlowJob: Sendable {
    public var name: String
    public var queueName: String
    public var data: JSONValue
    public var options: JobOptions
    public var children: [FlowJob]

    public init(name: String, queueName: String, data: JSONValue = [:], options: JobOptions = JobOptions(), children: [FlowJob] = []) {
        self.name = name
        self.queueName = queueName
        self.data = data
        self.options = options
        self.children = children
    }
}

/// The ids a flow's jobs were given, in the flow's shape.
public struct FlowNode: Sendable {
    public let id: String
    public let queueName: String
    public let children: [FlowNode]
}

/// Adds flows (trees of jobs across queues) in one MULTI/EXEC, as BullMQ's FlowProducer does: each parent waits in
/// `waiting-children` until its children finish; their return values are in ``JobContext/childrenValues()``.
public struct FlowProducer: Sendable {
    public let redis: RedisClient
    public let prefix: String

    public init(redis: RedisClient, prefix: String = "bull") {
        self.redis = redis
        self.prefix = prefix
    }

    /// Adds the flow and returns its ids. Nodes without a `jobId` get a UUID.
    public func add(_ flow: FlowJob) async throws -> FlowNode {
        var commands: [(queue: Queue, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible])] = []
        let root = try plan(flow, parent: nil, into: &commands)
        guard let first = commands.first else { return root }
        let sha = try await redis.sha(of: first.queue.scripts.addJob)
        var replies = try await redis.transaction(commands.map { RedisCommand.evalsha(sha, keys: $0.keys, arguments: $0.arguments) })
        for index in replies.indices where replies[index].error?.code == "NOSCRIPT" {
            replies[index] = try await redis.evaluate(
                first.queue.scripts.addJob, keys: commands[index].keys, arguments: commands[index].arguments
            )
        }
        for reply in replies { _ = try Queue.addedID(reply) }
        return root
    }

    private func plan(
        _ flow: FlowJob,
        parent: ParentReference?,
        into commands: inout [(queue: Queue, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible])]
    ) throws -> FlowNode {
        let queue = try Queue(name: flow.queueName, prefix: prefix, redis: redis)
        var options = flow.options
        if options.jobId == nil { options.jobId = UUID().uuidString.lowercased() }
        if let parent { options.parent = parent }
        if options.parentFailurePolicy != nil && options.parent == nil {
            throw QueueError(.invalidOptions, "a parent failure option needs a parent")
        }
        let id = options.jobId!
        let (keys, arguments) = try queue.addArguments(
            flow.name, data: flow.data, options: options, waitForChildren: !flow.children.isEmpty
        )
        commands.append((queue, keys, arguments))
        let reference = ParentReference(id: id, queueKey: "\(prefix):\(flow.queueName)")
        let children = try flow.children.map { try plan($0, parent: reference, into: &commands) }
        return FlowNode(id: id, queueName: flow.queueName, children: children)
    }
}
