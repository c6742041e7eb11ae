import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import RelayJSON

/// HTTP/1 connections, of which those to `/ws` with a valid token upgrade to Relay's WebSocket protocol.
///
/// An upgraded connection is served by channel handlers on its event loop, so an idle WebSocket holds no task.
/// A refused upgrade is answered with its status (400, 401, 403, 404, 426) and a JSON reason.
struct WebSocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    /// What became of a connection's first request.
    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, IngressError?)
        case webSocket
    }

    /// A connection being set up, with what its first request will become.
    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    /// Verifies an upgrade request's token.
    typealias Authorize = @Sendable (HTTPRequestHead) async throws -> Identity
    /// Adds the handlers of an upgraded connection to its pipeline, on its event loop.
    typealias Open = @Sendable (Identity, any Channel) throws -> Void

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    let maxMessageSize: Int
    let authorize: Authorize
    let open: Open

    init(
        responder: @escaping HTTPChannelHandler.Responder, http1: HTTP1Channel.Configuration = .init(), maxMessageSize: Int,
        authorize: @escaping Authorize, open: @escaping Open
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.http1 = http1
        self.maxMessageSize = maxMessageSize
        self.authorize = authorize
        self.open = open
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let attempt = NIOLoopBoundBox<UpgradeAttempt?>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: maxMessageSize,
                shouldUpgrade: { channel, head in
                    attempt.value = UpgradeAttempt()
                    guard head.uri.split(separator: "?", maxSplits: 1).first == "/ws" else {
                        attempt.value?.refusal = IngressError(.notFound, "WebSocket connections are served on /ws only")
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    guard head.method == .GET else {
                        attempt.value?.refusal = IngressError(.invalidRequest, "a WebSocket upgrade must be a GET request")
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    let verified = channel.eventLoop.makePromise(of: Identity.self)
                    verified.completeWithTask { try await authorize(head) }
                    return verified.futureResult.map { identity -> HTTPHeaders? in
                        attempt.value?.identity = identity
                        return HTTPHeaders()
                    }.flatMapErrorThrowing { error -> HTTPHeaders? in
                        attempt.value?.refusal = (error as? IngressError) ?? IngressError(.unauthorized, "the token is not valid")
                        return nil
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let identity = attempt.value?.identity else { throw ChannelError.inappropriateOperationForState }
                        try open(identity, channel)
                        return Outcome.webSocket
                    }
                }
            )
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .nanoseconds($0.nanoseconds) }, logger: logger)
                        )
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        guard let attempt = attempt.value else { return Outcome.http(http) }
                        return Outcome.refused(http, attempt.refusal)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<Outcome>.self)
            let guardHandler = FirstRequestGuard { version13 in
                attempt.value = UpgradeAttempt(
                    refusal: version13 ? nil : IngressError(.upgradeRequired, "this server speaks WebSocket version 13 only")
                )
            }
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .before(upgradeHandler))
            let guardContext = try channel.pipeline.syncOperations.context(handler: guardHandler)
            outcome.assumeIsolated().whenComplete { _ in guardHandler.settle(context: guardContext) }
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                try await Self.refuse(http, refusal: refusal)
            case .webSocket:
                break
            }
        } catch {
            logger.debug("A connection ended before its first request was answered", metadata: ["error.type": "\(type(of: error))"])
            value.channel.close(promise: nil)
        }
    }

    /// The state of one connection's upgrade request, on its event loop.
    private struct UpgradeAttempt {
        var identity: Identity?
        var refusal: IngressError?
    }

    /// Answers a refused upgrade and closes the connection.
    private static func refuse(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, refusal: IngressError?) async throws {
        let status = HTTPResponse.Status(code: refusal?.httpStatus ?? 400)
        let code = refusal?.code.rawValue ?? "INVALID_REQUEST"
        var headers: HTTPFields = [.connection: "close", .contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if status == .upgradeRequired { headers[.secWebSocketVersion] = "13" }
        let message =
            refusal?.message
            ?? "a WebSocket upgrade needs Connection: Upgrade, Upgrade: websocket, a Sec-WebSocket-Key and Sec-WebSocket-Version 13"
        let body = ByteBuffer(string: #"{"error":{"code":"\#(code)","message":\#(JSONValue.quoted(message))}}"#)
        try await http.executeThenClose { _, outbound in
            headers[.contentLength] = "\(body.readableBytes)"
            let head = HTTPResponse(status: status, headerFields: headers)
            try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
        }
    }

    /// An upgrade asked for on a connection that already served a request is redirected to a new connection:
    /// NIO upgrades only a connection's first request.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        { request, writer, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                try await responder(request, writer, channel)
                return
            }
            let location = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            try await writer.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location, .contentLength: "0"])
            )
            throw LateUpgrade()
        }
    }

    /// Thrown after the redirect, so the connection ends and the client reconnects.
    private struct LateUpgrade: Error {}
}
