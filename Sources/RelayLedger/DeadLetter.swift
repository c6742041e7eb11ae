import Foundation

/// A failed job as `relay dlq` archives it in `dead_letters` (migration 0005).
public struct DeadLetter: Sendable, Hashable {
    public var queue: String
    public var jobId: String
    public var name: String
    public var userId: String?
    /// JSON texts as stored in the job hash; invalid JSON is archived as a JSON string.
    public var dataJSON: String
    public var optionsJSON: String
    public var failedReason: String?
    /// The JSON array of stack traces, one per failed attempt.
    public var stacktraceJSON: String
    public var attemptsMade: Int
    public var attemptsStarted: Int
    /// Milliseconds since the epoch.
    public var timestamp: Int
    public var processedOn: Int?
    public var finishedOn: Int
    /// Every field of the job hash, as a JSON object of strings.
    public var hashJSON: String

    public init(
        queue: String, jobId: String, name: String, userId: String?, dataJSON: String, optionsJSON: String,
        failedReason: String?, stacktraceJSON: String, attemptsMade: Int, attemptsStarted: Int, timestamp: Int,
        processedOn: Int?, finishedOn: Int, hashJSON: String
    ) {
        self.queue = queue
        self.jobId = jobId
        self.name = name
        self.userId = userId
        self.dataJSON = dataJSON
        self.optionsJSON = optionsJSON
        self.failedReason = failedReason
        self.stacktraceJSON = stacktraceJSON
        self.attemptsMade = attemptsMade
        self.attemptsStarted = attemptsStarted
        self.timestamp = timestamp
        self.processedOn = processedOn
        self.finishedOn = finishedOn
        self.hashJSON = hashJSON
    }
}
