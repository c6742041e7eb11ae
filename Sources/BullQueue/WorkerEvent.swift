/// What a worker reports about the jobs it handles.
public enum WorkerEvent: Sendable {
    case completed(Job, returnValue: JSONValue)
    /// The attempt failed; `willRetry` says whether the job will be tried again.
    case failed(Job, reason: String, willRetry: Bool)
    /// Jobs the stalled check sent back to waiting.
    case stalled([String])
    /// A job's lock could not be renewed; another worker may take it.
    case lockLost(jobId: String)
    /// Something went wrong outside a processor (Redis down, a lost lock at finish).
    case error(String)
}
