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

    @Option(help: "A second pair of wait runs with job durations spread by up to this percentage (0: none).")
    var jitter: Int = 20

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

    @Option(help: "Pairs of throughput runs, plain and grouped in alternating order; the median is reported.")
    var rounds: Int = 5

    @Flag(help: "Also print the Redis commands the scripts run per job (calls and µs), plain vs grouped.")
    var breakdown = false

    func validate() throws {
        guard concurrency > 0, jobMs > 0, heavyJobs > 0, lightJobs > 0, lightUsers > 0, jobs > 0,
            throughputConcurrency > 0, users > 0, rounds > 0, (0..<100).contains(jitter)
        else { throw ValidationError("every figure must be positive") }
    }

    func run() async throws {
        let client = try redis.makeClient()
        let queue = try Queue(name: "bench-fair-\(UUID().uuidString.prefix(8))", redis: client)
        let runner = FairnessBenchRunner(queue: queue, redis: client)
        var waits: [(limit: Int, jitter: Int, wait: FairnessBenchRunner.Wait)] = []
        for jitter in Set([0, jitter]).sorted() {
            for userLimit in Set([max(1, concurrency / 2), concurrency]).sorted() {
                waits.append((userLimit, jitter, try await runner.lightWait(
                    concurrency: concurrency, userLimit: userLimit, jobMs: jobMs, jitter: Double(jitter) / 100,
                    heavyJobs: heavyJobs, lightJobs: lightJobs, lightUsers: lightUsers
                )))
            }
        }
        var pairs: [(plain: FairnessBenchRunner.Throughput, grouped: FairnessBenchRunner.Throughput)] = []
        for round in 0..<rounds {
            let groupedFirst = round % 2 == 1
            let first = try await runner.throughput(jobs: jobs, concurrency: throughputConcurrency, users: groupedFirst ? users : nil)
            let second = try await runner.throughput(jobs: jobs, concurrency: throughputConcurrency, users: groupedFirst ? nil : users)
            pairs.append(groupedFirst ? (second, first) : (first, second))
        }
        try await queue.obliterate(force: true)
        await client.close()
        report(waits: waits, pairs: pairs)
    }

    private func report(
        waits: [(limit: Int, jitter: Int, wait: FairnessBenchRunner.Wait)],
        pairs: [(plain: FairnessBenchRunner.Throughput, grouped: FairnessBenchRunner.Throughput)]
    ) {
        func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
        print("Fairness: \(concurrency) slots, \(jobMs) ms jobs, a heavy user with \(heavyJobs) queued; \(lightJobs) light jobs"
            + " of \(lightUsers) users, two per job duration (target: light wait p99 < \(jobMs) ms)")
        for (limit, jitter, wait) in waits {
            print("  per-user limit \(limit), durations ±\(jitter)%: light users' wait add→start p50 / p99 / max"
                + " \(ms(wait.p50)) / \(ms(wait.p99)) / \(ms(wait.max)); heavy jobs started meanwhile: \(wait.heavyStarted)")
        }
        print("Throughput, \(jobs) no-op jobs at concurrency \(throughputConcurrency), plain vs grouped over \(users) users:")
        var slowdowns: [Double] = []
        for (plain, grouped) in pairs {
            let slowdown = (1 - grouped.rate / plain.rate) * 100
            slowdowns.append(slowdown)
            print(String(format: "  %.0f vs %.0f jobs/s: %.1f%% slower; per job: Redis CPU %.0f vs %.0f µs, worker CPU"
                + " %.0f vs %.0f µs, script time %.0f vs %.0f µs, %.1f vs %.1f calls in scripts", plain.rate, grouped.rate,
                slowdown, plain.redisCPU, grouped.redisCPU, plain.workerCPU, grouped.workerCPU, plain.redisMicroseconds,
                grouped.redisMicroseconds, plain.redisCalls, grouped.redisCalls))
        }
        if breakdown, let (plain, grouped) = pairs.last {
            print("  Redis commands per job in the last round, plain vs grouped (calls, µs as INFO commandstats counts):")
            for name in Set(plain.commands.keys).union(grouped.commands.keys).sorted() {
                let p = plain.commands[name] ?? (0, 0), g = grouped.commands[name] ?? (0, 0)
                guard p.calls >= 0.01 || g.calls >= 0.01 else { continue }
                print(String(format: "    %-16@ %5.2f vs %5.2f calls, %5.1f vs %5.1f µs", name, p.calls, g.calls,
                             p.micros, g.micros))
            }
        }
        let sorted = slowdowns.sorted()
        print(String(format: "  median of %d rounds: %.1f%% slower (target ≤ 20%%)", sorted.count, sorted[sorted.count / 2]))
    }
}
