import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

@Suite("Dead letters: claiming and settling failed jobs")
struct DeadLetterTests {
    /// `count` jobs failed for good, cheaply: cancelled before they start.
    func failedJobs(_ t: TestQueue, count: Int, group: String? = nil) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let id = try await t.queue.add("dead", data: ["index": .int(index)], options: JobOptions(delay: 60_000, group: group))
            #expect(try await t.queue.cancel(jobId: id, reason: "test") == .failedBeforeStart)
            ids.append(id)
        }
        return ids
    }

    @Test("two drains at once take disjoint jobs and settle each exactly once")
    func racingDrains() async throws {
        try await TestQueue.with { t in
            let ids = try await failedJobs(t, count: 120)
            let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
            let name = t.queue.name
            let all = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let redis = try RedisClient(url: url)
                        let queue = try Queue(name: name, redis: redis)
                        var settled: [String] = []
                        while true {
                            let claimed = try await queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 7)
                            if claimed.isEmpty { break }
                            for id in claimed where try await queue.settleDeadLetter(jobId: id, .delete) {
                                settled.append(id)
                            }
                        }
                        await redis.close()
                        return settled
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(all.count == ids.count)
            #expect(Set(all) == Set(ids))
            #expect(try await t.queue.deadLetterCounts() == (0, 0))
            #expect(try await t.queue.getJob(ids[0]) == nil)
            #expect(try await t.queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 10) == [])
        }
    }

    @Test("a retried dead letter is ready again in its group with its attempts reset")
    func retry() async throws {
        try await TestQueue.with { t in
            let ids = try await failedJobs(t, count: 2, group: "u")
            let claimed = try await t.queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 1, jobIds: [ids[1]])
            #expect(claimed == [ids[1]])
            #expect(try await t.queue.settleDeadLetter(jobId: ids[1], .retry))
            #expect(try await t.queue.settleDeadLetter(jobId: ids[1], .retry) == false)
            #expect(try await t.queue.getJobState(ids[1]) == .waiting)
            #expect(try await t.queue.groupStats(group: "u").queued == 1)
            let job = try await t.queue.getJob(ids[1])
            #expect(job?.attemptsMade == 0 && job?.failedReason == nil && job?.finishedOn == nil)
            #expect(try await t.queue.getJobState(ids[0]) == .failed)
        }
    }

    @Test("only jobs older than the cut-off are claimed; a claim whose run died is taken over after its lease")
    func cutoffAndLease() async throws {
        try await TestQueue.with { t in
            let ids = try await failedJobs(t, count: 3)
            #expect(try await t.queue.claimDeadLetters(finishedBefore: 0, limit: 10) == [])
            let first = try await t.queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 2)
            #expect(first == Array(ids.prefix(2)))
            #expect(try await t.queue.deadLetterCounts() == (1, 2))
            // A run with a long lease gets the rest only; one after the lease takes over the dead run's claims too.
            #expect(try await t.queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 10) == [ids[2]])
            try await Task.sleep(for: .milliseconds(20))
            let takeover = try await t.queue.claimDeadLetters(finishedBefore: Int.max / 2, limit: 10, lease: 10)
            #expect(Set(takeover) == Set(ids))
            for id in takeover { #expect(try await t.queue.settleDeadLetter(jobId: id, .release)) }
            #expect(try await t.queue.deadLetterCounts() == (3, 0))
            #expect(try await t.queue.getJobState(ids[0]) == .failed)
        }
    }
}
