import ArgumentParser
import BullQueue
import RelayWorkers

/// `relay users …`: per-user concurrency in the pools' queues.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Show users' active and queued jobs per pool; set their concurrency and rate limits.",
        subcommands: [UsersList.self, UsersShow.self, UsersSetConcurrency.self, UsersSetRate.self]
    )
}

/// One line of `relay users list|show`.
func userLine(_ stats: GroupStats, pool: PoolConfiguration) -> String {
    let limit = stats.limit.map(String.init) ?? "unlimited"
    let source = stats.override != nil ? "override" : "default"
    return "\(stats.group)\t\(pool.name)\tactive \(stats.active)\tqueued \(stats.queued)\tlimit \(limit) (\(source))"
}
