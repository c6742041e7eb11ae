import Foundation
import RelayJSON
import RelayRedis

/// Where a job's results go: messages are kept, in order, in a list with a TTL, so a client that reconnects can
/// resume after the last sequence number it saw, and published on the channel of the ingress process following the
/// job: the one its route names (set by a resume), else the one it was added by (`replyTo`). Such a channel is
/// shared by the process's jobs, so each payload's first line there is the job's channel. A job with neither (added
/// by BullMQ or `relay queue`) is published on its own channel.
///
/// Messages are JSON: `{"seq", "type": "chunk", "data"}`, `{"seq", "type": "embedding", "data"}`,
/// `{"seq", "type": "done", "usage", "provider", "fallback", "finishReason"}` or
/// `{"seq", "type": "error", "error": {"code", "message"}}`. One pub/sub message carries one or more of them, one
/// per line (``messages(inPayload:)``); the kept log has one per entry.
public struct JobStream: Sendable {
    public let redis: RedisClient
    public let channel: String
    /// The reply channel of the ingress process that added the job; nil for none.
    public let replyTo: String?
    /// How long the kept messages live after the last one, in ms.
    public let retention: Int

    public init(
        redis: RedisClient, queue: String, jobId: String, replyTo: String? = nil, prefix: String = "relay",
        retention: Int = 3_600_000
    ) {
        self.redis = redis
        self.channel = Self.channel(prefix: prefix, queue: queue, jobId: jobId)
        self.replyTo = replyTo
        self.retention = retention
    }

    /// The pub/sub channel of a job; the kept messages are in the list `<channel>:log`.
    public static func channel(prefix: String = "relay", queue: String, jobId: String) -> String {
        "\(prefix):stream:\(queue):\(jobId)"
    }

    public var logKey: String { channel + ":log" }

    /// The job's route: the reply channel of the process that resumed it, which takes over from `replyTo`.
    public var routeKey: String { channel + ":route" }

    /// Keeps and publishes one message.
    public func publish(_ message: JSONValue) async throws {
        try await publish(lines: [message.json])
    }

    /// Keeps the messages (compact JSON, no newline) in order and publishes them together, in one call.
    public func publish(lines: [String]) async throws {
        guard !lines.isEmpty else { return }
        var arguments: [any RedisArgumentConvertible] = [channel, retention, replyTo ?? ""]
        arguments.reserveCapacity(lines.count + 3)
        for line in lines { arguments.append(line) }
        _ = try await redis.evaluate(Self.script, keys: [logKey, routeKey], arguments: arguments)
    }

    /// The messages one pub/sub payload carries.
    public static func messages(inPayload text: String) -> [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n")).map { Substring($0) }
    }

    static let script: RedisScript = {
        guard let url = Bundle.module.url(forResource: "publishMessages", withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("RelayWorkers' script publishMessages.lua is missing from the package resources") }
        return RedisScript(name: "publishMessages", source: source)
    }()

    /// The kept messages with a sequence number above `after`.
    public func messages(after: Int) async throws -> [JSONValue] {
        let reply = try await redis.send("LRANGE", logKey, max(0, after), -1)
        return (reply.array ?? []).compactMap { $0.string.flatMap { try? JSONValue(json: $0) } }
    }
}
