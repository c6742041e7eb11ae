import BullQueue
import Foundation
import RelayRedis
import Synchronization

/// The shapes `relay bench queue` measures on BullQueue.
struct QueueBenchRunner {
    let queue: Queue
    let redis: RedisClient

    func addRates(jobs: Int) async throws -> (Double, Double) {
        try await reset()
        let single = max(1, jobs / 4)
        let singleRate = try await rate(single) {
            for _ in 0..<single { try await queue.add("noop") }
        }
        let bulkRate = try await rate(jobs) {
            for start in stride(from: 0, to: jobs, by: 100) {
                _ = try await queue.addBulk((start..<min(jobs, start + 100)).map { _ in ("noop", [:], JobOptions()) })
            }
        }
        try await reset()
        return (singleRate, bulkRate)
    }

    /// Processing rate with `concurrency`, Redis CPU µs per job (INFO cpu, user + sys) and the µs per job Redis spent
    /// in the commands clients sent (INFO commandstats of the top-level commands: scripts, blocking pops).
    func processAll(jobs: Int, concurrency: Int) async throws -> (Double, Double, Double) {
        try await reset()
        for start in stride(from: 0, to: jobs, by: 1000) {
            _ = try await queue.addBulk(
                (start..<min(jobs, start + 1000)).map { _ in ("noop", [:], JobOptions(removeOnComplete: .keepNone)) }
            )
        }
        let cpuBefore = try await redisCPUSeconds()
        let commandsBefore = try await topLevelCommandMicroseconds()
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: concurrency)) { _ in .null }
        let clock = ContinuousClock()
        let started = clock.now
        let running = Task { try await worker.run() }
        var completed = 0
        for await event in worker.events {
            if case .completed = event { completed += 1 }
            if completed == jobs { break }
        }
        let elapsed = clock.now - started
        let cpuAfter = try await redisCPUSeconds()
        let commandsAfter = try await topLevelCommandMicroseconds()
        worker.shutdown()
        try await running.value
        return (
            Double(jobs) / elapsed.seconds, (cpuAfter - cpuBefore) * 1e6 / Double(jobs),
            (commandsAfter - commandsBefore) / Double(jobs)
        )
    }

    /// add→completed latency (ms) with jobs added at a steady rate to a running worker.
    func latency(count: Int, perSecond: Int) async throws -> (Double, Double) {
        try await reset()
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: 10)) { _ in .null }
        let running = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(500))
        let added = Mutex<[String: ContinuousClock.Instant]>([:])
        let collector = Task {
            var latencies: [Double] = []
            for await event in worker.events {
                guard case .completed(let job, _) = event else { continue }
                let now = ContinuousClock.now
                if let start = added.withLock({ $0[job.id] }) { latencies.append((now - start).seconds * 1000) }
                if latencies.count == count { break }
            }
            return latencies
        }
        let interval = Duration.seconds(1) / perSecond
        var next = ContinuousClock.now
        for _ in 0..<count {
            next += interval
            let start = ContinuousClock.now
            let id = try await queue.add("noop")
            added.withLock { $0[id] = start }
            try await Task.sleep(until: next)
        }
        let latencies = await collector.value
        worker.shutdown()
        try await running.value
        return (percentile(latencies, 0.5), percentile(latencies, 0.99))
    }

    /// How late (ms) delayed jobs start after they are due: processedOn − (timestamp + delay).
    func delayedLateness(count: Int) async throws -> (Double, Double) {
        try await reset()
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: 10)) { _ in .null }
        let running = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(500))
        for index in 0..<count {
            try await queue.add("later", options: JobOptions(delay: 50 + (index * 37) % 500))
        }
        var lateness: [Double] = []
        for await event in worker.events {
            guard case .completed(let job, _) = event, let processedOn = job.processedOn else { continue }
            lateness.append(Double(processedOn - job.timestamp - (job.options.delay ?? 0)))
            if lateness.count == count { break }
        }
        worker.shutdown()
        try await running.value
        return (percentile(lateness, 0.5), percentile(lateness, 0.99))
    }

    private func reset() async throws {
        try await queue.obliterate(force: true)
        try await queue.resume()
    }

    /// Microseconds Redis has spent in the commands clients send at top level; commands run inside scripts are
    /// counted within the script's own time.
    private func topLevelCommandMicroseconds() async throws -> Double {
        let info = try await redis.send("INFO", "commandstats").string ?? ""
        let topLevel: Set<Substring> = ["cmdstat_evalsha", "cmdstat_eval", "cmdstat_bzpopmin", "cmdstat_client|id", "cmdstat_client|unblock"]
        var total = 0.0
        for line in info.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":"), topLevel.contains(line[..<colon]),
                let usec = line[line.index(after: colon)...].split(separator: ",").first(where: { $0.hasPrefix("usec=") })
            else { continue }
            total += Double(usec.dropFirst(5)) ?? 0
        }
        return total
    }

    private func redisCPUSeconds() async throws -> Double {
        let info = try await redis.send("INFO", "cpu").string ?? ""
        var total = 0.0
        for line in info.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":")
            if parts.count == 2, parts[0] == "used_cpu_user" || parts[0] == "used_cpu_sys" {
                total += Double(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return total
    }

    private func rate(_ count: Int, _ body: () async throws -> Void) async throws -> Double {
        let elapsed = try await ContinuousClock().measure { try await body() }
        return Double(count) / elapsed.seconds
    }

    private func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(fraction * Double(sorted.count)))]
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
