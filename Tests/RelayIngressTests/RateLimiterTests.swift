import Foundation
import RelayIngress
import RelayRedis
import Testing

@Suite("Per-user rate limits")
struct RateLimiterTests {
    static var url: String { ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379" }

    /// Counts how many of `attempts` requests, sent at once from two clients (as two ingress processes), get in.
    func admitted(_ limiters: [RateLimiter], user: String, attempts: Int, tokens: Int = 0) async throws -> (Int, [IngressError]) {
        try await withThrowingTaskGroup(of: IngressError?.self) { group in
            for index in 0..<attempts {
                let limiter = limiters[index % limiters.count]
                group.addTask {
                    do {
                        try await limiter.admit(userId: user, tokens: tokens)
                        return nil
                    } catch let error as IngressError {
                        return error
                    }
                }
            }
            var refusals: [IngressError] = []
            for try await refusal in group { if let refusal { refusals.append(refusal) } }
            return (attempts - refusals.count, refusals)
        }
    }

    @Test("requests per minute hold across two ingress clients; refusals say when to retry")
    func requestsPerMinute() async throws {
        let (first, second) = (try RedisClient(url: Self.url), try RedisClient(url: Self.url))
        let prefix = "rl-\(UUID().uuidString.prefix(8))"
        let limiters = [first, second].map { RateLimiter(redis: $0, defaults: .init(rpm: 30), prefix: prefix) }
        let (admitted, refusals) = try await admitted(limiters, user: "heavy", attempts: 100)
        #expect(admitted == 30)
        #expect(refusals.allSatisfy { $0.code == .rateLimitExceeded && ($0.retryAfter ?? 0) >= 1 && ($0.retryAfter ?? 0) <= 60 })
        // Another user has a budget of their own.
        #expect(try await self.admitted(limiters, user: "light", attempts: 5).0 == 5)
        await first.close()
        await second.close()
    }

    @Test("tokens per minute count each request's cost; one larger than a minute's budget is refused outright")
    func tokensPerMinute() async throws {
        let redis = try RedisClient(url: Self.url)
        let limiter = RateLimiter(redis: redis, defaults: .init(tpm: 1000), prefix: "rl-\(UUID().uuidString.prefix(8))")
        #expect(try await admitted([limiter], user: "u", attempts: 10, tokens: 300).0 == 3)
        await #expect {
            try await limiter.admit(userId: "other", tokens: 5000)
        } throws: { ($0 as? IngressError)?.retryAfter == nil }
        await redis.close()
    }

    @Test("an admin's override takes effect at once and clears back to the default")
    func overrides() async throws {
        let redis = try RedisClient(url: Self.url)
        let limiter = RateLimiter(redis: redis, defaults: .init(rpm: 2), prefix: "rl-\(UUID().uuidString.prefix(8))")
        try await limiter.setLimits(userId: "vip", .init(rpm: 50))
        #expect(try await limiter.effectiveLimits(userId: "vip") == .init(rpm: 50))
        #expect(try await admitted([limiter], user: "vip", attempts: 20).0 == 20)
        try await limiter.setLimits(userId: "vip", .init())
        #expect(try await limiter.effectiveLimits(userId: "vip") == .init(rpm: 2))
        // The minute's budget already spent at the higher rate leaves at most one request at 2 a minute.
        #expect(try await admitted([limiter], user: "vip", attempts: 5).0 <= 1)
        #expect(try await admitted([limiter], user: "fresh", attempts: 5).0 == 2)
        await redis.close()
    }
}
