import NIOCore
import NIOWebSocket
import Synchronization

/// The sending side of one WebSocket connection, usable from any task.
///
/// Messages sent while a write is pending on the event loop go out together with one flush. A close is sent after
/// the messages before it; nothing is sent after it.
final class WebSocketOutbound: Sendable {
    /// A client that leaves more than this unread is disconnected; it may resume on a new connection.
    static let maxBufferedBytes = 8 << 20

    private enum Item: Sendable {
        case text(ByteBuffer)
        case close(WebSocketErrorCode, String)
    }

    private struct State {
        var items: [Item] = []
        var scheduled = false
        var closing = false
    }

    let channel: any Channel
    private let state = Mutex(State())

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Sends one text message.
    func send(_ text: String) {
        enqueue(.text(channel.allocator.buffer(string: text)))
    }

    /// Sends a close frame with `code` and `reason` after what was sent before, then closes the connection.
    func close(_ code: WebSocketErrorCode, reason: String) {
        enqueue(.close(code, reason))
    }

    /// Whether a close was sent or the peer's close was answered.
    var isClosing: Bool { state.withLock { $0.closing } }

    /// Marks the connection as closing; returns false when it already was.
    func beginClosing() -> Bool {
        state.withLock { state in
            defer { state.closing = true }
            return !state.closing
        }
    }

    private func enqueue(_ item: Item) {
        let schedule = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            if case .close = item { state.closing = true }
            state.items.append(item)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { channel.eventLoop.execute { self.writeQueued() } }
    }

    /// Writes what is queued, with one flush; on the event loop.
    func writeQueued() {
        let items = state.withLock { state in
            defer {
                state.items.removeAll(keepingCapacity: false)
                state.scheduled = false
            }
            return state.items
        }
        for item in items {
            switch item {
            case .text(let buffer):
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
            case .close(let code, let reason):
                writeClose(code, reason: reason)
            }
        }
        channel.flush()
        if !channel.isWritable, let buffered = try? channel.syncOptions?.getOption(.bufferedWritableBytes),
            buffered > Self.maxBufferedBytes, beginClosing()
        {
            channel.close(promise: nil)
        }
    }

    /// Writes a close frame and closes the connection once the peer answers, or after a second.
    private func writeClose(_ code: WebSocketErrorCode, reason: String) {
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        var reason = reason
        while reason.utf8.count > 123 { reason.removeLast() }
        data.writeString(reason)
        channel.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }
}
