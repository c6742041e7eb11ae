/// A flow child's parent: its id and its queue's key, `<prefix>:<queue>`.
public struct ParentReference: Sendable, Hashable {
    public var id: String
    public var queueKey: String

    public init(id: String, queueKey: String) {
        self.id = id
        self.queueKey = queueKey
    }

    /// The parent job's hash key.
    public var jobKey: String { "\(queueKey):\(id)" }
}

/// What a parent does when a child fails for good (BullMQ's options; without one the parent keeps waiting).
public enum ParentFailurePolicy: String, Sendable, CaseIterable {
    /// The parent fails too, without running.
    case failParentOnFailure
    /// The parent runs anyway; the failure is in its failed children.
    case continueParentOnFailure
    /// The child no longer counts; its failure is recorded for the parent.
    case ignoreDependencyOnFailure
    /// The child no longer counts, and nothing is recorded.
    case removeDependencyOnFailure

    /// The key in the stored options and in the child's `parent` field.
    public var shortKey: String {
        switch self {
        case .failParentOnFailure: return "fpof"
        case .continueParentOnFailure: return "cpof"
        case .ignoreDependencyOnFailure: return "idof"
        case .removeDependencyOnFailure: return "rdof"
        }
    }
}
