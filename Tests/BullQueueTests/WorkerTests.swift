import BullQueue
import RelayRedis
import Synchronization
import Testing

@Suite("Worker")
struct WorkerTests {
    @Test("jobs run in BullMQ's order: LIFO, plain FIFO, then priorities ascending")
    func processingOrder() async throws {
        try await TestQueue.with { t in
            _ = try await t.queue.add("p10", options: JobOptions(priority: 10))
            _ = try await t.queue.add("p1", options: JobOptions(priority: 1))
            _ = try await t.queue.add("p5", options: JobOptions(priority: 5))
            _ = try await t.queue.add("plain1")
            _ = try await t.queue.add("plain2")
            _ = try await t.queue.add("lifo", options: JobOptions(lifo: true))
            let order = Mutex<[String]>([])
            let (worker, task) = t.startWorker { context in
                order.withLock { $0.append(context.job.name) }
                return .null
            }
            #expect(try await eventually { order.withLock { $0.count } == 6 })
            worker.shutdown()
            try await task.value
            #expect(order.withLock { $0 } == ["lifo", "plain1", "plain2", "p1", "p5", "p10"])
            #expect(try await t.queue.getJobCounts()[.completed] == 6)
            let job = try await t.queue.getJob("1")
            #expect(job?.attemptsMade == 1 && job?.attemptsStarted == 1 && job?.returnValueJSON == "null")
            #expect(try await t.redis.send("EXISTS", t.queue.keys.job("1") + ":lock").int == 0)
        }
    }

    @Test("failures retry with exponential backoff, then fail once with every stack")
    func retriesWithBackoff() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add(
                "flaky",
                options: JobOptions(attempts: 3, backoff: Backoff(kind: .exponential, delay: 100))
            )
            let starts = Mutex<[ContinuousClock.Instant]>([])
            let (worker, task) = t.startWorker { _ in
                starts.withLock { $0.append(.now) }
                throw UnrecoverableTestError.boom
            }
            #expect(try await eventually { try await t.queue.getJobState(id) == .failed })
            worker.shutdown()
            try await task.value
            let job = try #require(try await t.queue.getJob(id))
            #expect(job.attemptsMade == 3 && job.attemptsStarted == 3)
            #expect(job.stacktrace.count == 3)
            #expect(job.failedReason == "boom")
            let times = starts.withLock { $0 }
            #expect(times.count == 3)
            #expect(times[1] - times[0] >= .milliseconds(100))
            #expect(times[2] - times[1] >= .milliseconds(200))
            let names = try await t.events().map(\.name)
            #expect(names.filter { $0 == "failed" }.count == 1)
            #expect(names.filter { $0 == "delayed" }.count == 2)
            #expect(names.suffix(3) == ["failed", "retries-exhausted", "drained"])
        }
    }

    @Test("an unrecoverable error fails the job without retries")
    func unrecoverable() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("x", options: JobOptions(attempts: 5))
            let (worker, task) = t.startWorker { _ in throw UnrecoverableError("bad input") }
            #expect(try await eventually { try await t.queue.getJobState(id) == .failed })
            worker.shutdown()
            try await task.value
            let job = try await t.queue.getJob(id)
            #expect(job?.attemptsMade == 1 && job?.failedReason == "bad input")
            #expect(try await t.events().contains { $0.name == "retries-exhausted" } == false)
        }
    }

    @Test("a job abandoned by a crashed worker is recovered by the stalled check and completed")
    func stalledRecovery() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("crash")
            let crashed = Worker(queue: t.queue, options: WorkerOptions(lockDuration: .milliseconds(300))) { _ in .null }
            #expect(try await crashed.takeNextJob(token: "crashed:1")?.id == id)
            #expect(try await t.queue.getJobState(id) == .active)

            let (worker, task) = t.startWorker(
                options: WorkerOptions(lockDuration: .milliseconds(500), stalledInterval: .milliseconds(200))
            ) { _ in "recovered" }
            #expect(try await eventually { try await t.queue.getJobState(id) == .completed })
            worker.shutdown()
            try await task.value
            let job = try await t.queue.getJob(id)
            #expect(job?.stalledCounter == 1)
            #expect(job?.returnValue == "recovered")
            let names = try await t.events().map(\.name)
            #expect(names.contains("stalled"))
        }
    }

    @Test("locks are renewed while a job runs longer than the lock duration")
    func lockRenewal() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("long")
            let runs = Mutex(0)
            let (worker, task) = t.startWorker(
                options: WorkerOptions(lockDuration: .milliseconds(400), stalledInterval: .milliseconds(150))
            ) { _ in
                runs.withLock { $0 += 1 }
                try await Task.sleep(for: .milliseconds(1500))
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState(id) == .completed })
            worker.shutdown()
            try await task.value
            #expect(runs.withLock { $0 } == 1)
            #expect(try await t.events().contains { $0.name == "stalled" } == false)
        }
    }

    @Test("progress and logs are stored and announced")
    func progressAndLogs() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("p", options: JobOptions(keepLogs: 2))
            let (worker, task) = t.startWorker { context in
                try await context.updateProgress(50)
                try await context.updateProgress(["pct": 100])
                for line in ["one", "two", "three"] { try await context.log(line) }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState(id) == .completed })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.getJob(id)?.progress == ["pct": 100])
            let logs = try await t.queue.getJobLogs(id)
            #expect(logs.logs == ["two", "three"] && logs.count == 2)
            let progress = try await t.events().filter { $0.name == "progress" }.map(\.data)
            #expect(progress == [.int(50), ["pct": 100]])
        }
    }

    @Test("removeOnComplete keeps the newest n; true removes at once but still emits completed")
    func removeOnComplete() async throws {
        try await TestQueue.with { t in
            for _ in 0..<5 { _ = try await t.queue.add("keep2", options: JobOptions(removeOnComplete: .newest(2))) }
            let gone = try await t.queue.add("gone", options: JobOptions(removeOnComplete: .keepNone))
            let (worker, task) = t.startWorker { _ in .null }
            #expect(try await eventually {
                let completedEvents = try await t.events().filter { $0.name == "completed" }.count
                return try await t.queue.getJobCounts()[.completed] == 2 && completedEvents == 6
            })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.getJobCounts()[.completed] == 2)
            #expect(try await t.queue.getJob(gone) == nil)
            #expect(try await t.events().filter { $0.name == "completed" }.count == 6)
        }
    }

    @Test("a paused queue starts nothing until resumed")
    func pauseAndResume() async throws {
        try await TestQueue.with { t in
            try await t.queue.pause()
            let done = Mutex(0)
            let (worker, task) = t.startWorker { _ in
                done.withLock { $0 += 1 }
                return .null
            }
            for _ in 0..<3 { _ = try await t.queue.add("held") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(done.withLock { $0 } == 0)
            #expect(try await t.queue.getJobCounts()[.waiting] == 3)
            #expect(try await t.queue.isPaused())
            try await t.queue.resume()
            #expect(try await eventually { done.withLock { $0 } == 3 })
            worker.shutdown()
            try await task.value
            let names = try await t.events().map(\.name)
            #expect(names.contains("paused") && names.contains("resumed"))
        }
    }

    @Test("global concurrency 1 keeps two workers to one job at a time")
    func globalConcurrency() async throws {
        try await TestQueue.with { t in
            try await t.queue.setGlobalConcurrency(1)
            for _ in 0..<6 { _ = try await t.queue.add("serial") }
            let running = Mutex((now: 0, most: 0, done: 0))
            let processor: JobProcessor = { _ in
                running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                try await Task.sleep(for: .milliseconds(30))
                running.withLock { $0.now -= 1; $0.done += 1 }
                return .null
            }
            let (first, firstTask) = t.startWorker(options: WorkerOptions(concurrency: 3, drainDelay: .milliseconds(100)), processor: processor)
            let (second, secondTask) = t.startWorker(options: WorkerOptions(concurrency: 3, drainDelay: .milliseconds(100)), processor: processor)
            #expect(try await eventually { running.withLock { $0.done } == 6 })
            first.shutdown()
            second.shutdown()
            try await firstTask.value
            try await secondTask.value
            #expect(running.withLock { $0.most } == 1)
        }
    }

    @Test("a job running past its timeout fails with a timeout error")
    func timeout() async throws {
        try await TestQueue.with { t in
            let id = try await t.queue.add("slow", options: JobOptions(timeout: 100))
            let (worker, task) = t.startWorker { _ in
                try await Task.sleep(for: .seconds(30))
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState(id) == .failed })
            worker.shutdown()
            try await task.value
            #expect(try await t.queue.getJob(id)?.failedReason == "job timed out after 100 ms")
        }
    }

    @Test("a delayed job starts once due, not before")
    func delayedStart() async throws {
        try await TestQueue.with { t in
            let added = ContinuousClock.now
            let id = try await t.queue.add("later", options: JobOptions(delay: 300))
            let started = Mutex<ContinuousClock.Instant?>(nil)
            let (worker, task) = t.startWorker { _ in
                started.withLock { $0 = .now }
                return .null
            }
            #expect(try await eventually { try await t.queue.getJobState(id) == .completed })
            worker.shutdown()
            try await task.value
            let start = try #require(started.withLock { $0 })
            #expect(start - added >= .milliseconds(290))
            #expect(try await t.queue.getJob(id)?.delay == 0)
        }
    }

    @Test("after taking the last ready job, a worker still starts a delayed job when due, not a drain delay later")
    func delayedAfterLastReady() async throws {
        try await TestQueue.with { t in
            let started = Mutex<[String: ContinuousClock.Instant]>([:])
            let (worker, task) = t.startWorker { context in
                started.withLock { $0[context.job.id] = .now }
                return .null
            }
            // The worker sees the delayed job first (and waits for it), then takes the ready one, the last.
            try await Task.sleep(for: .milliseconds(100))
            let added = ContinuousClock.now
            let later = try await t.queue.add("later", options: JobOptions(delay: 300))
            try await Task.sleep(for: .milliseconds(50))
            let now = try await t.queue.add("now")
            #expect(try await eventually { try await t.queue.getJobState(now) == .completed })
            #expect(try await eventually(within: .seconds(3)) { try await t.queue.getJobState(later) == .completed })
            worker.shutdown()
            try await task.value
            let start = try #require(started.withLock { $0[later] })
            #expect(start - added >= .milliseconds(290))
            #expect(start - added < .milliseconds(1_000), "started \(start - added) after it was added")
        }
    }
}

enum UnrecoverableTestError: Error, CustomStringConvertible {
    case boom
    var description: String { "boom" }
}
