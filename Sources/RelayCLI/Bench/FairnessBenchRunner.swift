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

    struct Throughput {
        var rate: Double
        /// µs per job Redis spent running scripts (INFO commandstats, EVALSHA).
        var redisMicroseconds: Double
        /// Redis commands per job run inside those scripts: in all, and calls and µs per command.
        var redisCalls: Double
        var commands: [String: (calls: Double, micros: Double)]
        /// CPU µs per job: Redis's (INFO cpu) and this process's, where the worker runs.
        var redisCPU: Double
        var workerCPU: Double
    }

    /// A heavy user queues `heavyJobs` under a per-user limit of `userLimit` (= the concurrency: it can fill every
    /// slot); light users add one job at a time at a steady rate. Wait = add → processor start. Each job takes
    /// `jobMs`, give or take up to `jitter` (a fraction) of it.
    func lightWait(
        concurrency: Int, userLimit: Int, jobMs: Int, jitter: Double, heavyJobs: Int, lightJobs: Int, lightUsers: Int
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
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: concurrency)) { context in
            if context.job.options.group == "heavy" {
                heavyStarted.add(1, ordering: .relaxed)
            } else if let index = context.job.data["n"]?.intValue, let start = added.withLock({ $0[index] }) {
                let wait = (ContinuousClock.now - start).seconds * 1000
                waits.withLock { $0.append(wait) }
            }
            let spread = Double(jobMs) * jitter
            try await Task.sleep(for: .microseconds(Int((Double(jobMs) + .random(in: -spread...spread)) * 1000)))
            return .null
        }
        let running = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(500))
        let heavyBefore = heavyStarted.load(ordering: .relaxed)
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
        let heavyMeanwhile = heavyStarted.load(ordering: .relaxed) - heavyBefore
        worker.shutdown()
        try await running.value
        let sorted = waits.withLock { $0 }.sorted()
        return Wait(
            p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.last ?? 0,
            heavyStarted: heavyMeanwhile
        )
    }

    /// No-op jobs per second at `concurrency`: plain jobs, or jobs spread round-robin over `users` groups whose
    /// default limit (4) together exceeds the concurrency.
    func throughput(jobs: Int, concurrency: Int, users: Int?) async throws -> Throughput {
        try await reset()
        try await queue.setDefaultGroupConcurrency(users == nil ? nil : 4)
        for start in stride(from: 0, to: jobs, by: 1000) {
            _ = try await queue.addBulk((start..<min(jobs, start + 1000)).map { index in
                ("noop", [:], JobOptions(removeOnComplete: .keepNone, group: users.map { "user-\(index % $0)" }))
            })
        }
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: concurrency)) { _ in .null }
        let statsBefore = try await commandStats()
        let cpuBefore = (redis: try await redisCPUSeconds(), worker: processCPUSeconds())
        let started = ContinuousClock.now
        let running = Task { try await worker.run() }
        var completed = 0
        for await event in worker.events {
            if case .completed = event { completed += 1 }
            if completed == jobs { break }
        }
        let elapsed = ContinuousClock.now - started
        let statsAfter = try await commandStats()
        let cpuAfter = (redis: try await redisCPUSeconds(), worker: processCPUSeconds())
        worker.shutdown()
        try await running.value
        // Per job; nothing else talks to this Redis during a run but the worker's blocking marker wait and INFO.
        var commands: [String: (calls: Double, micros: Double)] = [:]
        for (name, after) in statsAfter where !["evalsha", "info", "bzpopmin", "config|resetstat"].contains(name) {
            let before = statsBefore[name] ?? (0, 0)
            commands[name] = ((after.calls - before.calls) / Double(jobs), (after.micros - before.micros) / Double(jobs))
        }
        let scriptTime = (statsAfter["evalsha"]?.micros ?? 0) - (statsBefore["evalsha"]?.micros ?? 0)
        return Throughput(
            rate: Double(jobs) / elapsed.seconds, redisMicroseconds: scriptTime / Double(jobs),
            redisCalls: commands.values.reduce(0) { $0 + $1.calls }, commands: commands,
            redisCPU: (cpuAfter.redis - cpuBefore.redis) * 1e6 / Double(jobs),
            workerCPU: (cpuAfter.worker - cpuBefore.worker) * 1e6 / Double(jobs)
        )
    }

    private func redisCPUSeconds() async throws -> Double {
        let info = try await redis.send("INFO", "cpu").string ?? ""
        return info.split(whereSeparator: \.isNewline).reduce(0) { total, line in
            guard line.hasPrefix("used_cpu_sys:") || line.hasPrefix("used_cpu_user:") else { return total }
            return total + (Double(line.split(separator: ":").last ?? "") ?? 0)
        }
    }

    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// INFO commandstats: calls and µs per command.
    private func commandStats() async throws -> [String: (calls: Double, micros: Double)] {
        let info = try await redis.send("INFO", "commandstats").string ?? ""
        var stats: [String: (calls: Double, micros: Double)] = [:]
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let name = String(line.dropFirst("cmdstat_".count).prefix { $0 != ":" })
            let fields = line.drop { $0 != ":" }.dropFirst().split(separator: ",")
            func value(_ key: String) -> Double {
                fields.first { $0.hasPrefix(key + "=") }.flatMap { Double($0.dropFirst(key.count + 1)) } ?? 0
            }
            stats[name] = (value("calls"), value("usec"))
        }
        return stats
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
