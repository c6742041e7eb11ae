import NIOCore
import NIOWebSocket

/// Closes a connection with 1002 when the client sends a frame without a mask (RFC 6455, 5.1: a server must).
///
/// It sits before the fragment aggregator, which unmasks what it joins, so it sees each frame as sent.
final class MaskedFrameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let outbound: WebSocketOutbound
    private var refused = false

    init(outbound: WebSocketOutbound) {
        self.outbound = outbound
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        guard unwrapInboundIn(data).maskKey != nil else {
            refused = true
            outbound.close(.protocolError, reason: "client frames must be masked")
            return
        }
        context.fireChannelRead(data)
    }
}
