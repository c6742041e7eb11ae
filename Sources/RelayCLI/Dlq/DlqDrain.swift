import ArgumentParser
import BullQueue

struct DlqDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Retry, archive (to Postgres, then remove) or delete the pool's dead letters; print one summary line.",
        discussion: "archive needs --database or DATABASE_URL (run `relay migrate` first)."
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case retry, archive, delete
    }

    @OptionGroup var options: DlqOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "retry, archive or delete.")
    var action: Action = .archive

    @Flag(help: "Only count the jobs that would be processed.")
    var dryRun = false

    func run() async throws {
        try await DeadLetterRun(options: options, database: database, action: action, dryRun: dryRun, jobIds: []).run()
    }
}
