import NIOCore
import NIOWebSocket

/// Serves one upgraded WebSocket connection on its event loop: hands text messages to the session, answers pings
/// and closes, pings the peer every `pingInterval` and drops one that did not answer the last ping.
///
/// An idle connection costs its channel and this handler; no task waits on it.
final class WebSocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: WebSocketSession
    private let outbound: WebSocketOutbound
    private let pingInterval: TimeAmount
    private var pinger: RepeatedTask?
    private var awaitingPong = false

    init(session: WebSocketSession, outbound: WebSocketOutbound, pingInterval: TimeAmount) {
        self.session = session
        self.outbound = outbound
        self.pingInterval = pingInterval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        session.opened()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = context.channel
        pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: pingInterval, delay: pingInterval) { _ in
            loopBound.value.ping(channel)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pinger?.cancel()
        pinger = nil
        session.closed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard !outbound.isClosing else { return }
            let data = frame.unmaskedData
            guard let text = String(validating: data.readableBytesView, as: UTF8.self) else {
                outbound.close(.dataInconsistentWithMessage, reason: "text messages must be UTF-8")
                return
            }
            session.receive(text)
        case .binary:
            outbound.close(.unacceptableData, reason: "binary messages are not accepted; send JSON text")
        case .ping:
            guard !outbound.isClosing else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            awaitingPong = false
        case .connectionClose:
            answerClose(context: context, frame: frame)
        default:
            outbound.close(.protocolError, reason: "unknown opcode")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge:
            outbound.close(.messageTooLarge, reason: "the message is too large")
        case is NIOWebSocketFrameAggregator.Error:
            outbound.close(.protocolError, reason: "the message's fragments are malformed")
        case is NIOWebSocketError:
            break
        default:
            context.close(promise: nil)
        }
    }

    /// Closes with 1001 when the server shuts down; closes at once when the peer's input ended without a close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            outbound.close(.goingAway, reason: "Relay is shutting down")
        case ChannelEvent.inputClosed:
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Answers the peer's close with its code (1002 for one a peer may not send), after anything still queued,
    /// then closes the connection.
    private func answerClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        if outbound.beginClosing() {
            var data = frame.unmaskedData
            var reply = context.channel.allocator.buffer(capacity: 2)
            if data.readableBytes >= 2, let code = data.readWebSocketErrorCode() {
                reply.write(webSocketErrorCode: Self.sendable(code) ? code : .protocolError)
            }
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)), promise: nil)
        }
        outbound.writeQueued()
        context.close(promise: nil)
    }

    /// Whether a peer may send `code` in a close frame (RFC 6455, 7.4).
    private static func sendable(_ code: WebSocketErrorCode) -> Bool {
        let value = UInt16(webSocketErrorCode: code)
        return (1000...1003).contains(value) || (1007...1011).contains(value) || (3000...4999).contains(value)
    }

    private func ping(_ channel: any Channel) {
        guard !awaitingPong else {
            channel.close(promise: nil)
            return
        }
        awaitingPong = true
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: channel.allocator.buffer(capacity: 0)), promise: nil)
    }
}
