import Foundation
import RelayRedis

/// The Redis server `bin/test` started (`REDIS_URL`), and per-test key names so tests never collide.
enum TestRedis {
    static var url: String {
        ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
    }

    static func client(connections: Int = 2) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectionCount = connections
        return RedisClient(configuration: configuration)
    }

    /// A key prefix unique to one test run of one test.
    static func prefix(_ function: String = #function) -> String {
        "relay-test:\(function.prefix { $0 != "(" }):\(UUID().uuidString.prefix(8)):"
    }
}

extension RedisClient {
    /// Runs `body` with the client and closes it afterwards, also when `body` throws.
    func using<T: Sendable>(_ body: (RedisClient) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
