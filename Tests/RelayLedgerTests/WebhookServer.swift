import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP server on loopback that answers 200 to every request and hands over the request bodies.
struct WebhookServer: Sendable {
    let channel: any Channel
    let bodies: AsyncStream<String>

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/alerts" }

    static func start() async throws -> WebhookServer {
        let (bodies, continuation) = AsyncStream.makeStream(of: String.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(continuation: continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return WebhookServer(channel: channel, bodies: bodies)
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let continuation: AsyncStream<String>.Continuation
        var body = ""

        init(continuation: AsyncStream<String>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                continuation.yield(body)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
