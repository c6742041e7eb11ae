import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

@Suite("Groups: per-user concurrency and round-robin turns", .serialized)
struct GroupTests {
    @Test("a grouped job waiting for its turn counts as waiting, and leaves no trace once done")
    func countsAndState() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let first = try await t.queue.add("a", options: JobOptions(group: "u1"))
            let second = try await t.queue.add("b", options: JobOptions(group: "u1"))
            #expect(try await t.queue.getJobState(first) == .waiting)
            #expect(try await t.queue.getJobCounts()[.waiting] == 2)
            #expect(try await t.redis.send("LLEN", t.queue.keys.wait).int == 0)
            #expect(try await t.queue.getJob(first)?.options.group == "u1")
            let stats = try await t.queue.groupStats(group: "u1")
            #expect((stats.active, stats.queued, stats.limit) == (0, 2, 1))

            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 4)) { _ in .null }
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 2 })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.getJobState(second) == .completed)
            #expect(try await t.queue.groupStats() == [])
            #expect(try await t.redis.send("EXISTS", t.queue.keys.groupRing, t.queue.keys.groupActive("u1"),
                                           t.queue.keys.groupsWaiting, t.queue.keys.groupWait("u1"),
                                           t.queue.keys.groupPrioritized("u1")).int == 0)
        }
    }

    @Test("jobs without a group are unaffected by group limits")
    func ungroupedUnaffected() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let counter = RunningCounter()
            for _ in 0..<6 { try await t.queue.add("plain") }
            // Each job waits until all six run at once (or 5 s pass): only a group limit could keep them apart.
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 6)) { _ in
                counter.enter("-")
                defer { counter.leave("-") }
                let deadline = ContinuousClock.now + .seconds(5)
                while counter.peakTotal < 6, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 6 })
            worker.shutdown()
            try await task.value
            #expect(counter.peak("-") == 6)
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("a user never has more than N jobs active across two workers with their own connections")
    func capAcrossWorkers() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(2)
            let counter = RunningCounter()
            for index in 0..<30 {
                try await t.queue.add("j", data: ["ms": 30], options: JobOptions(group: index % 3 == 0 ? "b" : "a"))
            }
            let otherRedis = try RedisClient(url: ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
            let other = try Queue(name: t.queue.name, redis: otherRedis)
            let workers = [
                Worker(queue: t.queue, options: WorkerOptions(concurrency: 5), processor: countingProcessor(counter)),
                Worker(queue: other, options: WorkerOptions(concurrency: 5), processor: countingProcessor(counter)),
            ]
            let tasks = workers.map { worker in Task { try await worker.run() } }
            let limitsHeld = Mutex(true)
            let sampler = Task {
                while !Task.isCancelled {
                    let stats = try await t.queue.groupStats()
                    if stats.contains(where: { $0.active > 2 }) { limitsHeld.withLock { $0 = false } }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(try await eventually(within: .seconds(20)) { try await t.queue.getJobCounts()[.completed] == 30 })
            sampler.cancel()
            for worker in workers { worker.shutdown() }
            for task in tasks { try await task.value }
            await otherRedis.close()
            #expect(counter.peak("a") == 2)
            #expect(counter.peak("b") == 2)
            #expect(limitsHeld.withLock { $0 })
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("a light user's job starts within about one job slot while a heavy user floods the queue")
    func fairness() async throws {
        try await TestQueue.with { t in
            let duration = 100
            let starts = Mutex<[(group: String, at: ContinuousClock.Instant)]>([])
            _ = try await t.queue.addBulk((0..<300).map { _ in
                ("heavy", ["ms": .int(duration)], JobOptions(group: "heavy"))
            })
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 2)) { context in
                starts.withLock { $0.append((context.job.options.group ?? "-", .now)) }
                try await Task.sleep(for: .milliseconds(duration))
                return .null
            }
            try await Task.sleep(for: .milliseconds(300))
            // When the add was sent (for the wait) and when it returned: heavy jobs fetched before the add reached
            // Redis may start just after it was sent, so only those starting after it returned count as ahead.
            var added: [String: (sent: ContinuousClock.Instant, returned: ContinuousClock.Instant)] = [:]
            for index in 0..<10 {
                let user = "light-\(index)"
                let sent = ContinuousClock.now
                try await t.queue.add("light", data: ["ms": .int(duration)], options: JobOptions(group: user))
                added[user] = (sent, .now)
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(try await eventually { starts.withLock { log in log.filter { $0.group.hasPrefix("light") }.count } == 10 })
            worker.shutdown()
            task.cancel()
            _ = try? await task.value
            let log = starts.withLock { $0 }
            for index in 0..<10 {
                let user = "light-\(index)"
                guard let start = log.firstIndex(where: { $0.group == user }), let addedAt = added[user] else {
                    Issue.record("\(user) never started")
                    continue
                }
                let wait = log[start].at - addedAt.sent
                let heavyBefore = log[..<start].filter { $0.group == "heavy" && $0.at > addedAt.returned }.count
                #expect(heavyBefore <= 2, "\(user): \(heavyBefore) heavy jobs started before it")
                #expect(wait < .milliseconds(2 * duration + 100), "\(user) waited \(wait)")
            }
            #expect(try await t.queue.getJobCounts()[.waiting] ?? 0 > 200)
        }
    }

    @Test("changing a user's limit while its jobs run takes effect at once")
    func limitChange() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let counter = RunningCounter()
            for _ in 0..<40 { try await t.queue.add("j", data: ["ms": 100], options: JobOptions(group: "u")) }
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 8), processor: countingProcessor(counter))
            #expect(try await eventually { counter.running("u") == 1 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(counter.peak("u") == 1)

            try await t.queue.setGroupConcurrency(4, group: "u")
            #expect(try await eventually(within: .seconds(5)) { counter.running("u") == 4 })
            #expect(try await t.queue.groupStats(group: "u").limit == 4)

            try await t.queue.setGroupConcurrency(2, group: "u")
            #expect(try await eventually(within: .seconds(5)) { counter.running("u") <= 2 })
            counter.resetPeak("u")
            try await Task.sleep(for: .milliseconds(400))
            #expect(counter.peak("u") <= 2)

            try await t.queue.setGroupConcurrency(nil, group: "u")
            #expect(try await t.queue.groupStats(group: "u").limit == 1)
            worker.shutdown()
            try await task.value
        }
    }

    @Test("after a limit change, the jobs already running free their slots under the new limit")
    func limitChangeWhileRunning() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let counter = RunningCounter()
            let completed = Atomic<Int>(0)
            for _ in 0..<6 { try await t.queue.add("j", data: ["ms": 150], options: JobOptions(group: "u")) }
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 8)) { context in
                let result = try await countingProcessor(counter)(context)
                completed.add(1, ordering: .relaxed)
                return result
            }
            #expect(try await eventually { counter.running("u") == 1 })
            // The running job started under limit 1 and finishes first, with two more holding slots under limit 3.
            try await t.queue.setGroupConcurrency(3, group: "u")
            #expect(try await eventually(within: .seconds(5)) { completed.load(ordering: .relaxed) == 6 })
            #expect(counter.peak("u") == 3)
            worker.shutdown()
            try await task.value
        }
    }

    @Test("stalled recovery gives the user's slot back and the job goes to the head of its group")
    func stalledReleasesSlot() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let first = try await t.queue.add("first", options: JobOptions(group: "u"))
            let second = try await t.queue.add("second", options: JobOptions(group: "u"))
            let crashed = Worker(queue: t.queue, options: WorkerOptions(lockDuration: .milliseconds(200))) { _ in .null }
            #expect(try await crashed.takeNextJob(token: "crashed")?.id == first)
            #expect(try await crashed.takeNextJob(token: "crashed-2") == nil)
            #expect(try await t.queue.groupStats(group: "u").active == 1)

            let options = WorkerOptions(concurrency: 2, stalledInterval: .milliseconds(300))
            #expect(try await t.processingOrder(count: 2, options: options) == [first, second])
            #expect(try await t.queue.getJob(first)?.stalledCounter == 1)
            #expect(try await t.queue.groupStats() == [])
        }
    }
}
