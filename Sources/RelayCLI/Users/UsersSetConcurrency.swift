import ArgumentParser
import BullQueue

struct UsersSetConcurrency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-concurrency",
        abstract: "Set how many jobs a user may have active at once (in one pool, or every pool); effective at once.",
        discussion: "N is a positive integer, or `default` to clear the override (the pool's userConcurrency applies again)."
    )
    @OptionGroup var options: PoolQueueOptions
    @Argument(help: "The user id.") var user: String
    @Argument(help: "A positive integer, or `default`.") var limit: String
    @Option(help: "Only this pool (default: every pool).") var pool: String?

    func run() async throws {
        guard !user.isEmpty else { throw ValidationError("USER cannot be empty") }
        let value: Int?
        if limit == "default" {
            value = nil
        } else {
            guard let number = Int(limit), number > 0 else { throw ValidationError("N must be a positive integer or `default`") }
            value = number
        }
        try await options.withPools(pool.map { [$0] } ?? []) { pools in
            for (pool, queue) in pools {
                try await queue.setGroupConcurrency(value, group: user)
                print(userLine(try await queue.groupStats(group: user), pool: pool))
            }
        }
    }
}
