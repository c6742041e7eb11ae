/// The states a job can be in, named as BullMQ names them.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case waiting
    case prioritized
    case delayed
    case active
    case completed
    case failed
    case waitingChildren = "waiting-children"
    /// v5 data only; v6 queues keep paused jobs in `wait`.
    case paused
    case unknown

    /// The Redis key suffix that holds jobs of this state.
    var keySuffix: String? {
        switch self {
        case .waiting: return "wait"
        case .unknown: return nil
        default: return rawValue
        }
    }

    var isList: Bool { self == .waiting || self == .active || self == .paused }
}
