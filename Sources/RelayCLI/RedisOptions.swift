import ArgumentParser
import Foundation
import NIOPosix
import Logging
import RelayRedis

/// `--redis URL`, defaulting to `REDIS_URL`, else `redis://127.0.0.1:6379`.
struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis"), help: "Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379).")
    var url: String?

    var resolvedURL: String {
        url ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
    }

    func configuration() throws -> RedisConfiguration {
        do {
            return try RedisConfiguration(url: resolvedURL)
        } catch let error as RedisClientError {
            throw ValidationError(error.detail)
        }
    }
}

/// The event loop every Redis connection of a `relay` process runs on. One thread: on small machines the hops between
/// several event-loop threads and Swift's cooperative pool cost more latency than a second loop gains
/// (`relay bench queue --event-loop-threads N` measures it; README has the figures).
enum RedisEventLoop {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}

extension RedisOptions {
    /// A client for the configured server on ``RedisEventLoop``.
    func makeClient(logger: Logger = Logger(label: "relay.redis")) throws -> RedisClient {
        RedisClient(configuration: try configuration(), eventLoopGroup: RedisEventLoop.group, logger: logger)
    }
}
