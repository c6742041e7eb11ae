/// Attempts on one provider before falling back: exponential backoff with full jitter, honouring `retry-after`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts per provider, the first included.
    public var attempts: Int
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// A `retry-after` longer than this is not waited for: the next provider is tried instead.
    public var maximumRetryAfter: Duration

    public init(
        attempts: Int = 2, initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(5),
        maximumRetryAfter: Duration = .seconds(10)
    ) {
        self.attempts = max(1, attempts)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The wait before attempt `attempt + 1`, or nil when waiting is not worth it.
    func wait(after error: ProviderError, attempt: Int) -> Duration? {
        if let retryAfter = error.retryAfter {
            let wait = Duration.milliseconds(Int(retryAfter * 1000))
            return wait <= maximumRetryAfter ? wait : nil
        }
        let exponential = min(initialBackoff * (1 << min(attempt - 1, 16)), maximumBackoff)
        return exponential * Double.random(in: 0.5...1)
    }
}
