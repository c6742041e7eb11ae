import Foundation
import RelayProviders
import RelayRedis
import RelayWorkers
import Testing

@Suite("Circuit breaker shared through Redis")
struct CircuitStoreTests {
    let settings = CircuitBreakerSettings(timeout: 1000, errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeout: 200)

    @Test("two processes share one breaker: open → half-open (one probe) → closed")
    func sharedLifecycle() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let first = try RedisClient(url: url)
        let second = try RedisClient(url: url)
        let prefix = "relay-test-\(UUID().uuidString.prefix(8))"
        let a = RedisCircuitStore(redis: first, prefix: prefix)
        let b = RedisCircuitStore(redis: second, prefix: prefix)
        let now = Int(Date().timeIntervalSince1970 * 1000)

        #expect(try await a.record("p", success: true, probe: false, settings: settings, now: now) == nil)
        #expect(try await b.record("p", success: false, probe: false, settings: settings, now: now) == nil)
        #expect(try await a.record("p", success: false, probe: false, settings: settings, now: now + 1) == nil)
        #expect(try await b.record("p", success: false, probe: false, settings: settings, now: now + 2) == .open)
        #expect(try await a.acquire("p", settings: settings, now: now + 10) == .rejected)
        #expect(try await b.snapshot("p", settings: settings, now: now + 10).state == .open)

        #expect(try await b.acquire("p", settings: settings, now: now + 300) == .probe)
        #expect(try await a.acquire("p", settings: settings, now: now + 301) == .rejected)
        #expect(try await a.record("p", success: true, probe: true, settings: settings, now: now + 310) == .closed)
        #expect(try await b.acquire("p", settings: settings, now: now + 311) == .allowed)

        _ = try await first.send("DEL", "\(prefix):circuit:p", "\(prefix):circuit:p:window")
        await first.close()
        await second.close()
    }

    @Test("a failed probe opens the circuit again; a probe whose worker died is given to another after its lease")
    func failedProbe() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let store = RedisCircuitStore(redis: redis, prefix: "relay-test-\(UUID().uuidString.prefix(8))")
        let now = Int(Date().timeIntervalSince1970 * 1000)
        for offset in 0..<4 { _ = try await store.record("q", success: false, probe: false, settings: settings, now: now + offset) }
        #expect(try await store.acquire("q", settings: settings, now: now + 250) == .probe)
        #expect(try await store.acquire("q", settings: settings, now: now + 260) == .rejected)
        #expect(try await store.acquire("q", settings: settings, now: now + 1300) == .probe)
        #expect(try await store.record("q", success: false, probe: true, settings: settings, now: now + 1310) == .open)
        #expect(try await store.acquire("q", settings: settings, now: now + 1320) == .rejected)
        await redis.close()
    }

    @Test("cached in each process: successes reach Redis in one tally, failures at once; another process sees an open circuit within closedFor")
    func cachedStores() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let first = try RedisClient(url: url)
        let second = try RedisClient(url: url)
        let prefix = "relay-test-\(UUID().uuidString.prefix(8))"
        let shared = RedisCircuitStore(redis: first, prefix: prefix)
        let cache = CachedCircuitStore.Configuration(closedFor: 100, tallyEvery: 150)
        let a = CachedCircuitStore(shared, configuration: cache)
        let b = CachedCircuitStore(RedisCircuitStore(redis: second, prefix: prefix), configuration: cache)
        func now() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
        let wide = CircuitBreakerSettings(timeout: 1000, errorThresholdPercentage: 50, rollingCountTimeout: 60_000, volumeThreshold: 4, resetTimeout: 5_000)

        for _ in 0..<10 {
            #expect(try await a.acquire("p", settings: wide, now: now()) == .allowed)
            #expect(try await a.record("p", success: true, probe: false, settings: wide, now: now()) == nil)
        }
        #expect(try await shared.snapshot("p", settings: wide, now: now()).successes < 10)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await shared.snapshot("p", settings: wide, now: now()).successes == 10)

        #expect(try await b.acquire("p", settings: wide, now: now()) == .allowed)
        var opened = false
        for _ in 0..<12 where !opened {
            opened = try await a.record("p", success: false, probe: false, settings: wide, now: now()) == .open
        }
        #expect(opened)
        #expect(try await a.acquire("p", settings: wide, now: now()) == .rejected)
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await b.acquire("p", settings: wide, now: now()) == .rejected)
        let snapshot = try await shared.snapshot("p", settings: wide, now: now())
        #expect(snapshot.state == .open)
        #expect(snapshot.failures == 10)
        _ = try await first.send("DEL", "\(prefix):circuit:p", "\(prefix):circuit:p:window")
        await first.close()
        await second.close()
    }
}
