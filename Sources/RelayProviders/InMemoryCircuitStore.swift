import Synchronization

/// Circuit state for one process (tests, single-process deployments).
public final class InMemoryCircuitStore: CircuitStateStore {
    private struct Circuit {
        var state = CircuitState.closed
        var openedAt = 0
        var probing = false
        /// bucket start (ms) → (successes, failures)
        var buckets: [Int: (Int, Int)] = [:]
    }

    private let circuits = Mutex<[String: Circuit]>([:])

    public init() {}

    public func acquire(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitPermit {
        circuits.withLock { circuits in
            var circuit = circuits[provider] ?? Circuit()
            defer { circuits[provider] = circuit }
            switch circuit.state {
            case .closed:
                return .allowed
            case .open:
                guard now - circuit.openedAt >= settings.resetTimeout else { return .rejected }
                circuit.state = .halfOpen
                circuit.probing = true
                return .probe
            case .halfOpen:
                if circuit.probing { return .rejected }
                circuit.probing = true
                return .probe
            }
        }
    }

    public func record(
        _ provider: String, success: Bool, probe: Bool, settings: CircuitBreakerSettings, now: Int
    ) async throws -> CircuitState? {
        circuits.withLock { circuits in
            var circuit = circuits[provider] ?? Circuit()
            defer { circuits[provider] = circuit }
            if probe || circuit.state == .halfOpen {
                circuit.probing = false
                circuit.buckets = [:]
                circuit.state = success ? .closed : .open
                circuit.openedAt = now
                return circuit.state
            }
            let bucket = now - now % settings.bucketLength
            circuit.buckets = circuit.buckets.filter { $0.key > now - settings.rollingCountTimeout }
            var counts = circuit.buckets[bucket] ?? (0, 0)
            if success { counts.0 += 1 } else { counts.1 += 1 }
            circuit.buckets[bucket] = counts
            guard circuit.state == .closed, !success else { return nil }
            let successes = circuit.buckets.values.reduce(0) { $0 + $1.0 }
            let failures = circuit.buckets.values.reduce(0) { $0 + $1.1 }
            let total = successes + failures
            guard total >= settings.volumeThreshold, failures * 100 >= settings.errorThresholdPercentage * total else {
                return nil
            }
            circuit.state = .open
            circuit.openedAt = now
            return .open
        }
    }

    public func tally(_ provider: String, successes count: Int, settings: CircuitBreakerSettings, now: Int) async throws {
        circuits.withLock { circuits in
            var circuit = circuits[provider] ?? Circuit()
            guard count > 0, circuit.state == .closed else { return }
            let bucket = now - now % settings.bucketLength
            circuit.buckets[bucket, default: (0, 0)].0 += count
            circuits[provider] = circuit
        }
    }

    public func snapshot(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitSnapshot {
        circuits.withLock { circuits in
            let circuit = circuits[provider] ?? Circuit()
            let live = circuit.buckets.filter { $0.key > now - settings.rollingCountTimeout }.values
            return CircuitSnapshot(
                state: circuit.state,
                successes: live.reduce(0) { $0 + $1.0 },
                failures: live.reduce(0) { $0 + $1.1 },
                openedAt: circuit.state == .closed ? nil : circuit.openedAt
            )
        }
    }
}
