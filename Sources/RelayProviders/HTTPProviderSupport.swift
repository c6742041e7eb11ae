import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayJSON

/// What the HTTP providers share: sending a JSON request, mapping error statuses, streaming SSE.
struct HTTPProviderSupport: Sendable {
    let provider: String
    let httpClient: HTTPClient
    /// How long to wait for the response head; the body is bounded by the caller's deadline.
    let connectTimeout: TimeAmount

    func post(url: String, headers: [(String, String)], body: JSONValue) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body.json))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: connectTimeout)
        } catch is CancellationError {
            throw ProviderError(.cancelled, provider: provider, message: "cancelled")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw ProviderError(.timeout, provider: provider, message: "no response in time")
        } catch {
            if Task.isCancelled { throw ProviderError(.cancelled, provider: provider, message: "cancelled") }
            throw ProviderError(.transport, provider: provider, message: "the request failed: \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw await failure(response)
        }
        return response
    }

    /// The error a non-2xx response stands for, with the provider's message and retry-after.
    func failure(_ response: HTTPClientResponse) async -> ProviderError {
        let status = Int(response.status.code)
        var message = "HTTP \(status)"
        if let body = try? await response.body.collect(upTo: 64 * 1024),
            let json = try? JSONValue(json: String(buffer: body))
        {
            if let text = json["error"]?["message"]?.stringValue ?? json["message"]?.stringValue { message = text }
        }
        var retryAfter: Double?
        if let milliseconds = response.headers.first(name: "retry-after-ms").flatMap(Double.init) {
            retryAfter = milliseconds / 1000
        } else if let seconds = response.headers.first(name: "retry-after").flatMap(Double.init) {
            retryAfter = seconds
        }
        let code = status == 529 ? ProviderError.Code.unavailable : ProviderError.code(forStatus: status)
        return ProviderError(code, provider: provider, status: status, retryAfter: retryAfter, message: message)
    }

    /// Streams a response body as server-sent events, handing each to `handle`, which yields provider events.
    func events(
        of response: HTTPClientResponse,
        handle: @escaping @Sendable (ServerSentEvent, AsyncThrowingStream<ProviderEvent, any Error>.Continuation) throws -> Bool
    ) -> AsyncThrowingStream<ProviderEvent, any Error> {
        let provider = self.provider
        return AsyncThrowingStream { continuation in
            let task = Task {
                var parser = ServerSentEventParser()
                do {
                    var ended = false
                    bodyLoop: for try await buffer in response.body {
                        for event in parser.feed(buffer) where try handle(event, continuation) {
                            ended = true
                            break bodyLoop
                        }
                    }
                    if !ended, let last = parser.finish() { ended = try handle(last, continuation) }
                    if !ended {
                        throw ProviderError(.streamBroken, provider: provider, message: "the stream ended early")
                    }
                    continuation.finish()
                } catch let error as ProviderError {
                    continuation.finish(throwing: error)
                } catch {
                    let code: ProviderError.Code = Task.isCancelled ? .cancelled : .streamBroken
                    continuation.finish(throwing: ProviderError(code, provider: provider, message: "the stream failed: \(error)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension JSONValue {
    /// Parses an SSE data line; nil when it is not JSON.
    static func parse(_ text: String) -> JSONValue? {
        try? JSONValue(json: text)
    }
}
