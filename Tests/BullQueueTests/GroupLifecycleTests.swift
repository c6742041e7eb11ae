import BullQueue
import Foundation
import RelayRedis
import Synchronization
import Testing

@Suite("Groups: cancel, remove, ordering, stale ids, wake-ups and migration", .serialized)
struct GroupLifecycleTests {
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
            #expect(try await t.processingOrder(count: 6) == [lifo, a, b, high, high2, low])
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

            #expect(try await t.processingOrder(count: 4) == [other, first, second, prioritized])
        }
    }
}
