import ArgumentParser
import BullQueue
import Foundation
import RelayRedis

/// `relay bench fairness`: a light user's wait while a heavy user floods the pool, and the throughput cost of
/// per-user scheduling against plain jobs.
struct FairnessBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairness",
        abstract: "Light users' wait p50/p99 under a heavy user's flood, and grouped vs plain no-op throughput."
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "Worker concurrency (the pool's slots) for the wait run.")
    var concurrency: Int = 8

    @Option(help: "How long each job of the wait run takes, ms.")
    var jobMs: Int = 50

    @Option(help: "Jobs the heavy user queues at once.")
    var heavyJobs: Int = 10_000

    @Option(help: "Light jobs, from --light-users users, added at a steady rate during the flood.")
    var lightJobs: Int = 400

    @Option(help: "Distinct light users.")
    var lightUsers: Int = 50

    @Option(help: "No-op jobs per throughput run.")
    var jobs: Int = 20_000

    @Option(help: "Worker concurrency of the throughput runs.")
    var throughputConcurrency: Int = 100

    @Option(help: "Users the grouped throughput run spreads its jobs over.")
    var users: Int = 100

    func validate() throws {
        guard concurrency > 0, jobMs > 0, heavyJobs > 0, lightJobs > 0, lightUsers > 0, jobs > 0,
            throughputConcurrency > 0, users > 0
        else { throw ValidationError("every figure must be positive") }
    }

    func run() async throws {
        let client = try redis.makeClient()
        let queue = try Queue(name: "bench-fair-\(UUID().uuidString.prefix(8))", redis: client)
        let runner = FairnessBenchRunner(queue: queue, redis: client)
        var waits: [(Int, FairnessBenchRunner.Wait)] = []
        for userLimit in Set([max(1, concurrency / 2), concurrency]).sorted() {
            waits.append((userLimit, try await runner.lightWait(
                concurrency: concurrency, userLimit: userLimit, jobMs: jobMs, heavyJobs: heavyJobs,
                lightJobs: lightJobs, lightUsers: lightUsers
            )))
        }
        let plain = try await runner.throughput(jobs: jobs, concurrency: throughputConcurrency, users: nil)
        let grouped = try await runner.throughput(jobs: jobs, concurrency: throughputConcurrency, users: users)
        try await queue.obliterate(force: true)
        await client.close()

        func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
        print("Fairness: \(concurrency) slots, \(jobMs) ms jobs, a heavy user with \(heavyJobs) queued; \(lightJobs) light jobs"
            + " of \(lightUsers) users, two per job duration (target: light wait p99 < \(jobMs) ms)")
        for (userLimit, wait) in waits {
            print("  per-user limit \(userLimit): light users' wait add→start p50 / p99 / max \(ms(wait.p50)) / \(ms(wait.p99))"
                + " / \(ms(wait.max)); heavy jobs started meanwhile: \(wait.heavyStarted)")
        }
        print("Throughput, \(jobs) no-op jobs at concurrency \(throughputConcurrency):")
        print(String(format: "  plain %.0f jobs/s, grouped over %d users %.0f jobs/s: %.1f%% slower (target ≤ 20%%)",
                     plain.rate, users, grouped.rate, (1 - grouped.rate / plain.rate) * 100))
        print(String(format: "  Redis script time per processed job (EVALSHA): plain %.1f µs, grouped %.1f µs",
                     plain.redisMicroseconds, grouped.redisMicroseconds))
    }
}
