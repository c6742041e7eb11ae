import ArgumentParser
import Foundation
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
