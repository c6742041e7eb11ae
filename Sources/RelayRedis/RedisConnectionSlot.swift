import Logging
import NIOCore
import Synchronization

/// One pipelined connection of the pool, opened on first use and reopened with backoff after it closed.
final class RedisConnectionSlot: Sendable {
    private enum State: Sendable {
        case disconnected
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
        case closed
    }

    private enum Action {
        case use(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case open(EventLoopPromise<RedisConnection>)
        case fail
    }

    private let state = Mutex(State.disconnected)
    private let configuration: RedisConfiguration
    private let eventLoop: any EventLoop
    private let logger: Logger

    init(configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// The open connection, opening it first when needed.
    func connection() async throws -> RedisConnection {
        let action = state.withLock { state -> Action in
            switch state {
            case .connected(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let future):
                return .wait(future)
            case .closed:
                return .fail
            case .connected, .disconnected:
                let promise = eventLoop.makePromise(of: RedisConnection.self)
                state = .connecting(promise.futureResult)
                return .open(promise)
            }
        }
        switch action {
        case .use(let connection):
            return connection
        case .wait(let future):
            return try await future.get()
        case .fail:
            throw RedisClientError(.clientClosed, "the Redis client was closed")
        case .open(let promise):
            do {
                let connection = try await RedisConnector.open(configuration, on: eventLoop, logger: logger)
                let accepted = state.withLock { state -> Bool in
                    if case .closed = state { return false }
                    state = .connected(connection)
                    return true
                }
                guard accepted else {
                    await connection.close()
                    throw RedisClientError(.clientClosed, "the Redis client was closed")
                }
                promise.succeed(connection)
                return connection
            } catch {
                state.withLock { state in
                    if case .closed = state { return }
                    state = .disconnected
                }
                promise.fail(error)
                throw error
            }
        }
    }

    /// Closes the connection; later calls fail with `clientClosed`.
    func close() async {
        let previous = state.withLock { state -> State in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .connected(let connection):
            await connection.close()
        case .connecting(let future):
            if let connection = try? await future.get() { await connection.close() }
        case .disconnected, .closed:
            break
        }
    }
}
