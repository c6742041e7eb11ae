import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The request context of every ingress route, WebSocket upgrades included.
public struct RelayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection the request came on.
    public let channel: any Channel
    /// Request bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
