import BullQueue
import RelayRedis
import Testing

@Suite("Queue administration")
struct AdminTests {
    @Test("drain removes waiting and prioritized jobs, delayed ones only when asked")
    func drain() async throws {
        try await TestQueue.with { t in
            _ = try await t.queue.add("w")
            _ = try await t.queue.add("p", options: JobOptions(priority: 2))
            let delayed = try await t.queue.add("d", options: JobOptions(delay: 60_000))
            #expect(try await t.queue.drain() == 2)
            #expect(try await t.queue.getJobCounts()[.delayed] == 1)
            #expect(try await t.queue.getJob("1") == nil)
            #expect(try await t.queue.drain(delayed: true) == 1)
            #expect(try await t.queue.getJob(delayed) == nil)
        }
    }

    @Test("failed jobs are cleaned after the grace period, retried and promoted")
    func cleanRetryPromote() async throws {
        try await TestQueue.with { t in
            for _ in 0..<3 { _ = try await t.queue.add("f") }
            let (worker, task) = t.startWorker { _ in throw UnrecoverableError("no") }
            #expect(try await eventually { try await t.queue.getJobCounts()[.failed] == 3 })
            worker.shutdown()
            try await task.value

            #expect(try await t.queue.clean(grace: 60_000, state: .failed).isEmpty)
            let cleaned = try await t.queue.clean(grace: 0, limit: 1, state: .failed)
            #expect(cleaned.count == 1)
            try await t.queue.retryJobs()
            let counts = try await t.queue.getJobCounts()
            #expect(counts[.failed] == 0 && counts[.waiting] == 2)

            let delayed = try await t.queue.add("d", options: JobOptions(delay: 60_000))
            try await t.queue.promote(jobId: delayed)
            #expect(try await t.queue.getJobState(delayed) == .waiting)
            await #expect(throws: QueueError.self) { try await t.queue.promote(jobId: delayed) }
            _ = try await t.queue.add("d2", options: JobOptions(delay: 60_000))
            try await t.queue.promoteJobs()
            #expect(try await t.queue.getJobCounts()[.delayed] == 0)
        }
    }

    @Test("obliterate deletes every key of the queue and nothing else")
    func obliterate() async throws {
        try await TestQueue.with { t in
            for index in 0..<30 { _ = try await t.queue.add("o", options: JobOptions(delay: index % 2 == 0 ? 0 : 10_000)) }
            try await t.redis.send("SET", t.queue.keys.prefix + ":other-queue-keep", "1")
            try await t.queue.obliterate(batch: 7)
            let left = try await t.redis.send("KEYS", t.queue.keys.base + "*").array ?? []
            #expect(left.isEmpty)
            #expect(try await t.redis.send("GET", t.queue.keys.prefix + ":other-queue-keep").string == "1")
            try await t.redis.send("DEL", t.queue.keys.prefix + ":other-queue-keep")
        }
    }

    @Test("remove takes a waiting job out and emits removed")
    func remove() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("r")
            #expect(try await t.queue.remove(jobId: id))
            #expect(try await t.queue.getJobState(id) == .unknown)
            #expect(try await t.events().last?.fields == ["jobId": id, "prev": "wait"])
            await #expect(throws: QueueError.self) { try await t.queue.remove(jobId: id) }
        }
    }

    @Test("QueueEvents streams typed events from a given id")
    func queueEvents() async throws {
        try await TestQueue.with { t in
            _ = try await t.queue.add("e")
            let (worker, task) = t.startWorker { _ in ["ok": true] }
            var seen: [QueueEvent] = []
            for try await event in QueueEvents(queue: t.queue, lastEventID: "0-0", blockTimeout: .milliseconds(200)) {
                seen.append(event)
                if event.kind == .drained { break }
            }
            worker.shutdown()
            try await task.value
            #expect(seen.map(\.kind) == [.added, .waiting, .active, .completed, .drained])
            #expect(seen[3].returnValue == ["ok": true])
            #expect(seen[2].previous == "waiting")
        }
    }
}
