import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

@Suite("Cancelling jobs")
struct CancelTests {
    @Test("a job that has not started fails at once with the reason")
    func cancelWaiting() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("later", options: JobOptions(delay: 60_000))
            #expect(try await t.queue.cancel(jobId: id, reason: "user left") == .failedBeforeStart)
            #expect(try await t.queue.getJobState(id) == .failed)
            #expect(try await t.queue.getJob(id)?.failedReason == "cancelled: user left")
            let event = try await t.events().last
            #expect(event?.name == "failed" && event?.previous == "delayed")
            #expect(try await t.queue.cancel(jobId: id) == .alreadyFinished)
            await #expect(throws: QueueError.self) { try await t.queue.cancel(jobId: "missing") }
        }
    }

    @Test("a running job is stopped by its worker when another process cancels it")
    func cancelRunning() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("long", options: JobOptions(attempts: 3))
            let started = Mutex(false)
            let (worker, task) = t.startWorker { _ in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(30))
                return .null
            }
            #expect(try await eventually { started.withLock { $0 } })

            let otherProcess = try RedisClient(url: ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
            let sameQueue = try Queue(name: t.queue.name, redis: otherProcess)
            #expect(try await sameQueue.cancel(jobId: id, reason: "client disconnected") == .signalled)
            await otherProcess.close()

            #expect(try await eventually(within: .seconds(5)) { try await t.queue.getJobState(id) == .failed })
            worker.shutdown()
            try await task.value
            let job = try await t.queue.getJob(id)
            #expect(job?.failedReason == "cancelled: client disconnected")
            #expect(job?.attemptsMade == 1)
        }
    }
}
