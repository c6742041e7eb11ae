import ArgumentParser
import BullQueue

struct UsersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Users with jobs active or queued, or a concurrency override: one line per user and pool."
    )
    @OptionGroup var options: PoolQueueOptions
    @Option(help: "Only this pool.") var pool: String?

    func run() async throws {
        try await options.withPools(pool.map { [$0] } ?? []) { pools in
            for (pool, queue) in pools {
                for stats in try await queue.groupStats() { print(userLine(stats, pool: pool)) }
            }
        }
    }
}
