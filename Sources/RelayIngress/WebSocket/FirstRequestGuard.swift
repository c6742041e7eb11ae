import NIOCore
import NIOHTTP1
import RelayJSON

/// Looks after a connection until its first request is upgraded or handed to the HTTP router.
///
/// Until then no other handler answers for the connection, so this one:
/// - strips an `Upgrade` header that does not ask for `websocket` (`h2c`, …), so the request is served as HTTP/1.1;
///   NIO would drop the head of a request whose upgrade no upgrader takes;
/// - reports a WebSocket upgrade request to `sawWebSocketUpgrade`, with whether it asks for version 13 (one NIO
///   cannot take is answered with 400, or 426 for another version);
/// - answers a request it cannot parse with 400, and closes a connection that sends no request head within
///   `headTimeout` or is still waiting when the server shuts down.
final class FirstRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let headTimeout: TimeAmount
    private let sawWebSocketUpgrade: (_ version13: Bool) -> Void
    private var timeout: Scheduled<Void>?
    private var settled = false

    init(headTimeout: TimeAmount = .seconds(30), sawWebSocketUpgrade: @escaping (_ version13: Bool) -> Void) {
        self.headTimeout = headTimeout
        self.sawWebSocketUpgrade = sawWebSocketUpgrade
    }

    /// The first request was upgraded or handed over: from here on the guard only passes things along.
    func settle(context: ChannelHandlerContext) {
        settled = true
        timeout?.cancel()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timeout = context.eventLoop.scheduleTask(in: headTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !settled, case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        timeout?.cancel()
        let upgrades = head.headers[canonicalForm: "upgrade"]
        if upgrades.contains(where: { $0.lowercased() == "websocket" }) {
            sawWebSocketUpgrade(head.headers["sec-websocket-version"].allSatisfy { $0 == "13" })
            context.fireChannelRead(data)
        } else if !upgrades.isEmpty {
            head.headers.remove(name: "upgrade")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !settled, error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        settled = true
        let body = ByteBuffer(string: #"{"error":{"code":"INVALID_REQUEST","message":"the HTTP request is malformed"}}"#)
        let headers = HTTPHeaders([
            ("connection", "close"), ("content-type", "application/json"), ("content-length", "\(body.readableBytes)"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !settled, event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
