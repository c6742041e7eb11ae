import ArgumentParser
import Logging
import RelayIngress
import RelayRedis
import ServiceLifecycle
import UnixSignals

/// `relay serve`: the ingress.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the ingress (HTTP and WebSocket, port 3003).")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions

    func run() async throws {
        try await RelayRuntime.run(redis: redis, serve: serve, name: "serve")
    }
}

/// `relay dev`: every component in one process, for `bin/dev`.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every Relay component in one process (what bin/dev starts).",
        discussion: "Today that is the ingress; worker pools join it as they land."
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions

    func run() async throws {
        try await RelayRuntime.run(redis: redis, serve: serve, name: "dev")
    }
}

/// Wires the services of a Relay process into one `ServiceGroup`.
enum RelayRuntime {
    static func run(redis redisOptions: RedisOptions, serve: ServeOptions, name: String) async throws {
        var logger = Logger(label: "relay")
        logger.logLevel = .info
        let redisConfiguration = try redisOptions.configuration()
        let ingressConfiguration = try serve.configuration()
        let redis = RedisClient(configuration: redisConfiguration, logger: logger)
        let app = Ingress.application(configuration: ingressConfiguration, redis: redis, logger: logger)
        logger.info(
            "relay \(name) starting",
            metadata: ["port": "\(ingressConfiguration.port)", "redis": "\(redisConfiguration)"]
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: RedisClientService(client: redis))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
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
