import ArgumentParser
import BullQueue

struct DlqShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one dead letter's hash (data, options, error, stack traces, attempts, times) as JSON."
    )
    @OptionGroup var pools: PoolQueueOptions
    @Argument(help: "The pool (from workers.yml).") var pool: String
    @Argument(help: "The job id.") var jobId: String

    func run() async throws {
        let (fields, state) = try await pools.withPools([pool]) { queues in
            (try await queues[0].queue.jobFields(jobId), try await queues[0].queue.getJobState(jobId))
        }
        guard !fields.isEmpty else { throw ValidationError("job \(jobId) does not exist") }
        var object: [String: JSONValue] = ["id": .string(jobId), "state": .string(state.rawValue)]
        for (key, value) in fields {
            let parsed = ["data", "opts", "stacktrace", "returnvalue", "progress"].contains(key)
                ? (try? JSONValue(json: value)) : nil
            object[key] = parsed ?? .string(value)
        }
        print(JSONValue.object(object).json)
    }
}
