import ArgumentParser
import BullQueue
import Foundation
import NIOCore
import NIOPosix
import RelayRedis
import Synchronization

/// `relay bench queue`: BullQueue against the Python `bullmq` peer on the same Redis, in the same run.
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Add and processing rates, latency, delayed-job lateness and Redis CPU per job, beside Python bullmq."
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "No-op jobs per processing run.")
    var jobs: Int = 20_000

    @Option(help: "Jobs for the add→completed latency run (added at 100 jobs/s).")
    var latencyJobs: Int = 500

    @Option(help: "Jobs for the delayed-start run.")
    var delayedJobs: Int = 100

    @Option(help: "Python with bullmq installed (bin/test's venv by default).")
    var python: String = ".venv/bin/python"

    @Flag(help: "Skip the Python bullmq peer.")
    var skipPeer = false

    @Option(help: "NIO event-loop threads for Relay's Redis connections (default: relay's single Redis event loop).")
    var eventLoopThreads: Int?

    func validate() throws {
        guard jobs > 0, latencyJobs > 0, delayedJobs > 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        let configuration = try redis.configuration()
        let group: any EventLoopGroup = eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: max(1, $0)) }
            ?? RedisEventLoop.group
        let client = RedisClient(configuration: configuration, eventLoopGroup: group)
        let name = "bench-\(UUID().uuidString.prefix(8))"
        let queue = try Queue(name: name, redis: client)
        let runner = QueueBenchRunner(queue: queue, redis: client)
        var ours: [String: Double] = [:]
        (ours["add_single"], ours["add_bulk"]) = try await runner.addRates(jobs: jobs)
        for concurrency in [1, 10, 100] {
            let (rate, cpu, commands) = try await runner.processAll(jobs: jobs, concurrency: concurrency)
            ours["process_c\(concurrency)"] = rate
            ours["redis_cpu_us_c\(concurrency)"] = cpu
            ours["redis_cmd_us_c\(concurrency)"] = commands
        }
        (ours["latency_p50_ms"], ours["latency_p99_ms"]) = try await runner.latency(count: latencyJobs, perSecond: 100)
        (ours["delay_late_p50_ms"], ours["delay_late_p99_ms"]) = try await runner.delayedLateness(count: delayedJobs)
        try await queue.obliterate(force: true)
        await client.close()

        var theirs: [String: Double] = [:]
        if !skipPeer {
            theirs = try runPeer(url: redis.resolvedURL, queue: name + "-py")
        }
        QueueBenchReport(ours: ours, theirs: theirs, jobs: jobs).print()
    }

    private func runPeer(url: String, queue: String) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "bin/bench/bullmq_peer.py", "--redis", url, "--queue", queue, "--jobs", String(jobs),
            "--latency-jobs", String(latencyJobs), "--delayed-jobs", String(delayedJobs),
        ]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            throw ValidationError("could not run \(python) (run bin/test once to create the venv, or pass --python)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let figures = try? JSONDecoder().decode([String: Double].self, from: data)
        else {
            throw ValidationError("the Python bullmq peer failed (exit \(process.terminationStatus))")
        }
        return figures
    }
}
