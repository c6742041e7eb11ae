import Foundation
import RelayJSON
import RelayRedis

/// Where a job's results go: each message is published on the job's channel and kept, in order, in a list with a
/// TTL, so a client that reconnects can resume after the last sequence number it saw.
///
/// Messages are JSON: `{"seq", "type": "chunk", "data"}`, `{"seq", "type": "embedding", "data"}`,
/// `{"seq", "type": "done", "usage", "provider", "fallback", "finishReason"}` or
/// `{"seq", "type": "error", "error": {"code", "message"}}`.
public struct JobStream: Sendable {
    public let redis: RedisClient
    public let channel: String
    /// How long the kept messages live after the last one, in ms.
    public let retention: Int

    public init(redis: RedisClient, queue: String, jobId: String, prefix: String = "relay", retention: Int = 3_600_000) {
        self.redis = redis
        self.channel = Self.channel(prefix: prefix, queue: queue, jobId: jobId)
        self.retention = retention
    }

    /// The pub/sub channel of a job; the kept messages are in the list `<channel>:log`.
    public static func channel(prefix: String = "relay", queue: String, jobId: String) -> String {
        "\(prefix):stream:\(queue):\(jobId)"
    }

    public var logKey: String { channel + ":log" }

    /// Keeps and publishes one message.
    public func publish(_ message: JSONValue) async throws {
        _ = try await redis.evaluate(Self.script, keys: [logKey], arguments: [message.json, channel, retention])
    }

    static let script: RedisScript = {
        guard let url = Bundle.module.url(forResource: "publishMessage", withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("RelayWorkers' script publishMessage.lua is missing from the package resources") }
        return RedisScript(name: "publishMessage", source: source)
    }()

    /// The kept messages with a sequence number above `after`.
    public func messages(after: Int) async throws -> [JSONValue] {
        let reply = try await redis.send("LRANGE", logKey, max(0, after), -1)
        return (reply.array ?? []).compactMap { $0.string.flatMap { try? JSONValue(json: $0) } }
    }
}
