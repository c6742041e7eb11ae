/// An error of the queue: bad input, a job in the wrong state, a lost lock.
public struct QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidOptions, invalidQueueName, jobNotFound, lockMissing, lockMismatch, notActive
            case pendingChildren, notPaused, activeJobs, unexpectedReply, scriptMissing
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let invalidOptions = Code(.invalidOptions)
        public static let invalidQueueName = Code(.invalidQueueName)
        public static let jobNotFound = Code(.jobNotFound)
        /// The job's lock expired: another worker may have taken it after a stall.
        public static let lockMissing = Code(.lockMissing)
        /// Another worker holds the job's lock.
        public static let lockMismatch = Code(.lockMismatch)
        /// The job is not in the state the operation needs.
        public static let notActive = Code(.notActive)
        public static let pendingChildren = Code(.pendingChildren)
        public static let notPaused = Code(.notPaused)
        public static let activeJobs = Code(.activeJobs)
        public static let unexpectedReply = Code(.unexpectedReply)
        public static let scriptMissing = Code(.scriptMissing)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "queue error (\(code)): \(detail)" }

    /// Reads the negative codes BullMQ's scripts share.
    static func scriptCode(_ code: Int, jobId: String, operation: String) -> QueueError {
        switch code {
        case -1: return QueueError(.jobNotFound, "\(operation): job \(jobId) does not exist")
        case -2: return QueueError(.lockMissing, "\(operation): missing lock for job \(jobId)")
        case -3: return QueueError(.notActive, "\(operation): job \(jobId) is not in the expected state")
        case -4: return QueueError(.pendingChildren, "\(operation): job \(jobId) has pending children")
        case -6: return QueueError(.lockMismatch, "\(operation): lock mismatch for job \(jobId)")
        default: return QueueError(.unexpectedReply, "\(operation): script returned \(code) for job \(jobId)")
        }
    }
}
