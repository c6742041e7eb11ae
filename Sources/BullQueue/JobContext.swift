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
