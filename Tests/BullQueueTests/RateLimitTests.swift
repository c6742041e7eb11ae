import BullQueue
import RelayRedis
import Synchronization
import Testing

@Suite("Rate limits")
struct RateLimitTests {
    @Test("a global rate limit of 2 jobs per 300 ms spaces six jobs over at least 600 ms")
    func globalRateLimit() async throws {
        try await TestQueue.with { t in
            try await t.queue.setGlobalRateLimit(max: 2, duration: 300)
            var ids: [String] = []
            for _ in 0..<6 { ids.append(try await t.queue.add("limited")) }
            let count = Mutex(0)
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 6)) { _ in
                count.withLock { $0 += 1 }
                return .null
            }
            #expect(try await eventually { count.withLock { $0 } == 6 })
            worker.shutdown()
            try await task.value
            // When each job was taken, by the Redis server's clock (the limiter's), not when its processor ran here.
            var times: [Int] = []
            for id in ids { times.append(try await t.queue.getJob(id)?.processedOn ?? 0) }
            times.sort()
            #expect(times[5] - times[0] >= 580)
            #expect(times[2] - times[0] >= 250)
        }
    }

    @Test("a manual rate limit holds every worker until it expires")
    func manualRateLimit() async throws {
        try await TestQueue.with { t in
            try await t.queue.rateLimit(milliseconds: 400)
            #expect(try await t.queue.rateLimitTTL() > 0)
            let id = try await t.queue.add("held")
            let (worker, task) = t.startWorker { _ in .null }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await t.queue.getJobState(id) == .waiting)
            #expect(try await eventually { try await t.queue.getJobState(id) == .completed })
            worker.shutdown()
            try await task.value
        }
    }
}
