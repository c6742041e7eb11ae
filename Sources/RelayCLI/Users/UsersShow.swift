import ArgumentParser
import BullQueue

struct UsersShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One user's active and queued jobs and concurrency in every pool."
    )
    @OptionGroup var options: PoolQueueOptions
    @Argument(help: "The user id.") var user: String

    func run() async throws {
        guard !user.isEmpty else { throw ValidationError("USER cannot be empty") }
        try await options.withPools([]) { pools in
            for (pool, queue) in pools { print(userLine(try await queue.groupStats(group: user), pool: pool)) }
        }
    }
}
