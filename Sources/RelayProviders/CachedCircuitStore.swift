import Foundation
import Synchronization

/// Spares a shared circuit store (Redis) two round trips per call while a circuit is closed: a closed circuit is
/// believed for ``Configuration/closedFor`` after the store said so, and successes are counted here and handed
/// to the store in one call every ``Configuration/tallyEvery``. Failures, probes and every state other than
/// closed go to the store at once, so a circuit opened by this process is seen here on the next call, and one
/// opened by another process at most `closedFor` later.
public final class CachedCircuitStore: CircuitStateStore {
    public struct Configuration: Sendable, Hashable {
        /// How long a closed circuit is believed without asking the store (ms).
        public var closedFor: Int
        /// How often counted successes go to the store (ms).
        public var tallyEvery: Int

        public init(closedFor: Int = 100, tallyEvery: Int = 250) {
            self.closedFor = closedFor
            self.tallyEvery = tallyEvery
        }
    }

    private struct Circuit {
        var closedUntil = 0
        var successes = 0
        var tallying = false
    }

    public let store: any CircuitStateStore
    public let configuration: Configuration
    private let circuits = Mutex<[String: Circuit]>([:])

    public init(_ store: any CircuitStateStore, configuration: Configuration = .init()) {
        self.store = store
        self.configuration = configuration
    }

    public func acquire(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitPermit {
        if circuits.withLock({ ($0[provider]?.closedUntil ?? 0) > now }) { return .allowed }
        let permit = try await store.acquire(provider, settings: settings, now: now)
        circuits.withLock { $0[provider, default: Circuit()].closedUntil = permit == .allowed ? now + configuration.closedFor : 0 }
        return permit
    }

    public func record(
        _ provider: String, success: Bool, probe: Bool, settings: CircuitBreakerSettings, now: Int
    ) async throws -> CircuitState? {
        if success, !probe {
            let startTally = circuits.withLock { circuits -> Bool in
                circuits[provider, default: Circuit()].successes += 1
                guard !circuits[provider]!.tallying else { return false }
                circuits[provider]!.tallying = true
                return true
            }
            if startTally {
                Task {
                    try? await Task.sleep(for: .milliseconds(configuration.tallyEvery))
                    await self.handOver(provider, settings: settings)
                }
            }
            return nil
        }
        // The successes so far first, so the store judges the failure against the whole window.
        await handOver(provider, settings: settings, keepTallying: true)
        circuits.withLock { $0[provider, default: Circuit()].closedUntil = 0 }
        return try await store.record(provider, success: success, probe: probe, settings: settings, now: now)
    }

    public func snapshot(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitSnapshot {
        try await store.snapshot(provider, settings: settings, now: now)
    }

    public func tally(_ provider: String, successes count: Int, settings: CircuitBreakerSettings, now: Int) async throws {
        try await store.tally(provider, successes: count, settings: settings, now: now)
    }

    /// Hands the counted successes to the store.
    private func handOver(_ provider: String, settings: CircuitBreakerSettings, keepTallying: Bool = false) async {
        let count = circuits.withLock { circuits -> Int in
            guard var circuit = circuits[provider] else { return 0 }
            defer { circuits[provider] = circuit }
            if !keepTallying { circuit.tallying = false }
            defer { circuit.successes = 0 }
            return circuit.successes
        }
        guard count > 0 else { return }
        try? await store.tally(provider, successes: count, settings: settings, now: Self.now())
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
}
