import Foundation
import Hummingbird
import Logging
import RelayProviders
import RelayRedis
import RelayWorkers

/// The HTTP front of Relay. For now: health, readiness, and the provider and model catalogue.
public enum Ingress {
    /// Builds the ingress application; run it inside a `ServiceGroup`.
    public static func application(
        configuration: IngressConfiguration,
        redis: RedisClient,
        workers: WorkersConfiguration?,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ in
            HealthReport(status: "ok", checks: nil)
        }
        router.get("readyz") { _, _ -> EditedResponse<HealthReport> in
            let redisCheck: String
            do {
                try await redis.send("PING")
                redisCheck = "ok"
            } catch {
                redisCheck = "unreachable"
            }
            let ready = redisCheck == "ok"
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: HealthReport(status: ready ? "ok" : "unavailable", checks: ["redis": redisCheck])
            )
        }
        if let workers {
            let catalogue = ProviderCatalogue(configuration: workers, circuits: RedisCircuitStore(redis: redis))
            router.get("api/providers") { _, _ in try await catalogue.providers() }
            router.get("api/models") { _, _ in catalogue.models() }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "relay"),
            logger: logger
        )
    }
}

/// The body of the health endpoints.
struct HealthReport: ResponseEncodable {
    var status: String
    var checks: [String: String]?
}
