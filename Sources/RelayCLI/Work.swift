import ArgumentParser
import AsyncHTTPClient
import Logging
import RelayProviders
import RelayRedis
import RelayWorkers
import ServiceLifecycle
import UnixSignals

/// `relay work`: the worker pools of workers.yml.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run worker pools from workers.yml (all, or those named with --pool).")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var workers: WorkersOptions
    @OptionGroup var database: OptionalDatabaseOptions

    @Option(name: .customLong("pool"), help: "A pool to run; repeat for several (default: every pool).")
    var pools: [String] = []

    func run() async throws {
        let configuration = try workers.load()
        let unknown = pools.filter { name in !configuration.pools.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ValidationError("unknown pool \(unknown.joined(separator: ", ")); workers.yml has \(configuration.pools.map(\.name).joined(separator: ", "))")
        }
        try await RelayRuntime(
            name: "work", redis: redis, configuration: configuration, database: database, ingress: nil, pools: pools
        ).run()
    }
}

/// Runs the pools for as long as the service group runs; on graceful shutdown they finish the jobs in progress.
struct WorkerPoolsService: Service {
    let pools: WorkerPools
    let httpClient: HTTPClient

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await pools.run()
        } onGracefulShutdown: {
            pools.shutdown()
        }
        try await httpClient.shutdown()
    }
}
