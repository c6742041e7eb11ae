import BullQueue
import Foundation
import RelayRedis
import Synchronization

/// The runs of `relay bench fairness`, on one queue obliterated between them.
struct FairnessBenchRunner {
    let queue: Queue
    let redis: RedisClient

    struct Wait {
        var p50: Double
        var p99: Double
        var max: Double
        var heavyStarted: Int
    }

    /// A heavy user queues `heavyJobs` under a per-user limit of `userLimit` (= the concurrency: it can fill every
    /// slot); light users add one job at a time at a steady rate. Wait = add → processor start.
    func lightWait(
        concurrency: Int, userLimit: Int, jobMs: Int, heavyJobs: Int, lightJobs: Int, lightUsers: Int
    ) async throws -> Wait {
        try await reset()
        try await queue.setDefaultGroupConcurrency(userLimit)
        for start in stride(from: 0, to: heavyJobs, by: 1000) {
            _ = try await queue.addBulk((start..<min(heavyJobs, start + 1000)).map { _ in
                ("heavy", ["ms": .int(jobMs)], JobOptions(removeOnComplete: .keepNone, group: "heavy"))
            })
        }
        // Keyed by the job's `n`, recorded before the add: a worker may start the job before `add` returns.
        let added = Mutex<[Int: ContinuousClock.Instant]>([:])
        let waits = Mutex<[Double]>([])
        let heavyStarted = Atomic<Int>(0)
        let measuring = Atomic<Bool>(false)
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: concurrency)) { context in
            if context.job.options.group == "heavy" {
                if measuring.load(ordering: .relaxed) { heavyStarted.add(1, ordering: .relaxed) }
            } else if let index = context.job.data["n"]?.intValue, let start = added.withLock({ $0[index] }) {
                let wait = (ContinuousClock.now - start).seconds * 1000
                waits.withLock { $0.append(wait) }
            }
            try await Task.sleep(for: .milliseconds(jobMs))
            return .null
        }
        let running = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(500))
        measuring.store(true, ordering: .relaxed)
        // About two light jobs per job duration, so they come and go while the heavy user keeps every slot busy.
        let interval = Duration.milliseconds(max(1, jobMs / 2))
        var next = ContinuousClock.now
        for index in 0..<lightJobs {
            next += interval
            added.withLock { $0[index] = ContinuousClock.now }
            try await queue.add(
                "light", data: ["ms": .int(jobMs), "n": .int(index)],
                options: JobOptions(removeOnComplete: .keepNone, group: "light-\(index % lightUsers)")
            )
            try await Task.sleep(until: next)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while waits.withLock({ $0.count }) < lightJobs, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        measuring.store(false, ordering: .relaxed)
        worker.shutdown()
        try await running.value
        let sorted = waits.withLock { $0 }.sorted()
        return Wait(
            p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.last ?? 0,
            heavyStarted: heavyStarted.load(ordering: .relaxed)
        )
    }

    /// No-op jobs per second at `concurrency`: plain jobs, or jobs spread round-robin over `users` groups whose
    /// default limit (4) together exceeds the concurrency.
    /// Also returns the µs per job Redis spent running the scripts (INFO commandstats, EVALSHA).
    func throughput(jobs: Int, concurrency: Int, users: Int?) async throws -> (rate: Double, redisMicroseconds: Double) {
        try await reset()
        try await queue.setDefaultGroupConcurrency(users == nil ? nil : 4)
        for start in stride(from: 0, to: jobs, by: 1000) {
            _ = try await queue.addBulk((start..<min(jobs, start + 1000)).map { index in
                ("noop", [:], JobOptions(removeOnComplete: .keepNone, group: users.map { "user-\(index % $0)" }))
            })
        }
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: concurrency)) { _ in .null }
        let scriptsBefore = try await scriptMicroseconds()
        let started = ContinuousClock.now
        let running = Task { try await worker.run() }
        var completed = 0
        for await event in worker.events {
            if case .completed = event { completed += 1 }
            if completed == jobs { break }
        }
        let elapsed = ContinuousClock.now - started
        let scriptsAfter = try await scriptMicroseconds()
        worker.shutdown()
        try await running.value
        return (Double(jobs) / elapsed.seconds, (scriptsAfter - scriptsBefore) / Double(jobs))
    }

    private func scriptMicroseconds() async throws -> Double {
        let info = try await redis.send("INFO", "commandstats").string ?? ""
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_evalsha:") {
            if let usec = line.split(separator: ",").first(where: { $0.contains("usec=") }) {
                return Double(usec.split(separator: "=").last ?? "") ?? 0
            }
        }
        return 0
    }

    private func reset() async throws {
        try await queue.obliterate(force: true)
        try await queue.resume()
    }

    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(fraction * Double(sorted.count)))]
    }
}
