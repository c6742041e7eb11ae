/// A job as stored in its hash.
public struct Job: Sendable {
    public let id: String
    public let name: String
    /// The payload's JSON text as stored.
    public let dataJSON: String
    public let options: JobOptions
    public let timestamp: Int
    public let delay: Int
    public let priority: Int
    public let processedOn: Int?
    public let finishedOn: Int?
    /// The return value's JSON text, once completed.
    public let returnValueJSON: String?
    public let failedReason: String?
    public let stacktrace: [String]
    public let attemptsMade: Int
    public let attemptsStarted: Int
    public let stalledCounter: Int
    public let progressJSON: String?
    /// Set when the job must fail without running (stalled too often, or a child failed).
    public let deferredFailure: String?
    public let parentKey: String?
    /// Set by ``Queue/cancel(jobId:reason:)``: the job must stop, or not start.
    public let cancelReason: String?

    /// The payload, parsed; `.null` when it is not valid JSON.
    public var data: JSONValue { (try? JSONValue(json: dataJSON)) ?? .null }
    public var returnValue: JSONValue? { returnValueJSON.flatMap { try? JSONValue(json: $0) } }
    public var progress: JSONValue? { progressJSON.flatMap { try? JSONValue(json: $0) } }

    /// Reads a job from HGETALL's field/value pairs.
    init(id: String, fields: [String: String]) {
        self.id = id
        name = fields["name"] ?? ""
        dataJSON = fields["data"] ?? "{}"
        options = (fields["opts"].flatMap { try? JSONValue(json: $0) }).flatMap { try? JobOptions(json: $0) } ?? JobOptions()
        timestamp = fields["timestamp"].flatMap { Int($0) } ?? 0
        delay = fields["delay"].flatMap { Int($0) } ?? 0
        priority = fields["priority"].flatMap { Int($0) } ?? 0
        processedOn = fields["processedOn"].flatMap { Int($0) }
        finishedOn = fields["finishedOn"].flatMap { Int($0) }
        returnValueJSON = fields["returnvalue"]
        failedReason = fields["failedReason"]
        stacktrace = fields["stacktrace"].flatMap { try? JSONValue(json: $0) }?.arrayValue?.compactMap(\.stringValue) ?? []
        attemptsMade = (fields["atm"] ?? fields["attemptsMade"]).flatMap { Int($0) } ?? 0
        attemptsStarted = fields["ats"].flatMap { Int($0) } ?? 0
        stalledCounter = fields["stc"].flatMap { Int($0) } ?? 0
        progressJSON = fields["progress"]
        deferredFailure = fields["defa"]
        parentKey = fields["parentKey"]
        cancelReason = fields["cxl"]
    }

    /// Reads a job from a flat `[field, value, field, value…]` reply.
    init?(id: String, flatFields: [String]) {
        guard !flatFields.isEmpty else { return nil }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flatFields.count {
            fields[flatFields[index]] = flatFields[index + 1]
            index += 2
        }
        self.init(id: id, fields: fields)
    }

    /// Attempts allowed: `attempts`, treating 0 or missing as 1.
    public var attemptsAllowed: Int { max(1, options.attempts ?? 1) }
}
