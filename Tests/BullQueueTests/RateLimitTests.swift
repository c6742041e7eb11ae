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
            for _ in 0..<6 { _ = try await t.queue.add("limited") }
            let starts = Mutex<[ContinuousClock.Instant]>([])
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 6)) { _ in
                starts.withLock { $0.append(.now) }
                return .null
            }
            #expect(try await eventually { starts.withLock { $0.count } == 6 })
            worker.shutdown()
            try await task.value
            let times = starts.withLock { $0 }.sorted()
            #expect(times[5] - times[0] >= .milliseconds(580))
            #expect(times[2] - times[0] >= .milliseconds(250))
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
