/// removeOnComplete / removeOnFail: which finished jobs to keep.
public struct KeepJobs: Sendable, Hashable {
    /// -1 keeps all, 0 none, n the newest n.
    public var count: Int
    /// Seconds; older finished jobs are removed.
    public var age: Int?
    /// At most this many old jobs removed per finishing job.
    public var limit: Int?
    /// The JSON as given, stored back unchanged.
    let original: JSONValue

    public static let keepAll = KeepJobs(count: -1, age: nil, limit: nil, original: .bool(false))
    public static let keepNone = KeepJobs(count: 0, age: nil, limit: nil, original: .bool(true))
    public static func newest(_ count: Int) -> KeepJobs {
        KeepJobs(count: count, age: nil, limit: nil, original: .int(count))
    }

    init(count: Int, age: Int?, limit: Int?, original: JSONValue) {
        self.count = count
        self.age = age
        self.limit = limit
        self.original = original
    }

    init?(json: JSONValue, key: String) throws {
        switch json {
        case .null: return nil
        case .bool(let remove): self = remove ? .keepNone : .keepAll
        case .int(let count) where count >= 0: self.init(count: count, age: nil, limit: nil, original: json)
        case .object(let object):
            let count = object["count"]?.intValue ?? -1
            let age = object["age"]?.intValue
            let limit = object["limit"]?.intValue
            self.init(count: count, age: age, limit: limit, original: json)
        default:
            throw QueueError(.invalidOptions, "'\(key)' is true, false, a count or {\"count\", \"age\"}")
        }
    }

    var json: JSONValue { original }
}
