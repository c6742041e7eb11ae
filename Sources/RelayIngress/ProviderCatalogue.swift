import Foundation
import Hummingbird
import RelayProviders
import RelayWorkers

/// `GET /api/providers` and `GET /api/models`: what workers.yml declares, with each provider's live circuit state.
struct ProviderCatalogue: Sendable {
    let configuration: WorkersConfiguration
    let circuits: RedisCircuitStore

    struct ProviderStatus: ResponseEncodable {
        var id: String
        var kind: String
        var enabled: Bool
        var baseURL: String
        var circuit: String
        var successes: Int
        var failures: Int
        var errorRate: Double
        var openedAt: Int?
        /// Requests in flight over every worker process, and their mean latency to the first event (ms).
        var inFlight: Int
        var latencyMs: Double?
        var models: [String]

        /// Every field, `null` when unknown (not left out).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(kind, forKey: .kind)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(baseURL, forKey: .baseURL)
            try container.encode(circuit, forKey: .circuit)
            try container.encode(successes, forKey: .successes)
            try container.encode(failures, forKey: .failures)
            try container.encode(errorRate, forKey: .errorRate)
            try container.encode(openedAt, forKey: .openedAt)
            try container.encode(inFlight, forKey: .inFlight)
            try container.encode(latencyMs, forKey: .latencyMs)
            try container.encode(models, forKey: .models)
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, enabled, baseURL, circuit, successes, failures, errorRate, openedAt, inFlight, latencyMs, models
        }
    }

    struct ProviderList: ResponseEncodable {
        var providers: [ProviderStatus]
    }

    struct ModelEntry: ResponseEncodable {
        var id: String
        var providers: [String]
        var contextWindow: Int
        var capabilities: [String]
        var pricePer1KInput: Double
        var pricePer1KOutput: Double
    }

    struct ModelList: ResponseEncodable {
        var models: [ModelEntry]
    }

    func providers() async throws -> ProviderList {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        var list: [ProviderStatus] = []
        for provider in configuration.providers.values.sorted(by: { $0.id < $1.id }) {
            let snapshot = try await circuits.snapshot(provider.id, settings: configuration.breaker, now: now)
            let load = try await ProviderStatsPublisher.read(provider.id, redis: circuits.redis)
            list.append(ProviderStatus(
                id: provider.id, kind: provider.kind.rawValue, enabled: provider.enabled, baseURL: provider.baseURL,
                circuit: snapshot.state.rawValue, successes: snapshot.successes, failures: snapshot.failures,
                errorRate: snapshot.errorRate, openedAt: snapshot.openedAt, inFlight: load.inFlight,
                latencyMs: load.latencyMs.map { ($0 * 100).rounded() / 100 }, models: provider.models.keys.sorted()
            ))
        }
        return ProviderList(providers: list)
    }

    /// Routed models, with the details of the first provider that serves each.
    func models() -> ModelList {
        let entries = configuration.routes.keys.sorted().compactMap { model -> ModelEntry? in
            guard let chain = configuration.routes[model],
                let info = chain.lazy.compactMap({ configuration.providers[$0]?.models[model] }).first
            else { return nil }
            return ModelEntry(
                id: model, providers: chain, contextWindow: info.contextWindow, capabilities: info.capabilities,
                pricePer1KInput: info.inputPricePer1K, pricePer1KOutput: info.outputPricePer1K
            )
        }
        return ModelList(models: entries)
    }
}
