import ArgumentParser
import BullQueue
import RelayRedis
import RelayWorkers

/// `--redis`, `--config`, `--prefix` and the pools' queues, shared by `relay users` and `relay dlq`.
struct PoolQueueOptions: ParsableArguments {
    @OptionGroup var redis: RedisOptions
    @OptionGroup var workers: WorkersOptions

    @Option(help: "Key prefix, as BullMQ's `prefix`.")
    var prefix: String = "bull"

    /// Runs `body` with the queues of the named pools (every pool when empty), in workers.yml's order; a
    /// ``QueueError`` becomes a usage error.
    func withPools<T: Sendable>(
        _ names: [String],
        _ body: ([(pool: PoolConfiguration, queue: Queue)]) async throws -> T
    ) async throws -> T {
        let configuration = try workers.load()
        let unknown = names.filter { name in !configuration.pools.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ValidationError(
                "unknown pool \(unknown.joined(separator: ", ")); workers.yml has \(configuration.pools.map(\.name).joined(separator: ", "))"
            )
        }
        let pools = names.isEmpty ? configuration.pools : configuration.pools.filter { names.contains($0.name) }
        let client = try redis.makeClient()
        do {
            let queues = try pools.map { (pool: $0, queue: try Queue(name: $0.queue, prefix: prefix, redis: client)) }
            let result = try await body(queues)
            await client.close()
            return result
        } catch let error as QueueError {
            await client.close()
            throw ValidationError(error.detail)
        } catch {
            await client.close()
            throw error
        }
    }
}
