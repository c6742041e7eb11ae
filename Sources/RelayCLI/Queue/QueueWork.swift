import ArgumentParser
import BullQueue
import Foundation
import UnixSignals

struct QueueWork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run a worker with a built-in handler; prints one JSON line per finished job.",
        discussion: """
            Handlers: echo returns the data; noop returns null; fail throws data.message (unrecoverable when \
            data.unrecoverable is true); sleep waits data.ms then returns the data; progress reports each element \
            of data.progress and logs each of data.logs, then returns the data. SIGTERM or SIGINT stop it gracefully.
            """
    )

    enum Handler: String, ExpressibleByArgument, CaseIterable {
        case echo, noop, fail, sleep, progress
    }

    @OptionGroup var queue: QueueOptions

    @Option(help: "echo, noop, fail, sleep or progress.")
    var handler: Handler

    @Option(help: "Jobs processed at once.")
    var concurrency: Int = 1

    @Option(help: "Lock duration in ms.")
    var lockDuration: Int = 30_000

    @Option(help: "Stalled-job check interval in ms.")
    var stalledInterval: Int = 30_000

    @Option(help: "Stalls a job may survive before it fails.")
    var maxStalledCount: Int = 1

    @Option(help: "Exit after this many jobs finished (completed or finally failed).")
    var exitAfter: Int?

    @Option(help: "The longest the worker blocks waiting for work, in ms.")
    var drainDelay: Int = 5_000

    @Option(help: "Make this the queue's default limit of active jobs per group (Relay: per user).")
    var groupConcurrency: Int?

    func validate() throws {
        guard concurrency > 0, lockDuration > 0, stalledInterval > 0, maxStalledCount >= 0, drainDelay > 0 else {
            throw ValidationError("--concurrency, --lock-duration, --stalled-interval and --drain-delay must be positive")
        }
        if let exitAfter, exitAfter <= 0 { throw ValidationError("--exit-after must be positive") }
        if let groupConcurrency, groupConcurrency <= 0 { throw ValidationError("--group-concurrency must be positive") }
    }

    func run() async throws {
        let handler = self.handler
        let options = WorkerOptions(
            concurrency: concurrency,
            lockDuration: .milliseconds(lockDuration),
            stalledInterval: .milliseconds(stalledInterval),
            maxStalledCount: maxStalledCount,
            drainDelay: .milliseconds(drainDelay),
            groupConcurrency: groupConcurrency
        )
        let exitAfter = self.exitAfter
        try await queue.withQueue { queue in
            let worker = Worker(queue: queue, options: options) { context in
                try await BuiltInHandler.run(handler, context)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                        worker.shutdown()
                        return
                    }
                }
                var finished = 0
                for await event in worker.events {
                    guard let line = Self.line(for: event) else { continue }
                    FileHandle.standardOutput.write(Data((line.json + "\n").utf8))
                    if case .failed(_, _, true) = event { continue }
                    if case .completed = event { finished += 1 }
                    if case .failed = event { finished += 1 }
                    if let exitAfter, finished >= exitAfter { worker.shutdown() }
                }
                group.cancelAll()
                while let _ = try await group.next() {}
            }
        }
    }

    static func line(for event: WorkerEvent) -> JSONValue? {
        switch event {
        case .completed(let job, let value):
            return .object(["jobId": .string(job.id), "name": .string(job.name), "status": "completed", "returnvalue": value])
        case .failed(let job, let reason, let willRetry):
            return .object([
                "jobId": .string(job.id), "name": .string(job.name), "status": .string(willRetry ? "retrying" : "failed"),
                "failedReason": .string(reason), "attemptsMade": .int(job.attemptsMade + 1),
            ])
        case .stalled(let ids):
            return .object(["status": "stalled", "jobIds": .array(ids.map(JSONValue.string))])
        case .lockLost(let id):
            return .object(["status": "lockLost", "jobId": .string(id)])
        case .error(let message):
            FileHandle.standardError.write(Data("worker error: \(message)\n".utf8))
            return nil
        }
    }
}
