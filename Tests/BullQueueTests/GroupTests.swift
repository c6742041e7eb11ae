import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

/// Counts the jobs of each group running at once, and the highest count seen.
final class RunningCounter: Sendable {
    private let state = Mutex<(running: [String: Int], peak: [String: Int], total: Int, peakTotal: Int)>(([:], [:], 0, 0))

    func enter(_ group: String) {
        state.withLock { state in
            state.running[group, default: 0] += 1
            state.peak[group] = max(state.peak[group] ?? 0, state.running[group]!)
            state.total += 1
            state.peakTotal = max(state.peakTotal, state.total)
        }
    }

    func leave(_ group: String) {
        state.withLock { state in
            state.running[group, default: 0] -= 1
            state.total -= 1
        }
    }

    func peak(_ group: String) -> Int { state.withLock { $0.peak[group] ?? 0 } }
    func running(_ group: String) -> Int { state.withLock { $0.running[group] ?? 0 } }
    var peakTotal: Int { state.withLock { $0.peakTotal } }
    func resetPeak(_ group: String) { state.withLock { $0.peak[group] = $0.running[group] ?? 0 } }
}

/// A processor that sleeps `data.ms` while counted under the job's group (or "-").
func countingProcessor(_ counter: RunningCounter) -> JobProcessor {
    { context in
        let group = context.job.options.group ?? "-"
        counter.enter(group)
        defer { counter.leave(group) }
        try await Task.sleep(for: .milliseconds(context.job.data["ms"]?.intValue ?? 20))
        return .null
    }
}

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

            let order = Mutex<[String]>([])
            let options = WorkerOptions(concurrency: 2, stalledInterval: .milliseconds(300))
            let (worker, task) = t.startWorker(options: options) { context in
                order.withLock { $0.append(context.job.id) }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 2 })
            worker.shutdown()
            try await task.value
            #expect(order.withLock { $0 } == [first, second])
            #expect(try await t.queue.getJob(first)?.stalledCounter == 1)
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("cancelling a queued or running grouped job frees its place and its slot")
    func cancelReleasesSlot() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let running = try await t.queue.add("long", data: ["ms": 30_000], options: JobOptions(group: "u"))
            let queued = try await t.queue.add("queued", options: JobOptions(group: "u"))
            let counter = RunningCounter()
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 3), processor: countingProcessor(counter))
            #expect(try await eventually { counter.running("u") == 1 })
            #expect(try await t.queue.cancel(jobId: queued) == .failedBeforeStart)
            #expect(try await t.queue.groupStats(group: "u").queued == 0)
            let after = try await t.queue.add("after", data: ["ms": 1], options: JobOptions(group: "u"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await t.queue.getJobState(after) == .waiting)

            #expect(try await t.queue.cancel(jobId: running) == .signalled)
            #expect(try await eventually { try await t.queue.getJobState(after) == .completed })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.getJobState(running) == .failed)
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("removing, draining and retrying grouped jobs keep the group's figures right")
    func removeDrainRetry() async throws {
        try await TestQueue.with { t in
            let removed = try await t.queue.add("x", options: JobOptions(group: "u"))
            try await t.queue.add("y", options: JobOptions(group: "u"))
            try await t.queue.add("z", options: JobOptions(group: "v"))
            #expect(try await t.queue.remove(jobId: removed))
            #expect(try await t.queue.groupStats(group: "u").queued == 1)
            #expect(try await t.queue.drain() == 2)
            #expect(try await t.queue.groupStats() == [])

            let failing = try await t.queue.add("fails", options: JobOptions(attempts: 2, group: "u"))
            let attempts = Mutex(0)
            let (worker, task) = t.startWorker { _ in
                if attempts.withLock({ $0 += 1; return $0 }) == 1 { throw UnrecoverableError("first") }
                return .null
            }
            _ = failing
            #expect(try await eventually { try await t.queue.getJobCounts()[.failed] == 1 })
            try await t.queue.retryJobs()
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 1 })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("within a group, jobs without priority come first (LIFO ones next in line), then by priority")
    func orderWithinGroup() async throws {
        try await TestQueue.with { t in
            let a = try await t.queue.add("a", options: JobOptions(group: "u"))
            let low = try await t.queue.add("p2", options: JobOptions(priority: 2, group: "u"))
            let high = try await t.queue.add("p1", options: JobOptions(priority: 1, group: "u"))
            let b = try await t.queue.add("b", options: JobOptions(group: "u"))
            let lifo = try await t.queue.add("c", options: JobOptions(lifo: true, group: "u"))
            let high2 = try await t.queue.add("p1b", options: JobOptions(priority: 1, group: "u"))
            #expect(try await t.queue.groupStats(group: "u").queued == 6)
            let order = Mutex<[String]>([])
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 1)) { context in
                order.withLock { $0.append(context.job.id) }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 6 })
            worker.shutdown()
            try await task.value
            #expect(order.withLock { $0 } == [lifo, a, b, high, high2, low])
            #expect(try await t.queue.groupStats() == [])
        }
    }

    @Test("an id left in a group's queue by a client that does not know groups is not run twice when reused")
    func staleQueuedId() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(2)
            try await t.queue.add("first", options: JobOptions(jobId: "dup", group: "u"))
            // A BullMQ client removing the job deletes its hash but not Relay's group keys; the id is then reused.
            _ = try await t.redis.send("DEL", t.queue.keys.job("dup"))
            try await t.queue.add("second", options: JobOptions(jobId: "dup", group: "u"))
            #expect(try await t.redis.send("LLEN", t.queue.keys.groupWait("u")).int == 2)
            let runs = Mutex<[String]>([])
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 4)) { context in
                runs.withLock { $0.append(context.job.name) }
                try await Task.sleep(for: .milliseconds(50))
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState("dup") == .completed })
            try await Task.sleep(for: .milliseconds(200))
            worker.shutdown()
            try await task.value
            #expect(runs.withLock { $0 } == ["second"])
            #expect(try await t.queue.groupStats() == [])
            #expect(try await t.redis.send("LLEN", t.queue.keys.active).int == 0)
        }
    }

    @Test("resuming a queue with only grouped jobs, or removing a job of a full group, wakes a waiting worker")
    func wakeUps() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            try await t.queue.pause()
            let started = Mutex<[String]>([])
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 2, drainDelay: .seconds(30))) { context in
                started.withLock { $0.append(context.job.name) }
                return .null
            }
            try await t.queue.add("held", options: JobOptions(group: "u"))
            try await Task.sleep(for: .milliseconds(200))
            try await t.queue.resume()
            #expect(try await eventually(within: .seconds(2)) { started.withLock { $0 } == ["held"] })

            // A job holding u's only slot (taken, then abandoned), and one queued behind it.
            let holder = try await t.queue.add("holder", options: JobOptions(group: "u"))
            try await Task.sleep(for: .milliseconds(100))
            started.withLock { $0.removeAll() }
            worker.shutdown()
            try await task.value
            _ = try await t.redis.send("HSET", t.queue.keys.job(holder), "gact", "=1")
            _ = try await t.redis.pipeline([
                RedisCommand("INCR", t.queue.keys.groupActive("u")), RedisCommand("ZREM", t.queue.keys.completed, holder),
                RedisCommand("LPUSH", t.queue.keys.active, holder),
            ])
            try await t.queue.add("behind", options: JobOptions(group: "u"))
            let (second, secondTask) = t.startWorker(options: WorkerOptions(concurrency: 2, drainDelay: .seconds(30))) { context in
                started.withLock { $0.append(context.job.name) }
                return .null
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(started.withLock { $0 }.isEmpty)
            #expect(try await t.queue.remove(jobId: holder))
            #expect(try await eventually(within: .seconds(2)) { started.withLock { $0 } == ["behind"] })
            second.shutdown()
            try await secondTask.value
        }
    }

    @Test("a queue grouped by an earlier version keeps its counts and turns once prepared")
    func migratesEarlierLayout() async throws {
        try await TestQueue.with { t in
            try await t.queue.setDefaultGroupConcurrency(1)
            let first = try await t.queue.add("a", options: JobOptions(group: "u1"))
            let second = try await t.queue.add("b", options: JobOptions(group: "u1"))
            let prioritized = try await t.queue.add("p", options: JobOptions(priority: 3, group: "u1"))
            let other = try await t.queue.add("c", options: JobOptions(group: "u2"))
            // The earlier layout: counts in the hashes `ga` and `gq`, each group's queue one sorted set (priority
            // band, then sequence), the ring in the sorted set `gr` (u2's turn first).
            let keys = t.queue.keys
            let band = 1 << 32, half = 1 << 31
            _ = try await t.redis.pipeline([
                RedisCommand("DEL", keys.groupsWaiting, keys.groupRing, keys.groupWait("u1"), keys.groupWait("u2"),
                             keys.groupPrioritized("u1")),
                RedisCommand("ZADD", keys.groupWait("u1"), half + 1, first, half + 2, second, 3 * band + half + 3,
                             prioritized),
                RedisCommand("ZADD", keys.groupWait("u2"), half + 4, other),
                RedisCommand("HSET", keys.key("gq"), "u1", 3, "u2", 1),
                RedisCommand("HSET", keys.key("ga"), "u3", 1),
                RedisCommand("ZADD", keys.key("gr"), 1, "u2", 2, "u1"),
            ])
            try await t.queue.prepare()
            #expect(try await t.redis.send("EXISTS", keys.key("ga"), keys.key("gq"), keys.key("gr")).int == 0)
            #expect(try await t.redis.send("TYPE", keys.groupWait("u1")).string == "list")
            #expect(try await t.queue.groupStats(group: "u3").active == 1)
            #expect(try await t.queue.groupStats(group: "u1").queued == 3)
            #expect(try await t.queue.getJobCounts()[.waiting] == 4)
            #expect(try await t.queue.getJobState(prioritized) == .waiting)

            let order = Mutex<[String]>([])
            let (worker, task) = t.startWorker(options: WorkerOptions(concurrency: 1)) { context in
                order.withLock { $0.append(context.job.id) }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobCounts()[.completed] == 4 })
            worker.shutdown()
            try await task.value
            #expect(order.withLock { $0 } == [other, first, second, prioritized])
        }
    }
}
