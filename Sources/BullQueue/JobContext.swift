import RelayRedis

/// What a processor gets: the job, and ways to report progress and logs.
public struct JobContext: Sendable {
    public let job: Job
    /// The lock token the worker holds the job with.
    public let token: String
    let queue: Queue

    /// Stores progress (a number or an object) and emits a `progress` event.
    public func updateProgress(_ progress: JSONValue) async throws {
        try await queue.updateProgress(jobId: job.id, progress: progress)
    }

    /// The return values of this job's finished children, by child job key (`<prefix>:<queue>:<id>`).
    public func childrenValues() async throws -> [String: JSONValue] {
        let reply = try await queue.redis.send("HGETALL", queue.keys.job(job.id) + ":processed")
        let flat = reply.array?.compactMap(\.string) ?? []
        var values: [String: JSONValue] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            values[flat[index]] = (try? JSONValue(json: flat[index + 1])) ?? .null
        }
        return values
    }

    /// Appends a line to the job's log.
    public func log(_ line: String) async throws {
        try await queue.addLog(jobId: job.id, line: line, keepLogs: job.options.keepLogs)
    }
}

/// Thrown by a processor to fail the job at once, with no further attempts.
public struct UnrecoverableError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A processor: returns the job's result, or throws to fail the attempt.
public typealias JobProcessor = @Sendable (JobContext) async throws -> JSONValue
