import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import RelayJSON

/// What the OpenAI- and Anthropic-compatible APIs share: reading JSON bodies, answering errors in the API's own
/// shape, and counting every request.
protocol HTTPAPI: Sendable {
    /// The label of the API in metrics (`openai`, `anthropic`).
    var name: String { get }
    var metrics: IngressMetrics { get }
    /// The error response in this API's shape.
    func errorResponse(_ error: IngressError) -> Response
}

extension HTTPAPI {
    /// Runs a route: errors become this API's error responses; every request is counted, a streamed one when its
    /// last byte is written.
    func handle(_ body: () async throws -> Response) async -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await body()
        } catch let error as IngressError {
            response = errorResponse(error)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            response = errorResponse(IngressError(.payloadTooLarge, "the request body is larger than 4 MiB"))
        } catch {
            response = errorResponse(IngressError(.internal, "the request failed"))
        }
        let (metrics, name, status) = (metrics, name, response.status.code)
        guard response.body.contentLength == nil else {
            metrics.recordRequest(api: name, status: status, duration: ContinuousClock.now - started)
            return response
        }
        let streamed = response.body
        response.body = ResponseBody { writer in
            defer { metrics.recordRequest(api: name, status: status, duration: ContinuousClock.now - started) }
            try await streamed.write(writer)
        }
        return response
    }

    /// The request's body as a JSON object; 413 past the context's upload limit, 400 when it is not a JSON object.
    func jsonBody(_ request: Request, context: RelayRequestContext) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw IngressError(.payloadTooLarge, "the request body is larger than 4 MiB")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw IngressError(.payloadTooLarge, "the request body is larger than 4 MiB")
        }
        guard let value = try? JSONValue(json: String(buffer: buffer)), case .object = value else {
            throw IngressError(.invalidRequest, "the request body must be a JSON object")
        }
        return value
    }

    /// A JSON response.
    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: value.json)))
    }

    /// Headers every error carries: `retry-after` when known, `x-should-retry: false` when a retry cannot help.
    func errorHeaders(_ error: IngressError) -> HTTPFields {
        var fields: HTTPFields = [:]
        if let retryAfter = error.retryAfter { fields[.retryAfter] = String(retryAfter) }
        if !error.mayRetry { fields[HTTPField.Name("x-should-retry")!] = "false" }
        return fields
    }
}

/// How an API writes a job's messages as server-sent events.
struct EventStreamFormat: Sendable {
    /// What precedes the first message.
    var open: @Sendable (inout ServerSentEventWriter) async throws -> Void = { _ in }
    /// One message (the last one is `done` or `error`).
    var message: @Sendable (JobMessage, inout ServerSentEventWriter) async throws -> Void
    /// What follows a finished stream.
    var close: @Sendable (inout ServerSentEventWriter) async throws -> Void = { _ in }
    /// An error after the stream began.
    var failure: @Sendable (IngressError, inout ServerSentEventWriter) async throws -> Void
}

extension HTTPAPI {
    /// A streamed response relaying a job's messages, from its first one; a client that goes away cancels the job
    /// (it cannot resume).
    func eventStream(
        _ job: SubmittedJob, first: JobMessage, rest: MessageCursor, headers: HTTPFields, format: EventStreamFormat,
        cancel: @escaping @Sendable () async -> Void
    ) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var events = ServerSentEventWriter(writer: writer)
            do {
                // Messages already at hand (a worker's coalesced publish brings several) go out in one write.
                events.holding = true
                try await format.open(&events)
                var message: JobMessage? = first
                while let current = message {
                    // The last message goes out with what closes the stream.
                    events.holding = current.isTerminal || rest.hasReady
                    try await format.message(current, &events)
                    if current.isTerminal { break }
                    message = try await rest.next()
                }
                try await format.close(&events)
                events.holding = false
                try await events.flush()
            } catch let error as IngressError {
                events.holding = false
                try? await format.failure(error, &events)
                try? await events.flush()
            } catch {
                await cancel()
                throw error
            }
            try await writer.finish(nil)
        })
    }
}

extension SubmittedJob {
    /// Waits for the first message, so that a job failing before any output gets a proper error status.
    func firstMessage() async throws -> (JobMessage, MessageCursor) {
        let cursor = MessageCursor(messages.makeAsyncIterator())
        guard let first = try await cursor.next() else { throw IngressError(.internal, "the job's stream ended without a result") }
        if first.kind == .error { throw first.error }
        return (first, cursor)
    }
}

/// The rest of a job's messages after the first, handed from the route to its streamed body.
/// Only one task reads it at a time: the route, then the body writer.
final class MessageCursor: @unchecked Sendable {
    private var iterator: JobMessages.Iterator

    init(_ iterator: JobMessages.Iterator) {
        self.iterator = iterator
    }

    func next() async throws -> JobMessage? {
        try await iterator.next()
    }

    /// Whether the next message is already at hand (`next()` will not wait).
    var hasReady: Bool { iterator.hasReady }
}

/// The Unix time in seconds.
func unixTime() -> Int { Int(Date().timeIntervalSince1970) }
