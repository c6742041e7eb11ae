/// A circuit breaker's settings, with opossum's meaning and defaults.
public struct CircuitBreakerSettings: Sendable, Hashable, Codable {
    /// A call slower than this counts as a failure (ms).
    public var timeout: Int
    /// Failure share (percent) in the rolling window at which the circuit opens.
    public var errorThresholdPercentage: Int
    /// The rolling window (ms).
    public var rollingCountTimeout: Int
    /// Buckets the window is kept in.
    public var rollingCountBuckets: Int
    /// Calls needed in the window before the circuit may open.
    public var volumeThreshold: Int
    /// How long the circuit stays open before one probe is let through (ms).
    public var resetTimeout: Int

    public init(
        timeout: Int = 10_000, errorThresholdPercentage: Int = 50, rollingCountTimeout: Int = 10_000,
        rollingCountBuckets: Int = 10, volumeThreshold: Int = 5, resetTimeout: Int = 30_000
    ) {
        self.timeout = timeout
        self.errorThresholdPercentage = errorThresholdPercentage
        self.rollingCountTimeout = rollingCountTimeout
        self.rollingCountBuckets = max(1, rollingCountBuckets)
        self.volumeThreshold = volumeThreshold
        self.resetTimeout = resetTimeout
    }

    var bucketLength: Int { max(1, rollingCountTimeout / rollingCountBuckets) }
}

/// Where a circuit is.
public enum CircuitState: String, Sendable, Hashable, Codable {
    case closed
    case open
    case halfOpen = "half-open"
}

/// Whether a call may go to the provider now.
public enum CircuitPermit: Sendable, Hashable {
    case allowed
    /// The circuit is half-open and this call is its single probe.
    case probe
    case rejected
}

/// A circuit's state and its rolling counts, for status pages.
public struct CircuitSnapshot: Sendable, Hashable, Codable {
    public var state: CircuitState
    public var successes: Int
    public var failures: Int
    public var openedAt: Int?

    public init(state: CircuitState, successes: Int, failures: Int, openedAt: Int?) {
        self.state = state
        self.successes = successes
        self.failures = failures
        self.openedAt = openedAt
    }

    public var errorRate: Double {
        let total = successes + failures
        return total == 0 ? 0 : Double(failures) / Double(total)
    }
}

/// Keeps circuit state; the Redis store shares it between every worker process.
public protocol CircuitStateStore: Sendable {
    /// Decides whether a call may go through at `now` (ms since the epoch).
    func acquire(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitPermit
    /// Records a call's outcome; returns the new state when it changed.
    func record(
        _ provider: String, success: Bool, probe: Bool, settings: CircuitBreakerSettings, now: Int
    ) async throws -> CircuitState?
    func snapshot(_ provider: String, settings: CircuitBreakerSettings, now: Int) async throws -> CircuitSnapshot
    /// Counts `count` successes of calls made while the circuit was closed, without moving the circuit.
    func tally(_ provider: String, successes count: Int, settings: CircuitBreakerSettings, now: Int) async throws
}

