import ArgumentParser
import Logging
import Metrics
import Prometheus
import RelayIngress
import RelayLedger
import RelayProviders
import RelayRedis
import RelayWorkers
import ServiceLifecycle
import UnixSignals

/// Wires the services of a Relay process into one `ServiceGroup`: Redis, the ledger (when a database is
/// configured), the ingress and the worker pools.
struct RelayRuntime {
    var name: String
    var redis: RedisOptions
    var configuration: WorkersConfiguration
    var database: OptionalDatabaseOptions
    var ingress: (ServeOptions, TokenAuthority.Configuration)?
    /// The pools to run: nil for none, empty for all.
    var pools: [String]?

    func run() async throws {
        var logger = Logger(label: "relay")
        logger.logLevel = .info
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let redisConfiguration = try redis.configuration()
        let redis = RedisClient(configuration: redisConfiguration, eventLoopGroup: RedisEventLoop.group, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let ledger = try database.ledger(logger: logger)
        if let ledger {
            services.append(.init(service: ledger))
        } else {
            logger.warning("no DATABASE_URL: credits are neither checked nor billed")
        }
        if let (serve, authConfiguration) = ingress {
            let ingressConfiguration = try serve.configuration()
            let authority = try await TokenAuthority(configuration: authConfiguration)
            let limiter = RateLimiter(redis: redis, defaults: ingressConfiguration.defaultLimits)
            let submitter = try RequestSubmitter(
                configuration: configuration, redis: redis, ledger: ledger, limiter: limiter, logger: logger
            )
            let app = Ingress.application(
                configuration: ingressConfiguration, redis: redis, submitter: submitter, authority: authority,
                metrics: IngressMetrics(registry: registry), logger: logger
            )
            services.append(.init(service: app))
            Task { await submitter.prepare() }
            logger.info("ingress on port \(ingressConfiguration.port)")
        }
        if let only = pools {
            let httpClient = ProviderHTTPClient.make()
            let pools = try WorkerPools(
                configuration: configuration, redis: redis, httpClient: httpClient, ledger: ledger, only: only, logger: logger
            )
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
