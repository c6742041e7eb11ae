/// Where the ingress listens, the limits of its WebSocket protocol and the default per-user rate limits.
public struct IngressConfiguration: Sendable {
    public var host: String
    /// The HTTP and WebSocket port; 3003 unless `RELAY_PORT` or `--port` says otherwise.
    public var port: Int
    /// The largest WebSocket message (and frame) accepted; larger ones close the connection with 1009.
    public var maxWebSocketMessage: Int
    /// How often idle WebSocket peers are pinged; one that does not answer is dropped.
    public var pingInterval: Duration
    /// Requests and tokens per minute of users without an override (`--rpm`, `--tpm`); nil for none.
    public var defaultLimits: RateLimiter.Limits

    public init(
        host: String = "127.0.0.1", port: Int = 3003, maxWebSocketMessage: Int = 1 << 20,
        pingInterval: Duration = .seconds(30), defaultLimits: RateLimiter.Limits = .init()
    ) {
        self.host = host
        self.port = port
        self.maxWebSocketMessage = maxWebSocketMessage
        self.pingInterval = pingInterval
        self.defaultLimits = defaultLimits
    }
}
