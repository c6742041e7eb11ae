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

    func run() async throws {
        try await RelayRuntime.run(redis: redis, serve: serve, workers: nil, name: "serve")
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
    @OptionGroup var workers: WorkersOptions

    func run() async throws {
        let configuration = try workers.load()
        try await RelayRuntime.run(redis: redis, serve: serve, workers: (configuration, []), name: "dev")
    }
}

/// Wires the services of a Relay process into one `ServiceGroup`.
enum RelayRuntime {
    static func run(
        redis redisOptions: RedisOptions,
        serve: ServeOptions?,
        workers: (WorkersConfiguration, [String])?,
        name: String
    ) async throws {
        var logger = Logger(label: "relay")
        logger.logLevel = .info
        let redisConfiguration = try redisOptions.configuration()
        let redis = RedisClient(configuration: redisConfiguration, eventLoopGroup: RedisEventLoop.group, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let serve {
            let ingressConfiguration = try serve.configuration()
            let app = Ingress.application(
                configuration: ingressConfiguration, redis: redis, workers: workers?.0, logger: logger
            )
            services.append(.init(service: app))
            logger.info("ingress on port \(ingressConfiguration.port)")
        }
        if let (configuration, only) = workers {
            let httpClient = ProviderHTTPClient.make()
            let pools = try WorkerPools(configuration: configuration, redis: redis, httpClient: httpClient, only: only, logger: logger)
            services.append(.init(service: WorkerPoolsService(pools: pools, httpClient: httpClient)))
            let names = only.isEmpty ? configuration.pools.map(\.name) : only
            logger.info("worker pools: \(names.joined(separator: ", "))")
        }
        services.append(.init(service: RedisClientService(client: redis)))
        logger.info("relay \(name) starting", metadata: ["redis": "\(redisConfiguration)"])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}

/// Keeps a ``RedisClient`` for the life of the service group and closes it on shutdown.
struct RedisClientService: Service {
    let client: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.close()
    }
}
