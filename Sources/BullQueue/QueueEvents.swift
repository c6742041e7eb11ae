import RelayRedis

/// A queue's events as an async sequence, read from its stream with XREAD BLOCK on a dedicated connection.
///
/// Start from `"$"` (only new events, the default), `"0-0"` (everything still in the stream), or the id of the last
/// event seen to resume after it.
public struct QueueEvents: AsyncSequence, Sendable {
    public typealias Element = QueueEvent

    public let queue: Queue
    public let lastEventID: String
    public let blockTimeout: Duration

    public init(queue: Queue, lastEventID: String = "$", blockTimeout: Duration = .seconds(10)) {
        self.queue = queue
        self.lastEventID = lastEventID
        self.blockTimeout = blockTimeout
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(queue: queue, lastID: lastEventID, blockTimeout: blockTimeout)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let queue: Queue
        var lastID: String
        let blockTimeout: Duration
        var buffered: [QueueEvent] = []

        public mutating func next() async throws -> QueueEvent? {
            while buffered.isEmpty {
                try Task.checkCancellation()
                if lastID == "$" {
                    let last = try await queue.redis.send("XREVRANGE", queue.keys.events, "+", "-", "COUNT", 1)
                    lastID = last.array?.first?.array?.first?.string ?? "0-0"
                }
                let key = queue.keys.events
                let from = lastID
                let milliseconds = Swift.max(1, blockTimeout.milliseconds)
                let reply = try await queue.redis.withDedicatedConnection { connection in
                    try await connection.send(
                        RedisCommand("XREAD", "COUNT", 500, "BLOCK", milliseconds, "STREAMS", key, from)
                    )
                }
                let entries = reply.array?.first?.array?.last?.array ?? []
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                    lastID = id
                    if let event = QueueEvent(id: id, flatFields: parts[1].array?.compactMap { $0.string } ?? []) {
                        buffered.append(event)
                    }
                }
            }
            return buffered.removeFirst()
        }
    }
}
