import AsyncHTTPClient
import BullQueue
import Logging
import RelayLedger
import RelayProviders
import RelayRedis

/// Runs the pools of `workers.yml` (all, or the named ones) until shut down; each pool is a BullQueue ``Worker``.
public final class WorkerPools: Sendable {
    public let configuration: WorkersConfiguration
    public let handler: LLMJobHandler
    public let workers: [Worker]
    public let statsPublisher: ProviderStatsPublisher

    public init(
        configuration: WorkersConfiguration, redis: RedisClient, httpClient: HTTPClient, ledger: Ledger? = nil,
        only: [String] = [],
        prefix: String = "bull", logger: Logger = Logger(label: "relay.workers")
    ) throws {
        self.configuration = configuration
        let providers = Self.makeProviders(configuration, httpClient: httpClient)
        let router = ProviderRouter(circuits: CachedCircuitStore(RedisCircuitStore(redis: redis)), breaker: configuration.breaker, logger: logger)
        statsPublisher = ProviderStatsPublisher(redis: redis, load: router.load)
        let handler = LLMJobHandler(configuration: configuration, providers: providers, router: router, redis: redis, ledger: ledger, logger: logger)
        self.handler = handler
        let pools = only.isEmpty ? configuration.pools : configuration.pools.filter { only.contains($0.name) }
        workers = try pools.map { pool in
            let queue = try Queue(name: pool.queue, prefix: prefix, redis: redis)
            let timeout = pool.timeout
            return Worker(queue: queue, options: pool.workerOptions, logger: logger) { context in
                try await handler.process(context, queue: pool.queue, timeout: timeout)
            }
        }
    }

    /// Runs every pool; returns when all have stopped. A pool without `userConcurrency` clears the queue's default
    /// per-user limit (overrides set with `relay users set-concurrency` stay).
    public func run() async throws {
        for worker in workers where worker.options.groupConcurrency == nil {
            try await worker.queue.setDefaultGroupConcurrency(nil)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers { group.addTask { try await worker.run() } }
            let publisher = Task { await statsPublisher.run() }
            let pricing = Task { [handler] in
                if let ledger = handler.ledger { await handler.prices.refreshPeriodically(from: ledger, logger: handler.logger) }
            }
            let reconciling = Task { [handler, configuration] in
                if let ledger = handler.ledger {
                    await LedgerReconciler(ledger: ledger, configuration: configuration, logger: handler.logger).run()
                }
            }
            defer {
                publisher.cancel()
                pricing.cancel()
                reconciling.cancel()
            }
            try await group.waitForAll()
        }
    }

    /// Stops taking jobs; jobs in progress finish.
    public func shutdown() {
        for worker in workers { worker.shutdown() }
    }

    static func makeProviders(_ configuration: WorkersConfiguration, httpClient: HTTPClient) -> [String: any LLMProvider] {
        var providers: [String: any LLMProvider] = [:]
        for (id, provider) in configuration.providers where provider.enabled {
            switch provider.kind {
            case .openai:
                providers[id] = OpenAIProvider(id: id, baseURL: provider.baseURL, apiKey: provider.apiKey, httpClient: httpClient)
            case .anthropic:
                providers[id] = AnthropicProvider(id: id, baseURL: provider.baseURL, apiKey: provider.apiKey, httpClient: httpClient)
            case .simulated:
                providers[id] = SimulatedProvider(id: id, configuration: provider.simulated)
            }
        }
        return providers
    }
}
