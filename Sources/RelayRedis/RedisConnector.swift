import Logging
import NIOCore

/// Opens connections, retrying with the configured backoff.
enum RedisConnector {
    static func open(
        _ configuration: RedisConfiguration,
        on eventLoop: any EventLoop,
        logger: Logger,
        attempts: Int? = nil,
        closesOnCancel: Bool = false,
        onPush: (@Sendable (RedisValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let attempts = attempts ?? configuration.reconnect.attemptsPerCommand
        var failures = 0
        while true {
            do {
                let connection = try await RedisConnection.connect(
                    configuration,
                    on: eventLoop,
                    closesOnCancel: closesOnCancel,
                    onPush: onPush
                )
                if failures > 0 {
                    logger.info("reconnected to Redis", metadata: ["redis": "\(configuration)", "attempts": "\(failures + 1)"])
                }
                return connection
            } catch let error as RedisServerError {
                throw error
            } catch {
                failures += 1
                if failures >= attempts { throw error }
                logger.debug("Redis connection attempt failed", metadata: ["redis": "\(configuration)", "error": "\(error)"])
                try await Task.sleep(for: configuration.reconnect.delay(afterFailures: failures))
            }
        }
    }
}
