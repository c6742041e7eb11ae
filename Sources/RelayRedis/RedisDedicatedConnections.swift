import Logging
import NIOCore
import Synchronization

/// Connections lent to one caller at a time, for blocking commands.
final class RedisDedicatedConnections: Sendable {
    private struct State: Sendable {
        var idle: [RedisConnection] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    func withConnection<Result: Sendable>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch let error as RedisServerError {
            await giveBack(connection)
            throw error
        } catch {
            await connection.close()
            throw error
        }
    }

    private func lease() async throws -> RedisConnection {
        let idle = try state.withLock { state -> RedisConnection? in
            guard !state.closed else { throw RedisClientError(.clientClosed, "the Redis client was closed") }
            while let connection = state.idle.popLast() {
                if connection.isActive { return connection }
            }
            return nil
        }
        if let idle { return idle }
        return try await RedisConnector.open(configuration, on: eventLoopGroup.next(), logger: logger, closesOnCancel: true)
    }

    private func giveBack(_ connection: RedisConnection) async {
        let kept = state.withLock { state -> Bool in
            guard !state.closed, connection.isActive, state.idle.count < configuration.maxIdleDedicatedConnections else {
                return false
            }
            state.idle.append(connection)
            return true
        }
        if !kept { await connection.close() }
    }

    func close() async {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { await connection.close() }
    }
}
