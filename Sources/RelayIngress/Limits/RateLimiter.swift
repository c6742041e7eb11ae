import BullQueue
import Foundation
import RelayRedis

/// Per-user limits on requests and tokens per minute, kept in Redis (GCRA), so that every ingress process
/// counts against the same budget. Admins override a user's limits at run time; the override lasts until cleared.
public struct RateLimiter: Sendable {
    /// Requests and tokens per minute; nil (or 0) for no limit.
    public struct Limits: Sendable, Hashable, Codable {
        public var rpm: Int?
        public var tpm: Int?

        public init(rpm: Int? = nil, tpm: Int? = nil) {
            self.rpm = rpm
            self.tpm = tpm
        }
    }

    public let redis: RedisClient
    /// The limits of users without an override.
    public let defaults: Limits
    let prefix: String

    public init(redis: RedisClient, defaults: Limits = Limits(), prefix: String = "relay") {
        self.redis = redis
        self.defaults = defaults
        self.prefix = prefix
    }

    /// Admits one request costing `tokens` (its prompt and the most it may generate), or throws
    /// RATE_LIMIT_EXCEEDED with the seconds until it would be admitted.
    public func admit(userId: String, tokens: Int) async throws {
        let check = prelude(userId: userId, tokens: tokens)
        let reply = try await redis.evaluate(Self.script, keys: check.keys, arguments: check.arguments)
        if let refusal = Self.refusal(reply) { throw refusal }
    }

    /// The same check as ``admit(userId:tokens:)``, to run in the script call that adds the request's job.
    public func prelude(userId: String, tokens: Int) -> AddPrelude {
        AddPrelude(
            name: Self.script.name, source: Self.script.source,
            keys: [limitsKey(userId), "\(prefix):rl:\(userId):requests", "\(prefix):rl:\(userId):tokens"],
            arguments: [defaults.rpm ?? 0, defaults.tpm ?? 0, max(0, tokens)]
        )
    }

    /// The error a reply of the check means; nil when it admitted the request.
    public static func refusal(_ reply: RedisValue) -> IngressError? {
        guard let parts = reply.array else { return nil }
        let wait = parts.count > 1 ? parts[1].int ?? 0 : 0
        let limit = parts.count > 2 ? parts[2].string ?? "rpm" : "rpm"
        if wait < 0 {
            return IngressError(.rateLimitExceeded, "the request needs more tokens than your limit allows per minute")
        }
        let seconds = max(1, (wait + 999) / 1000)
        let name = limit == "tpm" ? "tokens" : "requests"
        return IngressError(.rateLimitExceeded, "rate limit of \(name) per minute reached; retry in \(seconds) s", retryAfter: seconds)
    }

    /// Sets (or, with nil, clears) a user's overrides; effective for the next request.
    public func setLimits(userId: String, _ limits: Limits) async throws {
        var commands = [RedisCommand("DEL", limitsKey(userId))]
        var fields: [any RedisArgumentConvertible] = [limitsKey(userId)]
        if let rpm = limits.rpm { fields += ["rpm", rpm] }
        if let tpm = limits.tpm { fields += ["tpm", tpm] }
        if fields.count > 1 { commands.append(RedisCommand("HSET", arguments: fields)) }
        _ = try await redis.transaction(commands)
    }

    /// A user's overrides (nil fields: the defaults apply).
    public func overrides(userId: String) async throws -> Limits {
        let values = try await redis.send("HMGET", limitsKey(userId), "rpm", "tpm").array ?? []
        let number = { (index: Int) -> Int? in values.count > index ? values[index].string.flatMap { Int($0) } : nil }
        return Limits(rpm: number(0), tpm: number(1))
    }

    /// The limits in force for a user: overrides, else the defaults.
    public func effectiveLimits(userId: String) async throws -> Limits {
        let overrides = try await overrides(userId: userId)
        return Limits(rpm: overrides.rpm ?? defaults.rpm, tpm: overrides.tpm ?? defaults.tpm)
    }

    func limitsKey(_ userId: String) -> String { "\(prefix):limits:\(userId)" }

    static let script: RedisScript = {
        guard let url = Bundle.module.url(forResource: "rateLimit", withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("RelayIngress's rateLimit.lua is missing from the package resources") }
        return RedisScript(name: "rateLimit", source: source)
    }()
}
