import ArgumentParser
import BullQueue

struct DlqRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Make dead letters ready again with their attempts reset (the named jobs, or all that match)."
    )

    @OptionGroup var options: DlqOptions
    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Job ids (default: every dead letter matching --older-than, up to --limit).")
    var jobIds: [String] = []

    @Flag(help: "Only count the jobs that would be retried.")
    var dryRun = false

    func run() async throws {
        try await DeadLetterRun(options: options, database: database, action: .retry, dryRun: dryRun, jobIds: jobIds).run()
    }
}
