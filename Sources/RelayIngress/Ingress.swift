import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOWebSocket
import Prometheus
import RelayLedger
import RelayProviders
import RelayRedis
import RelayWorkers

/// The front of Relay: the WebSocket protocol, the OpenAI- and Anthropic-compatible HTTP APIs, health, metrics
/// and the provider catalogue. It enqueues requests and relays their results; it never calls a provider.
public enum Ingress {
    /// Builds the ingress application; run it inside a `ServiceGroup`.
    public static func application(
        configuration: IngressConfiguration,
        redis: RedisClient,
        submitter: RequestSubmitter,
        authority: TokenAuthority,
        metrics: IngressMetrics,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: RelayRequestContext.self)
        let authenticator = Authenticator(authority: authority)
        addHealth(to: router, redis: redis, ledger: submitter.ledger, submitter: submitter, metrics: metrics)
        OpenAIAPI(submitter: submitter, authenticator: authenticator, metrics: metrics).register(on: router)
        AnthropicAPI(submitter: submitter, authenticator: authenticator, metrics: metrics).register(on: router)
        AccountsAPI(
            ledger: submitter.ledger, limiter: submitter.limiter ?? RateLimiter(redis: redis), authenticator: authenticator,
            metrics: metrics
        ).register(on: router)
        UsersAPI(queues: submitter.queues, authenticator: authenticator, metrics: metrics).register(on: router)
        let catalogue = ProviderCatalogue(configuration: submitter.configuration, circuits: RedisCircuitStore(redis: redis))
        router.get("api/providers") { _, _ in try await catalogue.providers() }
        router.get("api/models") { _, _ in catalogue.models() }

        router.get("ws") { _, _ -> Response in
            throw HTTPError(.upgradeRequired, message: "/ws takes WebSocket connections only")
        }
        let server = HTTPServerBuilder { responder in
            WebSocketUpgradeChannel(
                responder: responder, maxMessageSize: configuration.maxWebSocketMessage,
                authorize: { head in
                    let identity = try await authenticator.identity(ofUpgrade: head)
                    try identity.requireSubmit()
                    return identity
                },
                open: { identity, channel in
                    let outbound = WebSocketOutbound(channel: channel)
                    let session = WebSocketSession(
                        identity: identity, submitter: submitter, outbound: outbound, metrics: metrics, logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandlers(
                        MaskedFrameCheck(outbound: outbound),
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096,
                            maxAccumulatedFrameSize: configuration.maxWebSocketMessage
                        ),
                        WebSocketConnectionHandler(
                            session: session, outbound: outbound, pingInterval: .init(configuration.pingInterval)
                        )
                    )
                }
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "relay"),
            logger: logger
        )
    }

    private static func addHealth(
        to router: Router<RelayRequestContext>, redis: RedisClient, ledger: Ledger?, submitter: RequestSubmitter,
        metrics: IngressMetrics
    ) {
        router.get("healthz") { _, _ in
            HealthReport(status: "ok", checks: nil)
        }
        router.get("readyz") { _, _ -> EditedResponse<HealthReport> in
            var checks: [String: String] = [:]
            checks["redis"] = (try? await redis.send("PING")) != nil ? "ok" : "unreachable"
            if let ledger {
                checks["postgres"] = (try? await ledger.ping()) != nil ? "ok" : "unreachable"
            }
            let ready = checks.values.allSatisfy { $0 == "ok" }
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: HealthReport(status: ready ? "ok" : "unavailable", checks: checks)
            )
        }
        router.get("metrics") { _, _ -> Response in
            await metrics.updateQueueDepths(submitter.queues)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer()))
            )
        }
    }
}

/// The body of the health endpoints.
struct HealthReport: ResponseEncodable {
    var status: String
    var checks: [String: String]?
}
