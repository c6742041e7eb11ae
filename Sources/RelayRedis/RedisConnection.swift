import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One connection to Redis: commands are pipelined, many may be in flight, and replies are matched in order.
///
/// Commands written from many tasks at once are gathered and flushed together on the event loop.
public final class RedisConnection: Sendable {
    private struct Outbox: Sendable {
        var requests: [RedisRequest] = []
        var scheduled = false
    }

    let channel: any Channel
    private let outbox = Mutex(Outbox())
    /// A dedicated connection is closed when a task waiting on it is cancelled, since its reply order is then lost.
    let closesOnCancel: Bool

    private init(channel: any Channel, closesOnCancel: Bool) {
        self.channel = channel
        self.closesOnCancel = closesOnCancel
    }

    /// Opens a connection, authenticates and selects the database.
    static func connect(
        _ configuration: RedisConfiguration,
        on eventLoop: any EventLoop,
        closesOnCancel: Bool = false,
        onPush: (@Sendable (RedisValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(.milliseconds(configuration.connectTimeout.milliseconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(onPush: onPush))
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw RedisClientError(
                .connectionFailed,
                "could not connect to Redis at \(configuration.host):\(configuration.port): \(error)"
            )
        }
        let connection = RedisConnection(channel: channel, closesOnCancel: closesOnCancel)
        do {
            try await connection.handshake(configuration)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private func handshake(_ configuration: RedisConfiguration) async throws {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RedisCommand("AUTH", username, password))
            } else {
                commands.append(RedisCommand("AUTH", password))
            }
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", configuration.database))
        }
        guard !commands.isEmpty else { return }
        let replies = try await withReplies(commands)
        if let error = replies.lazy.compactMap(\.error).first { throw error }
    }

    /// Whether the connection is open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command and returns its reply; an error reply is thrown as ``RedisServerError``.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        let promise = channel.eventLoop.makePromise(of: RedisValue.self)
        enqueue(RedisRequest(commands: [command], reply: .single(promise)))
        let value = try await awaitReply(promise.futureResult)
        if case .error(let error) = value { throw error }
        return value
    }

    /// Sends commands in one pipelined write and returns their replies in order; error replies stay in place.
    ///
    /// No other command on this connection is written between them.
    public func withReplies(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let promise = channel.eventLoop.makePromise(of: [RedisValue].self)
        enqueue(RedisRequest(commands: commands, reply: .batch(promise)))
        return try await awaitReply(promise.futureResult)
    }

    /// Writes commands whose replies arrive as pushes (subscriber connections).
    func sendWithoutReply(_ commands: [RedisCommand]) {
        enqueue(RedisRequest(commands: commands, reply: .none))
    }

    /// Closes the connection; commands still waiting fail with `connectionClosed`.
    public func close() async {
        try? await channel.close()
    }

    private func awaitReply<Value: Sendable>(_ future: EventLoopFuture<Value>) async throws -> Value {
        guard closesOnCancel else { return try await future.get() }
        let channel = self.channel
        return try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    private func enqueue(_ request: RedisRequest) {
        let schedule = outbox.withLock { outbox in
            outbox.requests.append(request)
            if outbox.scheduled { return false }
            outbox.scheduled = true
            return true
        }
        guard schedule else { return }
        channel.eventLoop.execute { self.flushOutbox() }
    }

    private func flushOutbox() {
        let requests = outbox.withLock { outbox in
            outbox.scheduled = false
            var requests: [RedisRequest] = []
            swap(&requests, &outbox.requests)
            return requests
        }
        guard channel.isActive else {
            let error = RedisClientError(.notSent, "the connection to Redis closed before the command was sent")
            for request in requests { request.fail(error) }
            return
        }
        for request in requests {
            channel.write(request, promise: nil)
        }
        channel.flush()
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
