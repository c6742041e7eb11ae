import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A Redis client: a small pool of pipelined connections for ordinary commands, dedicated connections for
/// blocking commands, and one subscriber connection for pub/sub.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://127.0.0.1:6379/0")
/// try await redis.send("SET", "greeting", "hello")
/// let greeting = try await redis.send("GET", "greeting").string
/// ```
///
/// A command in flight when the server goes away fails with ``RedisClientError/Code/connectionClosed``;
/// the next command reconnects, with backoff. Commands are never retried on their own.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let slots: [RedisConnectionSlot]
    private let nextSlot = Atomic<Int>(0)
    private let dedicated: RedisDedicatedConnections
    private let subscriber: RedisSubscriber
    private let scriptHashes = Mutex<[RedisScript: String]>([:])
    let logger: Logger

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "relay.redis")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.slots = (0..<configuration.connectionCount).map { _ in
            RedisConnectionSlot(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
        self.dedicated = RedisDedicatedConnections(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.subscriber = RedisSubscriber(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
    }

    /// A client for a `redis://user:password@host:port/db` URL.
    public convenience init(url: String, logger: Logger = Logger(label: "relay.redis")) throws {
        self.init(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    /// Sends a command; an error reply is thrown as ``RedisServerError``.
    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgumentConvertible...) async throws -> RedisValue {
        try await send(RedisCommand(name, arguments: arguments))
    }

    /// Sends a command; an error reply is thrown as ``RedisServerError``.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        do {
            return try await connection().send(command)
        } catch let error as RedisClientError where error.code == .notSent {
            return try await connection().send(command)
        }
    }

    /// Sends commands in one write on one connection and returns every reply in order, error replies in place.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        do {
            return try await connection().withReplies(commands)
        } catch let error as RedisClientError where error.code == .notSent {
            return try await connection().withReplies(commands)
        }
    }

    /// Runs commands in MULTI/EXEC and returns their replies; a command that fails at run time has its error in place.
    ///
    /// Throws when the transaction is discarded (EXECABORT), since none of its commands ran.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        let replies = try await pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        return try Self.execResult(replies.last)
    }

    static func execResult(_ reply: RedisValue?) throws -> [RedisValue] {
        switch reply {
        case .array(let values)?: return values
        case .error(let error)?: throw error
        case .null?: throw RedisClientError(.transactionAborted, "EXEC was aborted because a watched key changed")
        default: throw RedisClientError(.unexpectedReply, "EXEC answered with an unexpected reply")
        }
    }

    /// Runs a Lua script by its SHA, loading it first when the server does not know it (NOSCRIPT).
    @discardableResult
    public func evaluate(
        _ script: RedisScript,
        keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws -> RedisValue {
        let sha = try await sha(of: script)
        do {
            return try await send(RedisCommand.evalsha(sha, keys: keys, arguments: arguments))
        } catch let error as RedisServerError where error.code == "NOSCRIPT" {
            let sha = try await load(script)
            return try await send(RedisCommand.evalsha(sha, keys: keys, arguments: arguments))
        }
    }

    /// The script's SHA, loading the script when this client has not loaded it yet.
    public func sha(of script: RedisScript) async throws -> String {
        if let known = scriptHashes.withLock({ $0[script] }) { return known }
        return try await load(script)
    }

    /// Loads a script into the server's script cache and returns its SHA.
    @discardableResult
    public func load(_ script: RedisScript) async throws -> String {
        guard let sha = try await send("SCRIPT", "LOAD", script.source).string else {
            throw RedisClientError(.unexpectedReply, "SCRIPT LOAD of '\(script.name)' returned no SHA")
        }
        scriptHashes.withLock { $0[script] = sha }
        return sha
    }

    /// Subscribes to channels; returns once Redis confirmed every subscription.
    ///
    /// With a `heartbeat`, the subscription also yields an empty message (``RedisPubSubMessage/isHeartbeat``) after
    /// each `heartbeat` without a message, so that a consumer can check on things without a timer of its own.
    public func subscribe(to channels: [String], heartbeat: Duration? = nil) async throws -> RedisSubscription {
        try await subscriber.subscribe(channels: channels, heartbeat: heartbeat)
    }

    /// Subscribes to the messages on `channel` addressed to `address`: those whose payload begins with the address
    /// and a newline; each comes without that first line. Many addresses share one SUBSCRIBE: while the channel
    /// is subscribed (``hold(channel:)``, or another address), a new address is listened to without a round trip.
    public func subscribe(
        to channel: String, address: String, heartbeat: Duration? = nil
    ) async throws -> RedisSubscription {
        try await subscriber.subscribe(channel: channel, address: address, heartbeat: heartbeat)
    }

    /// Keeps `channel` subscribed while the returned subscription lasts, for addressed subscriptions; it gets no
    /// messages itself. Returns once Redis confirmed the subscription.
    public func hold(channel: String) async throws -> RedisSubscription {
        try await subscriber.hold(channel: channel)
    }

    /// Subscribes to glob-style patterns (PSUBSCRIBE); returns once Redis confirmed them.
    public func subscribe(toPatterns patterns: [String]) async throws -> RedisSubscription {
        try await subscriber.subscribe(patterns: patterns)
    }

    /// Publishes a message and returns how many subscribers received it.
    @discardableResult
    public func publish(_ message: any RedisArgumentConvertible, to channel: String) async throws -> Int {
        try await send("PUBLISH", channel, message).int ?? 0
    }

    /// Lends a connection of its own for blocking commands (BZPOPMIN, XREAD BLOCK, BLMOVE) or WATCH.
    ///
    /// Other commands never wait behind it. Cancelling the task closes the connection, which ends a blocking
    /// command at once; a connection that is still sound afterwards is kept for the next caller.
    public func withDedicatedConnection<Result: Sendable>(
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        try await dedicated.withConnection(body)
    }

    /// Closes every connection; later commands fail with ``RedisClientError/Code/clientClosed``.
    public func close() async {
        for slot in slots { await slot.close() }
        await dedicated.close()
        await subscriber.close()
    }

    private func connection() async throws -> RedisConnection {
        let index = slots.count == 1 ? 0 : nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await slots[index % slots.count].connection()
    }
}
