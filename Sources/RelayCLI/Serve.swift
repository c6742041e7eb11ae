import ArgumentParser
import Logging
import RelayIngress
import RelayProviders
import RelayRedis
import RelayWorkers
import ServiceLifecycle
import UnixSignals

/// `relay serve`: the ingress.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the ingress (HTTP and WebSocket, port 3003).")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var database: OptionalDatabaseOptions
    @OptionGroup var workers: WorkersOptions

    func run() async throws {
        let configuration = try workers.load()
        try await RelayRuntime(
            name: "serve", redis: redis, configuration: configuration, database: database,
            ingress: (serve, try auth.configuration(development: isDevelopment("serve"))), pools: nil
        ).run()
    }
}

/// `relay dev`: every component in one process, for `bin/dev`.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every Relay component in one process (what bin/dev starts).",
        discussion: "The ingress and every worker pool of workers.yml (the simulated provider unless API keys are set)."
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var database: OptionalDatabaseOptions
    @OptionGroup var workers: WorkersOptions

    func run() async throws {
        let configuration = try workers.load()
        try await RelayRuntime(
            name: "dev", redis: redis, configuration: configuration, database: database,
            ingress: (serve, try auth.configuration(development: true)), pools: []
        ).run()
    }
}
