import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import RelayJSON
import Synchronization

/// Answers a refused WebSocket upgrade with the status it deserves (401, 403) and a JSON reason.
///
/// Hummingbird answers every refused upgrade with an empty 400. The `/ws` route records why it refused the
/// upgrade on the request's channel; a handler at the socket end of that channel's pipeline replaces the 400 with
/// the recorded answer.
enum UpgradeRefusals {
    private static let refusals = Mutex<[ObjectIdentifier: (status: Int, reason: String, message: String)]>([:])

    /// Records why the upgrade on `channel` is refused.
    static func refuse(_ channel: any Channel, error: IngressError) {
        let status = error.code == .forbidden ? 403 : 401
        let reason = status == 403 ? "Forbidden" : "Unauthorized"
        refusals.withLock { $0[ObjectIdentifier(channel)] = (status, reason, error.message) }
    }

    static func take(_ channel: any Channel) -> (status: Int, reason: String, message: String)? {
        refusals.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The server: HTTP/1 with WebSocket upgrades whose refusals carry their status.
    static func server<Router: HTTPResponderBuilder & _HB_SendableMetatype>(
        router: Router, configuration: HTTP1WebSocketUpgradeChannel.Configuration
    ) -> HTTPServerBuilder where Router.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = router.buildResponder()
        return HTTPServerBuilder { responder in
            RefusalAwareChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration)
            )
        }
    }
}

/// ``HTTP1WebSocketUpgradeChannel`` with ``RefusalRewriter`` at the socket end of each connection's pipeline.
struct RefusalAwareChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(RefusalRewriter(), position: .first)
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Replaces the empty `400 Bad Request` of a refused upgrade with the recorded status and reason.
final class RefusalRewriter: ChannelOutboundHandler, RemovableChannelHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        guard buffer.readableBytesView.starts(with: Self.badRequest), let refusal = UpgradeRefusals.take(context.channel) else {
            context.write(data, promise: promise)
            return
        }
        let body = #"{"error":{"code":"\#(refusal.status == 403 ? "FORBIDDEN" : "UNAUTHORIZED")","message":\#(JSONValue.quoted(refusal.message))}}"#
        let response = "HTTP/1.1 \(refusal.status) \(refusal.reason)\r\nconnection: close\r\ncontent-type: application/json\r\n"
            + "content-length: \(body.utf8.count)\r\n\r\n" + body
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: promise)
    }

    /// A connection that closes before its refusal was written leaves nothing behind.
    func handlerRemoved(context: ChannelHandlerContext) {
        _ = UpgradeRefusals.take(context.channel)
    }

    private static let badRequest = Array("HTTP/1.1 400".utf8)
}
