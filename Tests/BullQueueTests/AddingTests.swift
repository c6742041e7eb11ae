import BullQueue
import RelayRedis
import Testing

@Suite("Adding jobs")
struct AddingTests {
    @Test("a plain add writes BullMQ's hash, wait list, marker and events")
    func plainAdd() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("chat", data: ["prompt": "hi"])
            #expect(id == "1")
            let fields = try await t.redis.send("HGETALL", t.queue.keys.job(id)).array?.compactMap(\.string) ?? []
            let hash = Dictionary(uniqueKeysWithValues: stride(from: 0, to: fields.count, by: 2).map { (fields[$0], fields[$0 + 1]) })
            #expect(hash["name"] == "chat")
            #expect(try JSONValue(json: hash["data"] ?? "") == ["prompt": "hi"])
            #expect(try JSONValue(json: hash["opts"] ?? "") == ["attempts": .int(0), "delay": .int(0)])
            #expect(hash["delay"] == "0" && hash["priority"] == "0")
            #expect(Int(hash["timestamp"] ?? "") ?? 0 > 1_700_000_000_000)
            #expect(try await t.redis.send("LRANGE", t.queue.keys.wait, 0, -1).array?.map(\.string) == ["1"])
            #expect(try await t.redis.send("ZSCORE", t.queue.keys.marker, "0").int == 0)
            #expect(try await t.redis.send("HGET", t.queue.keys.meta, "opts.maxLenEvents").int == 10000)
            let events = try await t.events()
            #expect(events.map(\.name) == ["added", "waiting"])
            #expect(events[0].fields == ["jobId": "1", "name": "chat"])
            #expect(try await t.queue.getJobState(id) == .waiting)
        }
    }

    @Test("priorities, LIFO and delays land in their keys with BullMQ's scores")
    func placement() async throws {
        try await TestQueue.with { t in
            let prioritized = try await t.queue.add("p", options: JobOptions(priority: 7))
            let lifo = try await t.queue.add("l", options: JobOptions(lifo: true))
            let plain = try await t.queue.add("w")
            let delayed = try await t.queue.add("d", options: JobOptions(delay: 60_000, timestamp: 1_800_000_000_000))
            let sameMillisecond = try await t.queue.add("d2", options: JobOptions(delay: 60_000, timestamp: 1_800_000_000_000))
            #expect(try await t.redis.send("LRANGE", t.queue.keys.wait, 0, -1).array?.map(\.string) == [plain, lifo])
            #expect(try await t.redis.send("ZSCORE", t.queue.keys.prioritized, prioritized).int == 7 * (1 << 32) + 1)
            let due = 1_800_000_060_000
            #expect(try await t.redis.send("ZSCORE", t.queue.keys.delayed, delayed).int == due * 4096)
            #expect(try await t.redis.send("ZSCORE", t.queue.keys.delayed, sameMillisecond).int == due * 4096 + 1)
            #expect(try await t.redis.send("ZSCORE", t.queue.keys.marker, "1").double == Double(due))
            #expect(try await t.queue.getJobState(delayed) == .delayed)
            #expect(try await t.queue.getJobState(prioritized) == .prioritized)
            let delayedEvent = try await t.events().first { $0.name == "delayed" && $0.jobId == delayed }
            #expect(delayedEvent?.dueAt == due)
            let counts = try await t.queue.getJobCounts()
            #expect(counts[.waiting] == 2 && counts[.prioritized] == 1 && counts[.delayed] == 2 && counts[.active] == 0)
        }
    }

    @Test("a duplicate custom id returns the existing job and emits duplicated")
    func duplicateJobId() async throws {
        try await TestQueue.with { t in
            let first = try await t.queue.add("a", data: ["v": 1], options: JobOptions(jobId: "video-42"))
            let second = try await t.queue.add("a", data: ["v": 2], options: JobOptions(jobId: "video-42"))
            #expect(first == "video-42" && second == "video-42")
            #expect(try await t.queue.getJob("video-42")?.data == ["v": 1])
            #expect(try await t.events().map(\.name) == ["added", "waiting", "duplicated"])
            #expect(try await t.redis.send("GET", t.queue.keys.id).int == 2)
        }
    }

    @Test("deduplication returns the owner until it finishes; a ttl expires it")
    func deduplication() async throws {
        try await TestQueue.with { t in
            let options = JobOptions(deduplication: Deduplication(id: "user-7"))
            let owner = try await t.queue.add("a", options: options)
            let again = try await t.queue.add("a", options: options)
            #expect(again == owner)
            let event = try await t.events().last
            #expect(event?.name == "deduplicated")
            #expect(event?.fields["deduplicatedJobId"] == "2")
            #expect(try await t.queue.getJob(owner)?.options.deduplication?.id == "user-7")

            let throttled = JobOptions(deduplication: Deduplication(id: "burst", ttl: 1000))
            let a = try await t.queue.add("b", options: throttled)
            #expect(try await t.queue.add("b", options: throttled) == a)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await t.queue.add("b", options: throttled) != a)
        }
    }

    @Test("addBulk adds in one transaction and returns the ids in order")
    func addBulk() async throws {
        try await TestQueue.with { t in
            let ids = try await t.queue.addBulk((0..<50).map { ("bulk", ["n": .int($0)], JobOptions()) })
            #expect(ids == (1...50).map(String.init))
            #expect(try await t.queue.getJobCounts()[.waiting] == 50)
        }
    }

    @Test("bad options are refused before anything is written", arguments: [
        #"{"priority": 3000000}"#, #"{"delay": -1}"#, #"{"jobId": "12"}"#, #"{"jobId": "a:b"}"#,
        #"{"backoff": {"type": "fixed", "delay": -5}}"#, #"{"removeOnComplete": "yes"}"#, #"[1]"#,
        #"{"deduplication": {"ttl": 5}}"#, #"{"lifo": "true"}"#,
    ])
    func badOptions(json: String) throws {
        #expect(throws: QueueError.self) { try JobOptions(json: try JSONValue(json: json)) }
    }

    @Test("queue names with ':' are refused")
    func badQueueName() throws {
        let redis = try RedisClient(url: "redis://127.0.0.1:1")
        #expect(throws: QueueError.self) { try Queue(name: "a:b", redis: redis) }
        #expect(throws: QueueError.self) { try Queue(name: "", redis: redis) }
    }
}
