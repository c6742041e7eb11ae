import NIOCore

/// What a connection writes: one or more commands and where their replies go.
struct RedisRequest: Sendable {
    enum Reply: Sendable {
        /// One command; its reply completes the promise.
        case single(EventLoopPromise<RedisValue>)
        /// A pipeline; the promise gets one reply per command, in order.
        case batch(EventLoopPromise<[RedisValue]>)
        /// A command on a subscriber connection, whose replies arrive as pushes.
        case none
    }

    var commands: [RedisCommand]
    var reply: Reply

    func fail(_ error: any Error) {
        switch reply {
        case .single(let promise): promise.fail(error)
        case .batch(let promise): promise.fail(error)
        case .none: break
        }
    }
}

/// Writes encoded commands and matches the replies hiredis parses to the requests, in order.
///
/// A subscriber connection hands every reply to `onPush` instead.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var reply: RedisRequest.Reply
        var expected: Int
        var values: [RedisValue]
    }

    private let reader = RedisReplyReader()
    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    private let onPush: (@Sendable (RedisValue) -> Void)?
    private var failure: RedisClientError?

    init(onPush: (@Sendable (RedisValue) -> Void)? = nil) {
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if failure != nil {
            let error = RedisClientError(.notSent, "the connection to Redis closed before the command was sent")
            request.fail(error)
            promise?.fail(error)
            return
        }
        switch request.reply {
        case .none:
            break
        case .single, .batch:
            pending.append(Pending(reply: request.reply, expected: request.commands.count, values: []))
        }
        for command in request.commands {
            context.write(wrapOutboundOut(command.encoded), promise: nil)
        }
        promise?.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.feed(unwrapInboundIn(data))
            while let value = try reader.next() {
                try deliver(value)
            }
        } catch {
            fail(with: error as? RedisClientError ?? RedisClientError(.protocolError, "\(error)"))
            context.close(promise: nil)
        }
    }

    private func deliver(_ value: RedisValue) throws {
        if let onPush {
            onPush(value)
            return
        }
        guard !pending.isEmpty else {
            throw RedisClientError(.protocolError, "a reply arrived that no command was waiting for")
        }
        switch pending[pending.startIndex].reply {
        case .single(let promise):
            pending.removeFirst()
            promise.succeed(value)
        case .batch(let promise):
            pending[pending.startIndex].values.append(value)
            if pending[pending.startIndex].values.count == pending[pending.startIndex].expected {
                let values = pending.removeFirst().values
                promise.succeed(values)
            }
        case .none:
            pending.removeFirst()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(with: RedisClientError(.connectionClosed, "the connection to Redis closed before the reply arrived"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(with: RedisClientError(.connectionClosed, "the connection to Redis failed: \(error)"))
        context.close(promise: nil)
    }

    private func fail(with error: RedisClientError) {
        if failure == nil { failure = error }
        while let entry = pending.popFirst() {
            RedisRequest(commands: [], reply: entry.reply).fail(error)
        }
    }
}
