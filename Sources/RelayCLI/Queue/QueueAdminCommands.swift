import ArgumentParser
import BullQueue

struct QueueCounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counts",
        abstract: "Print the job counts as JSON under BullMQ's state names."
    )

    @OptionGroup var queue: QueueOptions

    func run() async throws {
        let counts = try await queue.withQueue { try await $0.getJobCounts(Queue.countedStates + [.paused]) }
        printJSON(.object(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, .int($0.value)) })))
    }
}

struct QueueGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a job and its state as JSON.")

    @OptionGroup var queue: QueueOptions

    @Argument(help: "The job id.")
    var jobId: String

    func run() async throws {
        let (job, state) = try await queue.withQueue { queue in
            (try await queue.getJob(jobId), try await queue.getJobState(jobId))
        }
        guard let job else { throw ValidationError("job \(jobId) does not exist") }
        var object: [String: JSONValue] = [
            "id": .string(job.id), "name": .string(job.name), "data": job.data, "state": .string(state.rawValue),
            "attemptsMade": .int(job.attemptsMade), "attemptsStarted": .int(job.attemptsStarted),
            "timestamp": .int(job.timestamp), "stalledCounter": .int(job.stalledCounter),
        ]
        if let value = job.returnValue { object["returnvalue"] = value }
        if let reason = job.failedReason { object["failedReason"] = .string(reason) }
        if let progress = job.progress { object["progress"] = progress }
        printJSON(.object(object))
    }
}

struct QueuePause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause the queue.")
    @OptionGroup var queue: QueueOptions
    func run() async throws { try await queue.withQueue { try await $0.pause() } }
}

struct QueueResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume the queue.")
    @OptionGroup var queue: QueueOptions
    func run() async throws { try await queue.withQueue { try await $0.resume() } }
}

struct QueueDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Remove waiting and prioritized jobs (and delayed ones with --delayed); print how many."
    )
    @OptionGroup var queue: QueueOptions
    @Flag(help: "Remove delayed jobs too.") var delayed = false
    func run() async throws {
        print(try await queue.withQueue { try await $0.drain(delayed: delayed) })
    }
}

struct QueueClean: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove jobs of a state older than a grace period; print their ids as JSON."
    )
    @OptionGroup var queue: QueueOptions
    @Option(help: "Keep jobs newer than this many ms.") var grace: Int = 0
    @Option(help: "Remove at most this many (0: no limit).") var limit: Int = 0
    @Option(help: "completed, failed, delayed, prioritized, waiting or active.") var state: String = "completed"

    func run() async throws {
        guard let state = JobState(rawValue: state), state != .unknown else {
            throw ValidationError("unknown state '\(state)'")
        }
        guard grace >= 0, limit >= 0 else { throw ValidationError("--grace and --limit must not be negative") }
        let removed = try await queue.withQueue { try await $0.clean(grace: grace, limit: limit, state: state) }
        printJSON(.array(removed.map(JSONValue.string)))
    }
}

struct QueueObliterate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obliterate",
        abstract: "Delete the queue and all its jobs (refused with active jobs unless --force)."
    )
    @OptionGroup var queue: QueueOptions
    @Flag(help: "Delete even with active jobs.") var force = false
    func run() async throws {
        try await queue.withQueue { try await $0.obliterate(force: force) }
    }
}

struct QueueRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Move failed (or completed) jobs back to waiting."
    )
    @OptionGroup var queue: QueueOptions
    @Option(help: "failed or completed.") var state: String = "failed"
    @Option(help: "Jobs moved per batch.") var count: Int = 1000

    func run() async throws {
        guard let state = JobState(rawValue: state), state == .failed || state == .completed else {
            throw ValidationError("--state is failed or completed")
        }
        guard count > 0 else { throw ValidationError("--count must be positive") }
        try await queue.withQueue { try await $0.retryJobs(state: state, count: count) }
    }
}

struct QueuePromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make delayed jobs ready now (one job with --job-id)."
    )
    @OptionGroup var queue: QueueOptions
    @Option(help: "Jobs moved per batch.") var count: Int = 1000
    @Option(help: "Promote only this job.") var jobId: String?

    func run() async throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        try await queue.withQueue { queue in
            if let jobId { try await queue.promote(jobId: jobId) } else { try await queue.promoteJobs(count: count) }
        }
    }
}

struct QueueCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a job from any process: fail it if not started, stop it if a Relay worker runs it."
    )
    @OptionGroup var queue: QueueOptions
    @Argument(help: "The job id.") var jobId: String
    @Option(help: "Why, stored in failedReason.") var reason: String = "cancelled by request"

    func run() async throws {
        let outcome = try await queue.withQueue { try await $0.cancel(jobId: jobId, reason: reason) }
        switch outcome {
        case .failedBeforeStart: print("failed before start")
        case .signalled: print("signalled")
        case .alreadyFinished: print("already finished")
        }
    }
}
