/// Exponential backoff with jitter for reopening connections.
public struct RedisReconnectPolicy: Sendable {
    /// The wait before the second attempt; each later wait doubles, up to ``maximumDelay``.
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// Attempts a command makes to open a connection before it fails with `connectionFailed`.
    /// Subscriptions keep trying for as long as they have subscribers.
    public var attemptsPerCommand: Int

    public init(
        initialDelay: Duration = .milliseconds(50),
        maximumDelay: Duration = .seconds(2),
        attemptsPerCommand: Int = 6
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.attemptsPerCommand = max(1, attemptsPerCommand)
    }

    /// The wait after `failures` failed attempts: full jitter between half and all of the exponential delay.
    public func delay(afterFailures failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 20)
        let base = min(initialDelay * (1 << exponent), maximumDelay)
        return base * Double.random(in: 0.5...1.0)
    }
}
