import BullQueue
import RelayProviders

/// A worker pool: one queue, its concurrency and job settings, and the request kinds it runs.
public struct PoolConfiguration: Sendable {
    public var name: String
    public var queue: String
    public var concurrency: Int
    /// The most jobs one user may have active in this pool, across every worker process (the default; per-user
    /// overrides are set at run time with `relay users set-concurrency`); nil for no limit.
    public var userConcurrency: Int?
    /// The BullMQ priority the ingress gives this pool's jobs (1 highest; 0 none).
    public var priority: Int
    public var lockDuration: Int
    public var stalledInterval: Int
    public var maxStalledCount: Int
    /// Per-job timeout, ms.
    public var timeout: Int
    public var attempts: Int
    public var backoff: Backoff?
    public var kinds: [LLMRequest.Kind]

    init(name: String, reader: YAMLReader) throws {
        self.name = name
        queue = try reader.child("queue").string()
        guard !queue.contains(":") else { throw reader.child("queue").error("a queue name without ':'") }
        concurrency = try reader.child("concurrency").int(min: 1, default: 16)
        let userReader = reader.child("userConcurrency")
        userConcurrency = userReader.isMissing ? nil : try userReader.int(min: 1)
        priority = try reader.child("priority").int(min: 0, default: 0)
        guard priority <= 2_097_151 else { throw reader.child("priority").error("a priority from 0 to 2097151") }
        lockDuration = try reader.child("lockDuration").int(min: 1, default: 30_000)
        stalledInterval = try reader.child("stalledInterval").int(min: 1, default: 30_000)
        maxStalledCount = try reader.child("maxStalledCount").int(min: 0, default: 1)
        timeout = try reader.child("timeout").int(min: 1, default: 120_000)
        attempts = try reader.child("attempts").int(min: 1, default: 1)
        let backoffReader = reader.child("backoff")
        if backoffReader.isMissing {
            backoff = nil
        } else {
            let type = try backoffReader.child("type").string()
            let delay = try backoffReader.child("delay").int(min: 0)
            switch type {
            case "fixed": backoff = Backoff(kind: .fixed, delay: delay)
            case "exponential": backoff = Backoff(kind: .exponential, delay: delay)
            default: throw backoffReader.child("type").error("fixed or exponential")
            }
        }
        let kindsReader = reader.child("kinds")
        kinds = try kindsReader.strings().enumerated().map { index, kind in
            guard let parsed = LLMRequest.Kind(rawValue: kind) else {
                throw YAMLReader(file: reader.file, node: nil, path: "\(kindsReader.path)[\(index)]")
                    .error("one of chat, completion, embedding (found '\(kind)')")
            }
            return parsed
        }
        guard !kinds.isEmpty else { throw kindsReader.error("at least one request kind") }
    }

    /// The BullQueue worker options this pool runs with.
    public var workerOptions: WorkerOptions {
        WorkerOptions(
            concurrency: concurrency,
            lockDuration: .milliseconds(lockDuration),
            stalledInterval: .milliseconds(stalledInterval),
            maxStalledCount: maxStalledCount,
            defaultTimeout: .milliseconds(timeout),
            name: "relay-\(name)",
            groupConcurrency: userConcurrency
        )
    }
}
