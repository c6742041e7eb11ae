import ArgumentParser
import BullQueue

struct QueueAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a job and print its id.",
        discussion: "Options use BullMQ's JSON names: jobId, priority, delay, lifo, attempts, backoff, removeOnComplete, removeOnFail, deduplication, timeout."
    )

    @OptionGroup var queue: QueueOptions

    @Argument(help: "The job's name.")
    var name: String

    @Option(help: "The job's data as JSON.")
    var data: String = "{}"

    @Option(help: "Job options as JSON, with BullMQ's names.")
    var opts: String = "{}"

    func run() async throws {
        let data = try parseJSON(data, option: "--data")
        let options: JobOptions
        do {
            options = try JobOptions(json: try parseJSON(opts, option: "--opts"))
        } catch let error as QueueError {
            throw ValidationError("--opts: \(error.detail)")
        }
        let id = try await queue.withQueue { try await $0.add(name, data: data, options: options) }
        print(id)
    }
}
