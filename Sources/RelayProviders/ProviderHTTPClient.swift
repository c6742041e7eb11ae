import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The HTTP client provider calls share: many connections per provider host (streams hold theirs for their whole
/// length), and no silent retrying of failed connects — the router retries and falls back itself, so a dead host
/// costs milliseconds, not the connect timeout.
public enum ProviderHTTPClient {
    public static func make(
        connectionsPerHost: Int = 512,
        connectTimeout: TimeAmount = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = connectTimeout
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
    }
}
