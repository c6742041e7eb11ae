/// Where the ingress listens.
public struct IngressConfiguration: Sendable {
    public var host: String
    /// The HTTP and WebSocket port; 3003 unless `RELAY_PORT` or `--port` says otherwise.
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 3003) {
        self.host = host
        self.port = port
    }
}
