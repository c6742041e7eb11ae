import ArgumentParser
import BullQueue
import Foundation
import RelayWorkers

/// `POOL`, `--older-than`, `--limit` and the Redis and workers.yml options of every `relay dlq` command.
struct DlqOptions: ParsableArguments {
    @OptionGroup var pools: PoolQueueOptions

    @Argument(help: "The pool (from workers.yml).")
    var pool: String

    @Option(help: "Only jobs that failed at least this long ago (500ms, 45s, 30m, 12h, 7d).")
    var olderThan: AgeArgument?

    @Option(help: "At most this many jobs.")
    var limit: Int = 1000

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    /// The failure time cut-off in ms.
    var finishedBefore: Int { Int(Date().timeIntervalSince1970 * 1000) - (olderThan?.milliseconds ?? 0) }

    func withQueue<T: Sendable>(_ body: (PoolConfiguration, Queue) async throws -> T) async throws -> T {
        try await pools.withPools([pool]) { try await body($0[0].pool, $0[0].queue) }
    }
}
