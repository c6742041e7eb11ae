/// One entry of a queue's events stream.
public struct QueueEvent: Sendable, Hashable {
    /// The events BullMQ writes; anything else (custom events) is `.custom`.
    public enum Kind: String, Sendable, CaseIterable {
        case added, waiting, active, progress, completed, failed, delayed, stalled, removed, drained
        case retriesExhausted = "retries-exhausted"
        case paused, resumed, duplicated, deduplicated, cleaned
        case waitingChildren = "waiting-children"
        case custom
    }

    /// The stream entry id, to resume from.
    public let id: String
    /// The event's name as written (`event` field).
    public let name: String
    /// Every field but `event`.
    public let fields: [String: String]

    public var kind: Kind { Kind(rawValue: name) ?? .custom }
    public var jobId: String? { fields["jobId"] }
    /// The state the job came from (`prev`).
    public var previous: String? { fields["prev"] }
    public var returnValue: JSONValue? { fields["returnvalue"].flatMap { try? JSONValue(json: $0) } }
    public var failedReason: String? { fields["failedReason"] }
    /// Progress data (`progress` events).
    public var data: JSONValue? { fields["data"].flatMap { try? JSONValue(json: $0) } }
    /// The due timestamp (ms) of a `delayed` event.
    public var dueAt: Int? { fields["delay"].flatMap { Int($0) } }

    /// Reads a stream entry's id and flat field list; nil when it has no `event` field.
    public static func make(id: String, fields: [String]) -> QueueEvent? {
        QueueEvent(id: id, flatFields: fields)
    }

    init?(id: String, flatFields: [String]) {
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flatFields.count {
            fields[flatFields[index]] = flatFields[index + 1]
            index += 2
        }
        guard let name = fields.removeValue(forKey: "event") else { return nil }
        self.id = id
        self.name = name
        self.fields = fields
    }
}
