import RelayRedis

/// What became of an add that ran preludes.
public enum AddOutcome: Sendable, Equatable {
    /// The job's id (for a duplicate custom id or deduplicated add, the existing job's).
    case added(String)
    /// A prelude refused the add; its reply.
    case refused(RedisValue)
}
