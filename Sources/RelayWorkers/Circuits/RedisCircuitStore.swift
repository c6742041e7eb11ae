import Foundation
import RelayProviders
import RelayRedis

/// Circuit state in Redis, so every worker process sees the same breaker for a provider.
public struct RedisCircuitStore: CircuitStateStore {
    public let redis: RedisClient
    public let prefix: String
    private let scripts = CircuitScripts.shared

    public init(redis: RedisClient, prefix: String = "relay") {
        self.redis = redis
        self.prefix = prefix
    }

    private func circuitKey(_ provider: String) -> String { "\(prefix):circuit:\(provider)" }

    public func acquire(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitPermit {
        let reply = try await redis.evaluate(
            scripts.acquire, keys: [circuitKey(provider)], arguments: [now, settings.resetTimeout, settings.timeout]
        )
        switch reply.string {
        case "allowed": return .allowed
        case "probe": return .probe
        default: return .rejected
        }
    }

    public func record(
        _ provider: String, success: Bool, probe: Bool, settings: CircuitBreakerSettings, now: Int
    ) async throws -> CircuitState? {
        try await record(provider, success: success, probe: probe, count: 1, tallyOnly: false, settings: settings, now: now)
    }

    public func tally(_ provider: String, successes count: Int, settings: CircuitBreakerSettings, now: Int) async throws {
        guard count > 0 else { return }
        _ = try await record(provider, success: true, probe: false, count: count, tallyOnly: true, settings: settings, now: now)
    }

    private func record(
        _ provider: String, success: Bool, probe: Bool, count: Int, tallyOnly: Bool, settings: CircuitBreakerSettings,
        now: Int
    ) async throws -> CircuitState? {
        let reply = try await redis.evaluate(
            scripts.record,
            keys: [circuitKey(provider), circuitKey(provider) + ":window"],
            arguments: [
                now, success ? "1" : "0", probe ? "1" : "0", settings.rollingCountTimeout,
                max(1, settings.rollingCountTimeout / settings.rollingCountBuckets), settings.volumeThreshold,
                settings.errorThresholdPercentage, count, tallyOnly ? "1" : "0",
            ]
        )
        return reply.string.flatMap(CircuitState.init(rawValue:))
    }

    public func snapshot(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitSnapshot {
        let replies = try await redis.pipeline([
            RedisCommand("HMGET", circuitKey(provider), "state", "openedAt"),
            RedisCommand("HGETALL", circuitKey(provider) + ":window"),
        ])
        let circuit = replies[0].array ?? []
        let state = circuit.first?.string.flatMap(CircuitState.init(rawValue:)) ?? .closed
        var successes = 0
        var failures = 0
        let counts = replies[1].array?.compactMap(\.string) ?? []
        for index in stride(from: 0, to: counts.count - 1, by: 2) {
            guard let start = Int(counts[index].dropLast(2)), start > now - settings.rollingCountTimeout else { continue }
            if counts[index].hasSuffix(":s") { successes += Int(counts[index + 1]) ?? 0 } else { failures += Int(counts[index + 1]) ?? 0 }
        }
        return CircuitSnapshot(
            state: state, successes: successes, failures: failures,
            openedAt: state == .closed ? nil : circuit.dropFirst().first?.int
        )
    }
}

/// The circuit breaker's Lua scripts, read from the package's resources.
struct CircuitScripts: Sendable {
    let acquire: RedisScript
    let record: RedisScript

    static let shared: CircuitScripts = {
        func load(_ name: String) -> RedisScript {
            guard let url = Bundle.module.url(forResource: name, withExtension: "lua", subdirectory: "Scripts"),
                let source = try? String(contentsOf: url, encoding: .utf8)
            else { fatalError("RelayWorkers' script \(name).lua is missing from the package resources") }
            return RedisScript(name: name, source: source)
        }
        return CircuitScripts(acquire: load("circuitAcquire"), record: load("circuitRecord"))
    }()
}
